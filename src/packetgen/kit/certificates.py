"""Certificates of completion: one landscape page per attendee, in one PDF per in-service.

Each certificate carries an id of its own (``7KQ2M-XT9PA``) that a program can
look up when an employer or a court asks whether it is real: derived from the
packet, the in-service and the person, so a rebuild prints the same id, and with
``certificate.verify_url`` a QR code of the page that says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from packetgen._version import __version__
from packetgen.content.addresses import short_url, to_uri
from packetgen.content.credit import inservice_hours
from packetgen.content.qr import DEFAULT_MODULE_MM, make_qr
from packetgen.errors import CertificateError, LimitError, OutputError
from packetgen.kit.signature import (
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURE_PIXELS,
    signature_url,
)
from packetgen.pdf.archival import ARCHIVAL_LEVEL
from packetgen.pdf.layout import layout_html
from packetgen.render.html import render_document
from packetgen.render.themes import BUILTIN_THEMES, Theme, load_theme
from packetgen.render.wording import DELIVERY_LABELS, format_date, format_hours, format_time
from packetgen.spec.attendees import Attendee, inline_attendees, read_attendees
from packetgen.spec.loader import load_packet
from packetgen.spec.models import InService, Packet
from packetgen.support._atomic import Staging
from packetgen.support._repro import w3c_build_date
from packetgen.text.i18n import Strings, fill, strings_for
from packetgen.text.markdown import images_in

__all__ = [
    "MAX_CERTIFICATES",
    "MAX_SIGNATURE_BYTES",
    "MAX_SIGNATURE_PIXELS",
    "CertificateOf",
    "CertificateResult",
    "CertificatesView",
    "attendees_for",
    "certificate_id",
    "certificate_ids",
    "certificate_page_css",
    "certificates_pdf",
    "certificates_view",
    "check_count",
    "make_certificates",
    "signature_url",
]

MAX_CERTIFICATES = 2_000
"""Certificates one call makes, all in-services together. Each is a page laid
out by WeasyPrint, all of an in-service's at once: about 0.1-0.2 s and 250 KB
of memory a page, so 2,000 take 3-6 minutes and under 1 GB, inside the
command's default limits (600 s, 4,096 MB). A real session has tens or a few
hundred attendees; a larger list can be made in parts with ``only=``."""

_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so an id read off paper and typed
cannot confuse a letter with a digit (or spell a word)."""
_ID_CHARS = 10
"""50 bits: a program issuing a million certificates has about one chance in
two thousand of two sharing an id."""


@dataclass
class CertificateResult:
    """What ``make_certificates`` wrote."""

    outputs: list[tuple[Path, int]] = field(default_factory=list)
    """(file, number of certificates)."""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CertificateOf:
    """What one person's certificate shows of its own."""

    name: str
    id: str
    """``XXXXX-XXXXX`` (see :func:`certificate_id`)."""
    anchor: str
    qr: Markup | None = None
    """The code of the certificate's verification page (inline SVG), with ``verify_url``."""
    qr_style: str = ""
    verify_uri: str = ""
    verify_label: str = ""
    """The verification address as a person types it (no ``https://``)."""

    @property
    def verify_label_html(self) -> Markup:
        """The address with a line break allowed only after a ``/``: the id stays whole."""
        return Markup("/<wbr>").join(self.verify_label.split("/"))


@dataclass(frozen=True)
class CertificatesView:
    """Everything the certificates of one in-service show."""

    lang: str
    title: str
    organization: str | None
    """The provider of the training."""
    generator: str
    created: str | None
    css: Markup
    page_css: Markup
    people: tuple[CertificateOf, ...]
    inservice_title: str
    details: str
    """Date, time and place of the session."""
    credit: str | None
    """``1.5 hours of in-service credit, in person``."""
    signer: str
    signer_title: str | None
    presenter: str | None
    signature: str | None
    strings: Strings = field(default_factory=lambda: strings_for("en"), compare=False, repr=False)
    """The certificates' texts, in the in-service's language."""


def certificate_id(packet: Packet, inservice: InService, name: str, occurrence: int = 1) -> str:
    """The id of ``name``'s certificate for ``inservice``: ``XXXXX-XXXXX``.

    The same for every build of the same packet (title and organization),
    in-service (id and date) and person. The name counts without regard to
    case, accents' encoding or spacing, so a corrected capital keeps the id;
    ``occurrence`` tells apart two people of the same name (1 for the first
    in the list, 2 for the second).
    """
    fields = [
        "packetgen certificate v1",
        packet.title,
        packet.organization or "",
        inservice.id,
        inservice.date.isoformat() if inservice.date else "",
        _name_key(name),
        occurrence,
    ]
    raw = hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).digest()
    number = int.from_bytes(raw[:8], "big") >> (64 - 5 * _ID_CHARS)
    chars = "".join(_ID_ALPHABET[(number >> (5 * k)) & 31] for k in reversed(range(_ID_CHARS)))
    return f"{chars[:5]}-{chars[5:]}"


