"""render: a view → HTML, through Jinja2 templates and a theme's template overrides.

Autoescaping is on and undefined names are errors, so a spec can never inject
markup and a typo in a template fails loudly. The environment is sandboxed (a
theme's templates may come from an upload), and its ``gettext`` prints in the
language of the document being rendered.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from packetgen.errors import BuildError
from packetgen.render.themes import Theme
from packetgen.text.i18n import Strings, strings_for

__all__ = ["render_document"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


# Keyed by the templates' text: bounded, so a long `packetgen serve` session in
# which a trainer edits a template again and again does not keep every version.
@lru_cache(maxsize=8)
def _environment(overrides: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    # The theme's templates were read and checked by load_theme (confined to the
    # theme folder, UTF-8, bounded); Jinja never opens a theme file itself. Only
    # packetgen's own templates come from disk.
    loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader(dict(overrides)), jinja2.FileSystemLoader(str(_TEMPLATES))]
    )
    # Sandboxed: a theme's template overrides may come from an untrusted upload,
    # and an ordinary environment lets a template reach any Python object.
    env = ImmutableSandboxedEnvironment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Newstyle: {% trans %} placeholders are filled (and escaped) by gettext
    # itself, so a translation may move them. Trimmed: a message wrapped over
    # lines of a template is one line of the catalog (babel.cfg says the same).
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    # Globals, not render variables: macros imported without context see only
    # globals. They read the document's language from _STRINGS, for the
    # environment is shared by documents in different languages (and threads).
    env.globals.update(gettext=_gettext, ngettext=_ngettext)
    return env


_STRINGS: ContextVar[Strings | None] = ContextVar("packetgen_strings", default=None)
"""The texts of the document being rendered (set by ``render_document``)."""


def _current_strings() -> Strings:
    strings = _STRINGS.get()
    if strings is None:  # a template rendered outside render_document
        raise BuildError("a template asked for a translation outside render_document")
    return strings


def _html_text(text: str) -> Markup:
    """A translated text for HTML. Catalog texts are plain text, and a packet's
    ``strings:`` must not inject markup; quotes are escaped for attributes, the
    apostrophe (never an attribute's delimiter here) is left as the templates had it."""
    return Markup(
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    )


def _gettext(message: str, /, **variables: object) -> Markup:
    """The i18n extension's newstyle ``gettext``, in the document's language."""
    return _formatted(_current_strings().gettext(message), message, variables)


def _ngettext(singular: str, plural: str, num: int, /, **variables: object) -> Markup:
    """The i18n extension's newstyle ``ngettext``, in the document's language."""
    variables.setdefault("num", num)
    text = _current_strings().ngettext(singular, plural, num)
    return _formatted(text, singular if num == 1 else plural, variables)


def _formatted(text: str, english: str, variables: dict[str, object]) -> Markup:
    """``text`` with the template's values in (escaped by Markup's ``%``).

    Newstyle gettext always formats, so "%%" in a message is "%" (as Jinja's own).
    A packet's ``strings:`` with a stray "%" or a misspelt ``%(name)s`` would
    stop the build: the English text, whose placeholders are right, prints instead.
    """
    try:
        return _html_text(text) % variables
    except (KeyError, ValueError, TypeError):
        return _html_text(english) % variables


def render_document(view: object, theme: Theme, template: str = "inservice.html.j2") -> str:
    """Render ``view`` with the theme's templates (overrides first), in the view's
    language (its ``strings``, or else its ``lang``)."""
    env = _environment(theme.templates)
    strings = getattr(view, "strings", None)
    if not isinstance(strings, Strings):
        strings = strings_for(str(getattr(view, "lang", "en")))
    token = _STRINGS.set(strings)
    try:
        return env.get_template(template).render(doc=view)
    except SecurityError as exc:
        raise BuildError(f"the theme's templates tried something not allowed: {exc}") from None
    except jinja2.TemplateError as exc:
        where = (
            f" ({exc.name}, line {exc.lineno})"
            if isinstance(exc, jinja2.TemplateSyntaxError)
            else ""
        )
        raise BuildError(f"the theme's templates failed{where}: {exc}") from None
    finally:
        _STRINGS.reset(token)
