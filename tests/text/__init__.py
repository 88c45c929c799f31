"""Tests of the text stage: Markdown to safe HTML, and the printed texts in the reader's language."""
