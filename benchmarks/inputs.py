"""Deterministic inputs for the benchmark (written under benchmarks/_work/).

Packets of 10 / 40 / 160 / 640 realistic items (articles with excerpts,
recordings with access instructions, films, campaigns, links; every item has a
URL), the 40-item packet without URLs, a packet of four 40-item in-services,
a binder packet of 20 handouts x 25 pages plus a 500-page policy manual, and
the same binder packet with every handout a note of the same title (no pages).
Handout PDFs are made with pypdf: plain text content streams in /Helvetica on
Letter pages. The same code always writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

LETTER = (612, 792)
ITEMS_PER_INSERVICE = 40

_SOURCES = [
    "The Washington Post",
    "National CASA/GAL Association for Children",
    "Polaris Project",
    "Office for Victims of Crime",
    "Child Welfare Information Gateway",
    "National Center for Missing & Exploited Children",
    "Shared Hope International",
    "The Annie E. Casey Foundation",
    "Juvenile Law Center",
    "The New York Times",
    "National Public Radio",
    "ECPAT-USA",
]
_TOPICS = [
    "commercial sexual exploitation of children",
    "labor trafficking of youth in foster care",
    "trauma-informed advocacy",
    "runaway and homeless youth",
    "online grooming and sextortion",
    "screening tools for caseworkers",
    "survivor-led services",
    "court testimony by child victims",
    "placement stability and safety planning",
    "resilience and protective factors",
]
_TITLE_OPENERS = [
    "What advocates should know about",
    "A new study on",
    "Recognizing the signs of",
    "How one county responds to",
    "Ten years of research on",
    "Listening to survivors of",
    "Best practices in",
    "Frequently asked questions about",
]
_SENTENCES = [
    "Volunteers are often the only adult in a child's life who is not paid to be there.",
    "Researchers interviewed clinicians who work with young survivors every week.",
    "The report recommends that every placement review ask about runaway episodes.",
    "Many victims do not identify as victims, and few disclose at the first meeting.",
    "Caseworkers described a pattern of recruitment through friends and social media.",
    "Stable relationships with caring adults were the strongest protective factor.",
    "Courts in several states now divert exploited minors to services, not detention.",
    "Advocates should document what the child says in the child's own words.",
    "The training walks through three case studies drawn from real court files.",
    "A survivor-mentor program reduced repeat runaway episodes by nearly half.",
    "Screening takes about fifteen minutes and can be repeated at each visit.",
    "Staff turnover makes it harder for young people to build trust.",
]
_ACCESS = [
    'Registration required. Enter your contact information and choose "I am a'
    ' CASA/GAL Volunteer Advocate".',
    "Log in with your program account; ask your supervisor for the access code.",
    "Free, no account needed. The recording starts after a short introduction.",
    "Sign up with your email address; the link to the recording arrives within an hour.",
]
_WATCH = ["Netflix", "iTunes", "Vimeo", "Google Play", "Amazon", "DVD", "Kanopy"]
_KINDS = ["article", "article", "recording", "article", "link", "film", "campaign", "recording"]


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _item(rng: random.Random, n: int, with_url: bool) -> dict[str, Any]:
    kind = _KINDS[n % len(_KINDS)]
    topic = rng.choice(_TOPICS)
    title = f"{rng.choice(_TITLE_OPENERS)} {topic}"
    source = rng.choice(_SOURCES)
    item: dict[str, Any] = {"kind": kind, "title": f"{title[0].upper()}{title[1:]} ({n + 1})"}
    if kind != "link":
        item["source"] = source
    item["date"] = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3000))
    item["description"] = " ".join(rng.sample(_SENTENCES, 2))
    if kind == "article":
        item["minutes"] = rng.randrange(4, 25)
        body = " ".join(rng.sample(_SENTENCES, 3))
        item["excerpt"] = f"{body}\n\n*{rng.choice(_SENTENCES)}*"
    elif kind == "recording":
        item["minutes"] = rng.choice([45, 60, 75, 90])
        item["presenter"] = f"Presenter {n + 1}, {source}"
        item["access"] = rng.choice(_ACCESS)
    elif kind == "film":
        item["minutes"] = rng.randrange(70, 120)
        item["where_to_watch"] = rng.sample(_WATCH, 3)
    if with_url or kind == "link":
        host = _slug(source).replace("-", "")[:14] or "example"
        path = _slug(f"{topic} {n + 1}")
        # 60-95 characters: real article addresses, short of the 100 that packetgen
        # warns about (dense codes).
        item["url"] = f"https://www.{host}.example.org/{item['date'].year}/{path}"
    if not with_url:
        item.pop("url", None)
        if kind == "link":  # a link is its URL; without URLs it becomes a note
            item["kind"] = "note"
    return item


def _inservice(rng: random.Random, k: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    topic = _TOPICS[k % len(_TOPICS)]
    return {
        "id": f"inservice-{k + 1:02d}",
        "title": f"In-service {k + 1}: {topic[0].upper()}{topic[1:]}",
        "date": dt.date(2024, 1, 15) + dt.timedelta(days=28 * k),
        "presenter": f"Presenter {k + 1}, Clinical Director, {rng.choice(_SOURCES)}",
        "location": "Example County Courthouse, Training Room B",
        "hours": 1.5,
        "summary": " ".join(rng.sample(_SENTENCES, 3)),
        "items": items,
    }


def packet_spec(
    n_items: int, *, inservices: int = 1, with_url: bool = True, seed: int = 7
) -> dict[str, Any]:
    """A packet of ``n_items`` items spread evenly over ``inservices`` in-services."""
    rng = random.Random(seed)
    per = n_items // inservices
    groups = []
    for k in range(inservices):
        items = [_item(rng, k * per + j, with_url) for j in range(per)]
        groups.append(_inservice(rng, k, items))
    return {
        "title": "Child Trafficking In-service Materials",
        "subtitle": "Benchmark packet",
        "organization": "Example County CASA",
        "paper": "letter",
        "theme": "default",
        "advisory": "This packet discusses the sexual exploitation of children.",
        "inservices": groups,
    }


# ---------------------------------------------------------------- PDFs


def _page_stream(lines: list[str], size: int = 11, top: int = 740, left: int = 72) -> bytes:
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = [f"BT /F1 {size} Tf {size + 3} TL {left} {top} Td"]
    for line in lines:
        ops.append(f"({esc(line)}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def write_text_pdf(path: Path, pages: list[list[str]], *, compress: bool = True) -> None:
    """A Letter PDF with one /Helvetica text page per entry of ``pages``."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    resources = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
                NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/Text")]),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(*LETTER)
        page[NameObject("/Resources")] = resources
        stream = DecodedStreamObject()
        stream.set_data(_page_stream(lines))
        page[NameObject("/Contents")] = writer._add_object(stream)
        if compress:
            page.compress_content_streams()
    writer.add_metadata({"/Producer": "packetgen benchmark", "/Title": path.stem})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        writer.write(fh)


