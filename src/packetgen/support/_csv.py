"""CSV cells a spreadsheet shows as text (shared by the link report and the redirects)."""

from __future__ import annotations

__all__ = ["csv_cell"]

# A cell starting with one of these is a formula to Excel, LibreOffice and
# Google Sheets (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`); tab and carriage
# return can hide such a start. Titles come from uploaded specs and handouts.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text, never runs as a formula.

    The OWASP convention: a cell that would start a formula gets a leading
    single quote, which spreadsheets hide and which keeps the rest as typed.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