def certificate_ids(packet: Packet, inservice: InService, names: Sequence[str]) -> list[str]:
    """The id of each name's certificate, in order; a repeated name counts its occurrences."""
    seen: dict[str, int] = {}
    ids = []
    for name in names:
        key = _name_key(name)
        seen[key] = seen.get(key, 0) + 1
        ids.append(certificate_id(packet, inservice, name, seen[key]))
    return ids


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def certificate_page_css(paper: str) -> str:
    """The certificates' landscape page, for any document that prints them."""
    size = "letter landscape" if paper == "letter" else "A4 landscape"
    return f"@page certificate {{ size: {size}; margin: 14mm }}"


def certificates_view(
    packet: Packet,
    inservice: InService,
    people: Sequence[Attendee],
    *,
    signature: str | None,
) -> CertificatesView:
    """The certificates of ``people`` for ``inservice``, the signature as a ``data:`` URL.

    ``packet`` is the in-service's own view (``packet.for_inservice``), for its paper.
    """
    certificate = inservice.certificate
    assert certificate is not None
    lang = packet.language
    t = strings_for(lang, packet.strings)
    hours = inservice_hours(packet, inservice).hours
    details = " · ".join(
        v
        for v in (
            format_date(inservice.date, lang),
            format_time(inservice.time, lang),
            inservice.location,
        )
        if v
    )
    credit = (
        fill(
            t.gettext("{hours} of in-service credit, {delivery}"),
            hours=format_hours(hours, t),
            delivery=t.gettext(DELIVERY_LABELS[inservice.delivery]),
        )
        if hours
        else None
    )
    ids = certificate_ids(packet, inservice, [p.name for p in people])
    return CertificatesView(
        lang=lang,
        title=fill(t.gettext("Certificates: {title}"), title=inservice.title),
        organization=packet.organization,
        generator=f"packetgen {__version__}",
        created=w3c_build_date(),
        # The theme's stylesheet is handed to the layout, parsed once per process.
        css=Markup(""),
        page_css=Markup(certificate_page_css(packet.paper)),
        people=tuple(
            _certificate_of(packet, inservice, person.name, cert_id, n, t)
            for n, (person, cert_id) in enumerate(zip(people, ids, strict=True), start=1)
        ),
        inservice_title=inservice.title,
        details=details,
        credit=credit,
        signer=certificate.signer,
        signer_title=certificate.signer_title,
        presenter=inservice.presenter,
        signature=signature,
        strings=t,
    )


def _certificate_of(
    packet: Packet, inservice: InService, name: str, cert_id: str, number: int, t: Strings
) -> CertificateOf:
    anchor = f"{inservice.id}-certificate-{number}"
    template = inservice.certificate.verify_url if inservice.certificate else None
    if template is None:
        return CertificateOf(name, cert_id, anchor)
    url = template.replace("{id}", cert_id)
    code = make_qr(url, packet.qr_error_correction)
    # Never smaller than the default: a certificate is copied and faxed for years.
    size = code.size_mm(max(packet.qr_module_mm, DEFAULT_MODULE_MM))
    label = short_url(url)
    svg = code.svg(
        title=fill(t.gettext("QR code to verify this certificate: {address}"), address=label),
        element_id=f"{anchor}-qr",
        size_mm=size,
    )
    return CertificateOf(
        name,
        cert_id,
        anchor,
        qr=Markup(svg),
        qr_style=f"--qr-size: {size:.2f}mm",
        verify_uri=to_uri(url),
        verify_label=label,
    )


def certificates_pdf(
    packet: Packet,
    inservice_id: str,
    theme: Theme,
    people: Sequence[Attendee],
    *,
    signature: str | None,
) -> bytes:
    """The certificates of ``people`` for one in-service, as a PDF.

    ``packet`` is the in-service's own view (``packet.for_inservice``): its
    paper and theme are the certificates' too. ``signature`` is
    :func:`signature_url`'s, read before any layout starts.
    """
    inservice = packet.inservice(inservice_id)
    view = certificates_view(packet, inservice, people, signature=signature)
    html = render_document(view, theme, "certificates.html.j2")
    layout = layout_html(
        html,
        base=packet.folder,
        roots=(packet.folder, *theme.roots),
        what=f"{inservice_id}-certificates.pdf",
        stylesheets=[theme.print_css],
    )
    seed = hashlib.sha256(html.encode("utf-8")).hexdigest().encode("ascii")[:32]
    return layout.write(identifier=seed, archival=packet.archival is not None)