def _handout_pages(rng: random.Random, title: str, count: int) -> list[list[str]]:
    pages = []
    for p in range(count):
        lines = [f"{title} - page {p + 1} of {count}", ""]
        for _ in range(38):
            lines.append(" ".join(rng.sample(_SENTENCES, 1))[:88])
        pages.append(lines)
    return pages


def write_footer_pdf(path: Path, pages: int) -> None:
    """``pages`` Letter pages, each only a small "page N of M" footer (for qpdf --overlay)."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    resources = writer._add_object(
        DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    )
    for n in range(1, pages + 1):
        page = writer.add_blank_page(*LETTER)
        page[NameObject("/Resources")] = resources
        stream = DecodedStreamObject()
        stream.set_data(
            f"BT /F1 9 Tf 480 30 Td (page {n} of {pages}) Tj ET\n"
            f"BT /F1 9 Tf 72 30 Td (Benchmark binder) Tj ET".encode("latin-1")
        )
        page[NameObject("/Contents")] = writer._add_object(stream)
        page.compress_content_streams()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        writer.write(fh)


# ---------------------------------------------------------------- the set


def binder_spec(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The binder packet: one in-service (``binder``) of ``items``."""
    return {
        "title": "Volunteer Binder",
        "organization": "Example County CASA",
        "paper": "letter",
        "theme": "default",
        "inservices": [
            {
                "id": "binder",
                "title": "Handouts and policy manual",
                "date": dt.date(2024, 9, 1),
                "presenter": "Training Coordinator",
                "items": items,
            }
        ],
    }


