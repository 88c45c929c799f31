"""The preview server's own pages: the list of in-services, a failed build, not found.

Jinja2 templates in ``templates/`` (autoescaped), and the script every page
carries that reloads it when a new build is ready: Server-Sent Events, with
polling as the fallback. Built pages get the script inserted before ``</body>``.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

if TYPE_CHECKING:
    from packetgen.serve.server import BuildState

__all__ = ["error_page", "index_page", "inject", "internal_error_page", "not_found_page"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _escaped(value: object) -> object:
    # Escaped as html.escape does (an apostrophe is &#x27;), as the pages always
    # were; autoescaping leaves the Markup alone, and escapes whatever finalize skips.
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup(html.escape(value, quote=True))
    return value


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_escaped,
    )


def _render(template: str, **values: object) -> bytes:
    return _environment().get_template(template).render(**values).encode("utf-8")


def inject(page: bytes, generation: int) -> bytes:
    """The page with the reload script inserted before its last ``</body>``."""
    script = _render("reload.html.j2", generation=generation)
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + script
    return page[:at] + script + page[at:]


def error_page(state: BuildState) -> bytes:
    """What every page shows while the latest build fails: its error, never stale output."""
    title = (
        "packetgen: build failed (internal error)" if state.internal else "packetgen: build failed"
    )
    return _render("error.html.j2", title=title, state=state, generation=state.generation)


def index_page(state: BuildState, pdf: bool) -> bytes:
    """The in-services of the last build, with their binder PDFs when ``pdf``."""
    if not state.ok:
        return error_page(state)
    title = f"{state.title} — packetgen preview"
    return _render("index.html.j2", title=title, state=state, pdf=pdf, generation=state.generation)


def not_found_page(path: str, generation: int | None) -> bytes:
    """Nothing is built at ``path``; reloads with the builds when ``generation`` is given."""
    return _render(
        "not_found.html.j2", title="packetgen: not found", path=path, generation=generation
    )


def internal_error_page(traceback: str) -> bytes:
    """Serving a page failed: a bug, shown with its traceback."""
    return _render(
        "internal_error.html.j2",
        title="packetgen: internal error",
        traceback=traceback,
        generation=None,
    )
