"""Tests of the spec stage: reading, checking and explaining a packet spec."""