def make_certificates(
    packet_or_path: Packet | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    attendees: str | os.PathLike[str] | None = None,
    only: list[str] | None = None,
    archival: bool = False,
) -> CertificateResult:
    """Write ``<id>-certificates.pdf`` for every in-service with a ``certificate:``.

    ``attendees`` (a CSV with a ``name`` column) overrides the spec's list.
    ``archival`` makes them PDF/A-2b whatever the spec's ``archival`` says, as
    ``build(archival=True)`` does.
    """
    packet = packet_or_path if isinstance(packet_or_path, Packet) else load_packet(packet_or_path)
    if archival and packet.archival is None:
        packet = packet.model_copy(update={"archival": ARCHIVAL_LEVEL})
    chosen = [s for s in packet.select(only) if s.certificate is not None]
    if not chosen:
        raise CertificateError(
            "no in-service has a certificate: section; add one with at least `signer:`"
            " to the in-services that give certificates"
        )
    out = Path(out_dir)
    _refuse_overwriting_inputs(packet, out, chosen, attendees)
    result = CertificateResult()
    # Every list is read and counted before anything is laid out, so an
    # oversized run stops at once instead of after minutes of work.
    lists: list[tuple[InService, list[Attendee]]] = []
    for inservice in chosen:
        people, warnings_found = attendees_for(packet, inservice.id, attendees)
        result.warnings.extend(warnings_found)
        lists.append((inservice, people))
    check_count(lists)
    signatures = {s.id: signature_url(packet, s) for s in chosen}
    # An in-service with its own paper or theme (large print) gets its certificates so too.
    themes = {
        name: load_theme(name, packet.folder)
        for name in dict.fromkeys(packet.for_inservice(s.id).theme for s in chosen)
    }
    with Staging(out) as staging:
        for inservice, people in lists:
            own = packet.for_inservice(inservice.id)
            data = certificates_pdf(
                own, inservice.id, themes[own.theme], people, signature=signatures[inservice.id]
            )
            target = staging.path_for(f"{inservice.id}-certificates.pdf")
            staging.write_bytes(target, data)
            result.outputs.append((out / f"{inservice.id}-certificates.pdf", len(people)))
        staging.commit()
    return result


def check_count(lists: Sequence[tuple[InService, Sequence[Attendee]]]) -> None:
    """Refuse, before anything is laid out, more certificates than one run makes."""
    total = sum(len(people) for _inservice, people in lists)
    if total <= MAX_CERTIFICATES:
        return
    counts = ", ".join(f"{s.id}: {len(people):,}" for s, people in lists)
    advice = (
        "make them in parts with --only ID (one in-service at a time)"
        if len(lists) > 1
        else "split the attendee list and make them in parts"
    )
    raise LimitError(
        f"this would make {total:,} certificates ({counts}), more than the limit of"
        f" {MAX_CERTIFICATES:,} in one run; {advice}"
    )


def attendees_for(
    packet: Packet, inservice_id: str, override: str | os.PathLike[str] | None = None
) -> tuple[list[Attendee], list[str]]:
    """The in-service's attendees (``override``, a CSV, wins over the spec) and
    warnings about them (a name listed twice)."""
    if override is not None:
        return read_attendees(Path(override))
    inservice = packet.inservice(inservice_id)
    if isinstance(inservice.attendees, list):
        return inline_attendees(inservice.attendees)
    if isinstance(inservice.attendees, str):
        shown = str(packet.folder / inservice.attendees)
        return read_attendees(packet.folder / inservice.attendees, shown=shown)
    raise CertificateError(
        f"in-service {inservice_id!r} has no attendees: give --attendees attendees.csv"
        " (a CSV with a name column) or `attendees:` in the spec"
    )


def _inputs(packet: Packet, attendees: str | os.PathLike[str] | None) -> Iterator[Path]:
    """Every file the run reads, and every file the packet's build reads."""
    if packet.source is not None:
        yield packet.source
    for _inservice, item in packet.file_items():
        yield packet.folder / item.file
    for inservice in packet.inservices:
        texts = [inservice.summary] + [
            text for item in inservice.items for text in item.markdown_texts().values()
        ]
        for text in texts:
            if isinstance(text, str) and text:
                yield from (packet.folder / src for src in images_in(text))
        if inservice.certificate is not None and inservice.certificate.signature:
            yield packet.folder / inservice.certificate.signature
        if isinstance(inservice.attendees, str) and inservice.attendees:
            yield packet.folder / inservice.attendees
    if attendees is not None:
        yield Path(attendees)
    for name in packet.theme_names():
        theme_folder = packet.folder / name
        if name not in BUILTIN_THEMES and theme_folder.is_dir():
            yield from (p for p in theme_folder.rglob("*") if p.is_file())


def _refuse_overwriting_inputs(
    packet: Packet, out: Path, chosen: list[InService], attendees: str | os.PathLike[str] | None
) -> None:
    """An output path that is also an input would destroy the trainer's file (as in build)."""
    inputs = {path.resolve() for path in _inputs(packet, attendees)}
    for inservice in chosen:
        name = f"{inservice.id}-certificates.pdf"
        if (out / name).resolve() in inputs:
            raise OutputError(
                f"the output {out / name} would overwrite an input file of the packet;"
                " choose another -o folder"
            )
