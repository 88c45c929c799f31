"""Certificates of completion: one landscape page per attendee, in one PDF per in-service."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ._atomic import Staging
from ._repro import w3c_build_date
from ._version import __version__
from .attendees import Attendee, inline_attendees, read_attendees
from .credit import inservice_hours
from .errors import PacketgenError
from .loader import load_packet
from .pdf import layout_html
from .render import format_date, render_document
from .spec import Packet
from .themes import load_theme

__all__ = ["CertificateResult", "make_certificates"]

_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass
class CertificateResult:
    """What ``make_certificates`` wrote."""

    outputs: list[tuple[Path, int]] = field(default_factory=list)
    """(file, number of certificates)."""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _View:
    lang: str
    title: str
    organization: str | None
    generator: str
    created: str | None
    css: Markup
    page_css: Markup
    people: tuple[str, ...]
    inservice_title: str
    details: str
    signer: str
    signer_title: str | None
    presenter: str | None
    signature: str | None


def make_certificates(
    packet_or_path: Packet | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    attendees: str | os.PathLike[str] | None = None,
    only: list[str] | None = None,
) -> CertificateResult:
    """Write ``<id>-certificates.pdf`` for every in-service with a ``certificate:``.

    ``attendees`` (a CSV with a ``name`` column) overrides the spec's list.
    """
    packet = packet_or_path if isinstance(packet_or_path, Packet) else load_packet(packet_or_path)
    chosen = [
        s for s in packet.inservices if s.certificate is not None and (not only or s.id in only)
    ]
    if only:
        missing = [i for i in only if i not in {s.id for s in packet.inservices}]
        if missing:
            ids = ", ".join(s.id for s in packet.inservices)
            raise PacketgenError(f"no in-service with id {missing[0]!r}; the packet has: {ids}")
    if not chosen:
        raise PacketgenError(
            "no in-service has a certificate: section; add one with at least `signer:`"
            " to the in-services that give certificates"
        )
    theme = load_theme(packet.theme, packet.folder)
    result = CertificateResult()
    out = Path(out_dir)
    with Staging(out) as staging:
        for inservice in chosen:
            people, warnings = _people(packet, inservice.id, attendees)
            result.warnings.extend(warnings)
            certificate = inservice.certificate
            assert certificate is not None
            hours = inservice_hours(packet, inservice).hours
            details = " · ".join(
                v
                for v in (
                    format_date(inservice.date, packet.language),
                    f"{hours:g} hours of in-service credit" if hours else None,
                    inservice.location,
                )
                if v
            )
            size = "letter landscape" if packet.paper == "letter" else "A4 landscape"
            view = _View(
                lang=packet.language,
                title=f"Certificates: {inservice.title}",
                organization=packet.organization,
                generator=f"packetgen {__version__}",
                created=w3c_build_date(),
                css=Markup(theme.print_css),
                page_css=Markup(f"@page certificate {{ size: {size}; margin: 14mm }}"),
                people=tuple(p.name for p in people),
                inservice_title=inservice.title,
                details=details,
                signer=certificate.signer,
                signer_title=certificate.signer_title,
                presenter=inservice.presenter,
                signature=_data_url(packet.folder / certificate.signature)
                if certificate.signature
                else None,
            )
            html = render_document(view, theme, "certificates.html.j2")
            layout = layout_html(
                html,
                base=packet.folder,
                roots=(packet.folder, *theme.roots),
                what=f"{inservice.id}-certificates.pdf",
            )
            seed = hashlib.sha256(html.encode("utf-8")).hexdigest().encode("ascii")[:32]
            target = staging.path_for(f"{inservice.id}-certificates.pdf")
            target.write_bytes(layout.write(identifier=seed))
            result.outputs.append((out / f"{inservice.id}-certificates.pdf", len(people)))
        staging.commit()
    return result


def _people(
    packet: Packet, inservice_id: str, override: str | os.PathLike[str] | None
) -> tuple[list[Attendee], list[str]]:
    if override is not None:
        return read_attendees(Path(override))
    inservice = next(s for s in packet.inservices if s.id == inservice_id)
    if isinstance(inservice.attendees, list):
        return inline_attendees(inservice.attendees)
    if isinstance(inservice.attendees, str):
        shown = str(packet.folder / inservice.attendees)
        return read_attendees(packet.folder / inservice.attendees, shown=shown)
    raise PacketgenError(
        f"in-service {inservice_id!r} has no attendees: give --attendees attendees.csv"
        " (a CSV with a name column) or `attendees:` in the spec"
    )


def _data_url(path: Path) -> str:
    data = path.read_bytes()
    mime = next((m for magic, m in _MIME.items() if data.startswith(magic)), None)
    if mime is None:  # pragma: no cover - the loader checks the signature image
        raise PacketgenError(f"{path.name}: expected a PNG or JPEG signature image")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
