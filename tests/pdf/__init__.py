"""Tests of the pdf stage: layout, metadata, the tag structure, the streaming join."""
