"""bind_files: the library API that binds a list of files without a packet spec.

A spec is made up from the titles and files given, then bound like any
in-service.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from packetgen.binder.bind import Bound, bind_inservice
from packetgen.binder.opening import handout_links, open_inservice_handouts
from packetgen.content.links import collect_links, register_handout_links
from packetgen.errors import OptionError
from packetgen.handouts._untagged import advice, untagged_handouts
from packetgen.render.themes import load_theme
from packetgen.spec._sources import SourceDoc
from packetgen.spec.loader import validate
from packetgen.support._atomic import write_bytes_atomic

__all__ = ["bind_files"]


def bind_files(
    documents: Sequence[tuple[str, str | os.PathLike[str]]],
    output: str | os.PathLike[str],
    *,
    title: str,
    organization: str | None = None,
    paper: str = "letter",
    duplex: bool = False,
    theme: str = "default",
) -> Bound:
    """Bind ``(title, file)`` pairs into one PDF at ``output``, without a spec.

    The result has a cover, a table of contents with the page where each
    document starts, an outline (each document's own bookmarks nested under its
    title), page labels, and the running footer on every page. Files may be
    PDFs, PNG or JPEG images, or office documents (through LibreOffice).
    """
    paths = [Path(path).resolve() for _title, path in documents]
    if not paths:
        raise OptionError("bind_files needs at least one document")
    folder = Path(os.path.commonpath([p.parent for p in paths]))
    spec = {
        "title": title,
        "organization": organization,
        "paper": paper,
        "duplex": duplex,
        "theme": theme,
        "inservices": [
            {
                "id": "binder",
                "title": title,
                "items": [
                    {"kind": "handout", "title": name, "file": path.relative_to(folder).as_posix()}
                    for (name, _), path in zip(documents, paths, strict=True)
                ],
            }
        ],
    }
    doc = SourceDoc(data={k: v for k, v in spec.items() if v is not None})
    packet = validate(doc, name="<bind_files>", folder=folder, source=folder / "<bind_files>")
    binder = open_inservice_handouts(packet, "binder")
    found, notes = handout_links(packet, "binder", binder)
    links = register_handout_links(packet, "binder", found, collect_links(packet))
    bound = bind_inservice(packet, links, load_theme(packet.theme, folder), binder)
    write_bytes_atomic(Path(output), bound.data)
    # No spec to acknowledge them in and no `check -v` to ask: one line per file.
    untagged = [
        f"{h.file}: {advice(h.kind)}" for h in untagged_handouts(packet, "binder", binder.untagged)
    ]
    return replace(bound, warnings=(*binder.warnings, *notes, *untagged, *bound.warnings))
