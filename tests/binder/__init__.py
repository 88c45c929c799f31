"""Tests of the binder stage: plan, placement, merge, stamps, the book."""
