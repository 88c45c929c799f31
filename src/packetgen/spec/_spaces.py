"""Characters that look like spaces in an editor but are not spaces to YAML.

Read by the YAML reader (a field name starting with one) and by the
explanations of YAML mistakes; kept apart so that neither imports the other
for it.
"""

from __future__ import annotations

__all__ = ["ODD_KEY_START", "ODD_SPACES"]

ODD_SPACES = {
    "\u00a0": "a non-breaking space",
    "\u202f": "a narrow non-breaking space",
    "\u3000": "a full-width space",
    "\u2007": "a figure space",
    "\u2009": "a thin space",
    "\u200b": "a zero-width space",
    "\ufeff": "an invisible byte order mark",
}
"""Spaces an editor shows as blank that YAML does not count as spaces."""
ODD_KEY_START = frozenset([*ODD_SPACES, "-"])
"""First characters of a field name that ``_yaml_help.odd_key_problem`` explains."""
