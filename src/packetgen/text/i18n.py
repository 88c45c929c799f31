"""Every word packetgen prints, in the reader's language.

Fixed texts are written in English in the code and the templates, marked with
``_()`` (``{% trans %}`` in templates), and looked up in a gettext catalog
(``locale/<language>/LC_MESSAGES/packetgen.po``, read with Babel: the catalog
is the source, there is no compiled ``.mo`` to keep in step). Dates, times and
numbers are formatted by Babel with the language's own conventions
(``12 de marzo de 2018``, ``1,5 horas``). A text missing from a catalog falls
back to English and is remembered, so ``check -v`` can list it; a packet may
override single texts with ``strings:``.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale
    from babel.messages.catalog import Catalog

# Babel itself is imported where it is used: a rebuild the cache serves
# prints nothing and should not pay for loading it.

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "Strings",
    "available_languages",
    "fill",
    "has_catalog",
    "language_name",
    "printed_texts",
    "string_key",
    "strings_for",
    "strings_markdown",
]

DOMAIN = "packetgen"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it is written, to be translated
    later where it is printed (a table of labels): ``pybabel extract`` finds it."""
    return message


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, **values: object) -> str:
    """``text`` with its ``{name}`` placeholders filled in. Unlike ``str.format``, a
    brace it has no value for prints as written: a packet's ``strings:`` may have
    a typo in a placeholder, or a brace of its own, and must not stop the build."""
    return _PLACEHOLDER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text
    )


def string_key(message: str) -> str:
    """The short name a packet's ``strings:`` may use for ``message``:
    "Registration required" → ``registration_required``."""
    words = re.findall(r"[a-z0-9]+", message.lower())
    return "_".join(words[:6])


@functools.cache
def _catalog(language: str) -> Catalog | None:
    """The catalog for ``language`` (``es-MX`` falls back to ``es``), or None (English)."""
    tag = language.replace("-", "_")
    candidates = [tag]
    if "_" in tag:
        candidates.append(tag.split("_")[0])
    for candidate in candidates:
        path = LOCALE_DIR / candidate / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            with path.open("rb") as handle:
                from babel.messages.pofile import read_po

                return read_po(handle, locale=candidate, domain=DOMAIN)
    return None


@functools.cache
def printed_texts() -> dict[str, str]:
    """Every text packetgen prints, by its short name (``string_key``), from the
    catalog template: what a packet's ``strings:`` may reword."""
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        from babel.messages.pofile import read_po

        template = read_po(handle, domain=DOMAIN)
    texts: dict[str, str] = {}
    for message in template:
        for text in message.id if isinstance(message.id, tuple | list) else [message.id]:
            if text:
                texts.setdefault(string_key(text), text)
    return texts


def strings_markdown() -> str:
    """``docs/strings.md``: every printed text a packet's ``strings:`` can reword."""
    spanish = strings_for("es")
    rows = [
        "# The texts packetgen prints",
        "",
        "A packet can say any of these in its own words under `strings:`, by short",
        "name or by the English text:",
        "",
        "```yaml",
        "strings:",
        '  registration_required: "Sign up first"',
        "```",
        "",
        "Words in `{braces}` or `%(name)s` are filled in by packetgen: keep them in your text.",
        "This file is written by `make catalog`.",
        "",
        "| short name | English | Spanish |",
        "|---|---|---|",
    ]
    for key, text in sorted(printed_texts().items()):
        cells = [key, text, spanish.gettext(text)]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def has_catalog(language: str) -> bool:
    """Whether ``language`` (or its base language) has a catalog; English needs none."""
    return language.split("-")[0].lower() == "en" or _catalog(language) is not None


def available_languages() -> list[str]:
    """Languages with a catalog, besides English (the language of the code)."""
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


def language_name(language: str, in_language: str) -> str:
    """The name of ``language`` as readers of ``in_language`` say it: Spanish, español, inglés."""
    return str(_locale(language).get_display_name(_locale(in_language)) or language)


@functools.cache
def _locale(language: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        # A tag Babel does not know (a rare language, a private subtag): its
        # base language, and English formats when even that is unknown.
        try:
            return Locale.parse(language.split("-")[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


@dataclass
class Strings:
    """The texts and formats of one language, with the packet's own overrides."""

    language: str
    """A BCP 47 tag as the spec has it (``en``, ``es``, ``es-MX``)."""
    overrides: Mapping[str, str] = field(default_factory=dict)
    """The packet's ``strings:``: by key (``registration_required``) or by English text."""
    fallbacks: set[str] = field(default_factory=set)
    """Texts printed in English because the language's catalog lacks them."""

    @property
    def english(self) -> bool:
        return self.language.split("-")[0].lower() == "en"

    def gettext(self, message: str) -> str:
        """``message`` in this language."""
        own = self.overrides.get(message) or self.overrides.get(string_key(message))
        if own is not None:
            return own
        if self.english:
            return message
        catalog = _catalog(self.language)
        entry = catalog.get(message) if catalog is not None else None
        text = entry.string if entry is not None and not entry.fuzzy else None
        if isinstance(text, str) and text:
            return text
        self.fallbacks.add(message)
        return message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """``singular`` or ``plural`` in this language, chosen by its plural rule."""
        own = self.overrides.get(singular if count == 1 else plural)
        if own is not None:
            return own
        if self.english:
            return singular if count == 1 else plural
        catalog = _catalog(self.language)
        entry = catalog.get(singular) if catalog is not None else None
        forms = entry.string if entry is not None and not entry.fuzzy else None
        if isinstance(forms, tuple | list) and all(forms):
            assert catalog is not None
            return str(forms[min(_plural_index(catalog, count), len(forms) - 1)])
        self.fallbacks.add(singular)
        return singular if count == 1 else plural

    def date(self, value: dt.date) -> str:
        """A date as this language writes it: March 12, 2018; 12 de marzo de 2018."""
        from babel.dates import format_date

        return str(format_date(value, format="long", locale=_locale(self.language)))

    def number(self, value: float) -> str:
        """A number with this language's decimal sign: 1.5; 1,5."""
        from babel.numbers import format_decimal

        return str(format_decimal(value, format="#,##0.##", locale=_locale(self.language)))


@functools.cache
def _plural_rule(expression: str) -> Callable[[int], int]:
    # The stdlib's gettext parses the catalog's C expression ("(n != 1)") safely.
    return gettext.c2py(expression)


def _plural_index(catalog: Catalog, count: int) -> int:
    return _plural_rule(catalog.plural_expr)(count)


def strings_for(language: str, overrides: Mapping[str, str] | None = None) -> Strings:
    """The texts of ``language``, with a packet's ``strings:`` over them."""
    return Strings(language, dict(overrides or {}))
