"""Cache keys: everything an output depends on, hashed.

An output is laid out again exactly when its key changes: the spec's settings
and the in-service, the link numbers it prints, the bytes of every file it
reads (handouts, pictures, the attendee list, the signature), the theme with
its templates and translations, the build date and packetgen's version.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from packetgen._version import __version__
from packetgen.build._cache import digest
from packetgen.build.inputs import markdown_fields, merged_files
from packetgen.build.staging import KitKind
from packetgen.render.themes import Theme
from packetgen.spec.models import Packet
from packetgen.support._guarded import fingerprint
from packetgen.support._repro import w3c_build_date
from packetgen.text.i18n import LOCALE_DIR
from packetgen.text.markdown import images_in

if TYPE_CHECKING:  # jobs imports the scan, which imports these keys
    from packetgen.build.jobs import Context

__all__ = ["book_key", "file_digest", "inservice_key", "kit_key", "theme_digest"]


def inservice_key(context: Context, inservice_id: str, what: str) -> str:
    """Everything an in-service's output depends on, hashed."""
    packet = context.packet
    index = packet.inservice_index(inservice_id)
    inservice = packet.inservices[index]
    settings = packet.model_dump(mode="json", exclude={"inservices"})
    numbers = [
        (ref.number, ref.url, [s.item for s in ref.sources if s.inservice == inservice_id])
        for ref in context.links.for_inservice(inservice_id)
    ]
    files = [file_digest(packet, file) for file in merged_files(inservice)]
    images = [
        file_digest(packet, src)
        for text in markdown_fields(inservice)
        for src in images_in(text)
        if (packet.folder / src).is_file()
    ]
    return digest(
        what,
        __version__,
        json.dumps(settings, sort_keys=True),
        json.dumps(inservice.model_dump(mode="json"), sort_keys=True),
        json.dumps(numbers),
        theme_digest(context.theme_for(inservice_id)),
        w3c_build_date() or "",
        *files,
        *images,
    )


def book_key(context: Context) -> str:
    """``packet.pdf``'s key: the binders' keys, every in-service's, in packet order."""
    return digest(
        "book", *(inservice_key(context, s.id, "binder") for s in context.packet.inservices)
    )


def kit_key(context: Context, inservice_id: str, kind: KitKind) -> str:
    """The in-service's key, and the files only its kit and certificates read:
    the attendee list and the signature."""
    packet = context.packet
    inservice = packet.inservice(inservice_id)
    files = [
        file_digest(packet, name)
        for name in (
            inservice.attendees if isinstance(inservice.attendees, str) else None,
            inservice.certificate.signature if inservice.certificate else None,
        )
        if name
    ]
    return digest(inservice_key(context, inservice_id, kind), *files)


def file_digest(packet: Packet, relative: str) -> str:
    # Read in blocks, and not at all when the file is outside the folder, too
    # large or not a regular file: the stage that uses it refuses it properly.
    return fingerprint(packet.folder / relative, roots=(packet.folder,), max_bytes=_MAX_KEYED_BYTES)


_MAX_KEYED_BYTES = 200 * 1024 * 1024
"""As large as a handout may be (``handouts.open_handout(max_bytes=)``)."""


def theme_digest(theme: Theme) -> str:
    """The theme's CSS and the templates in use (built-in and overrides)."""
    # By content, not by object: an edited stylesheet is a new theme even if
    # Python reuses the old object's id, as a long `serve` session will.
    return _theme_digest_of(theme.print_css, theme.screen_css, theme.templates)


@functools.lru_cache(maxsize=16)
def _theme_digest_of(
    print_css: str, screen_css: str, templates: tuple[tuple[str, str], ...]
) -> str:
    builtin = Path(__file__).resolve().parents[1] / "render" / "templates"
    texts = [print_css, screen_css]
    for path in sorted(builtin.rglob("*")):
        if path.is_file():
            texts.append(f"{path.relative_to(builtin)}\n{path.read_text('utf-8')}")
    # The catalogs too: a corrected translation must reach the pages.
    for path in sorted(LOCALE_DIR.rglob("*.po")):
        texts.append(f"{path.relative_to(LOCALE_DIR)}\n{path.read_text('utf-8')}")
    # The theme's own templates were read and checked when it was loaded.
    texts += [f"theme:{name}\n{source}" for name, source in templates]
    return digest(*texts)