@dataclass(frozen=True)
class Inputs:
    root: Path
    specs: dict[str, Path]
    """Case name → packet.yaml."""
    handouts: list[Path]
    """Every handout file of the binder packet, in binder order."""
    footer: Path
    handout_pages: int


HANDOUTS = 20
HANDOUT_PAGES = 25
MANUAL_PAGES = 500


def _dump(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def generate(root: Path) -> Inputs:
    """Write every input under ``root`` (unchanged files are left alone)."""
    specs = {
        "items10": _dump(root / "items10" / "packet.yaml", packet_spec(10)),
        "items40": _dump(root / "items40" / "packet.yaml", packet_spec(40)),
        "items40-nourl": _dump(
            root / "items40-nourl" / "packet.yaml", packet_spec(40, with_url=False)
        ),
        "items160": _dump(root / "items160" / "packet.yaml", packet_spec(160)),
        "items640": _dump(
            root / "items640" / "packet.yaml",
            packet_spec(640, inservices=640 // ITEMS_PER_INSERVICE),
        ),
        "jobs4x40": _dump(root / "jobs4x40" / "packet.yaml", packet_spec(160, inservices=4)),
    }

    folder = root / "binder"
    items = []
    handouts = []
    for h in range(HANDOUTS):
        title = f"Handout {h + 1}: {_TOPICS[h % len(_TOPICS)]}"
        path = folder / "handouts" / f"handout-{h + 1:02d}.pdf"
        if not path.is_file():
            write_text_pdf(path, _handout_pages(random.Random(100 + h), title, HANDOUT_PAGES))
        handouts.append(path)
        relative = path.relative_to(folder).as_posix()
        items.append({"kind": "handout", "title": title, "file": relative})
    manual = folder / "handouts" / "policy-manual.pdf"
    if not manual.is_file():
        write_text_pdf(manual, _handout_pages(random.Random(13), "Policy manual", MANUAL_PAGES))
    handouts.append(manual)
    items.append(
        {"kind": "handout", "title": "Program policy manual", "file": "handouts/policy-manual.pdf"}
    )
    specs["binder"] = _dump(folder / "packet.yaml", binder_spec(items))
    # The same packet without a page of handout: each handout is a note of the same
    # title, so binder1000 - binder0 is what the 1,000 merged pages cost.
    notes = [{"kind": "note", "title": item["title"]} for item in items]
    specs["binder0"] = _dump(root / "binder0" / "packet.yaml", binder_spec(notes))

    total = HANDOUTS * HANDOUT_PAGES + MANUAL_PAGES
    footer = root / "qpdf" / "footer.pdf"
    if not footer.is_file():
        write_footer_pdf(footer, total)
    return Inputs(root, specs, handouts, footer, total)


def set_excerpt(spec: Path, text: str, *, inservice: int = 0, item: int = 0) -> None:
    """Replace one article's excerpt in ``spec`` (the "one item's text changed" edit)."""
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    target = data["inservices"][inservice]["items"][item]
    assert target["kind"] == "article", target
    target["excerpt"] = text
    _dump(spec, data)
