"""Binders built from the real handout corpus, read back and rendered."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from packetgen import HandoutError, PacketgenError
from packetgen.binder.files import bind_files
from packetgen.binder.plan import MARGIN_PT, PAPER_PT
from packetgen.build.pipeline import BuildResult, build

from ..conftest import CORPUS, EXAMPLE, page_texts

pytestmark = pytest.mark.slow

# (file, title, extra spec lines, output pages)
HANDOUTS: list[tuple[str, str, str, int]] = [
    ("faq.pdf", "Webinar FAQ", "", 1),
    ("csec-deck.pdf", "CSEC slides", "layout: 3-up", 3),
    ("redflags.pdf", "Possible indicators", "", 1),
    ("stages.pdf", "Stages of Change (PDF/A)", "", 1),
    ("scan-image-only.pdf", "Scanned sheet", "", 1),
    ("encrypted-no-user-password.pdf", "Restricted FAQ", "", 1),
    ("encrypted-needs-password.pdf", "Protected stages", "password: casa2026", 1),
    ("rotated-pages.pdf", "Rotated pages", "", 2),
    ("mixed-page-sizes.pdf", "Mixed sizes", "", 5),
    ("with-bookmarks-and-links.pdf", "Resource guide", "", 3),
    ("evaluation-form-fillable.pdf", "Evaluation (morning)", "", 1),
    ("evaluation-form-fillable.pdf", "Evaluation (afternoon)", "", 1),
    ("handout-photo.jpg", "Photo of a handout", "", 1),
    ("handout-phone-exif-rotated.jpg", "Phone photo", "", 1),
    ("handout-screenshot.png", "Screenshot", "", 1),
]


def corpus_spec(folder: Path, *, duplex: bool = False, extra_items: str = "") -> Path:
    (folder / "files").mkdir(parents=True, exist_ok=True)
    items = []
    for name, title, extra, _pages in HANDOUTS:
        shutil.copy(CORPUS / name, folder / "files" / name)
        kind = "presentation" if "layout" in extra else "handout"
        lines = [f"      - kind: {kind}", f"        title: {title}", f"        file: files/{name}"]
        if extra:
            lines.append(f"        {extra}")
        items.append("\n".join(lines))
    spec = folder / "packet.yaml"
    spec.write_text(
        "title: Corpus Packet\norganization: Test CASA\n"
        f"duplex: {'true' if duplex else 'false'}\n"
        "inservices:\n  - id: corpus\n    title: Every kind of handout\n    items:\n"
        + "\n".join(items)
        + extra_items
        + "\n"
    )
    return spec


@pytest.fixture(scope="module")
def corpus_binder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    folder = tmp_path_factory.mktemp("corpus")
    spec = corpus_spec(folder)
    result = build(spec, folder / "out", format="pdf", only=["corpus"])
    return folder / "out" / "corpus.pdf", result


def toc_entries(contents: str) -> dict[str, int]:
    """'IN BINDER <title> ....... N' entries of the contents page."""
    found = {}
    for title, number in re.findall(r"IN BINDER (.+?) ?\.{4,} ?(\d+)", contents):
        found[title.strip()] = int(number)
    return found


def test_page_count_is_packet_pages_plus_handout_pages(
    corpus_binder: tuple[Path, BuildResult],
) -> None:
    pdf, result = corpus_binder
    pages = page_texts(pdf)
    starts = toc_entries(" ".join(pages[1:3]))
    first_handout = min(starts.values())
    packet_pages = first_handout - 1
    handout_pages = sum(n for *_rest, n in HANDOUTS)
    assert len(PdfReader(pdf).pages) == packet_pages + handout_pages
    assert result.outputs[0].pages == packet_pages + handout_pages


def test_toc_numbers_are_where_each_handout_starts(corpus_binder: tuple[Path, BuildResult]) -> None:
    pdf, _ = corpus_binder
    pages = page_texts(pdf)
    starts = toc_entries(" ".join(pages[1:3]))
    assert set(starts) == {title for _n, title, *_ in HANDOUTS}
    expected_text = {
        "Webinar FAQ": "Frequently Asked Questions",
        "Possible indicators": "Possible indicators of exploitation",
        "Stages of Change (PDF/A)": "Stages of Change",
        "Restricted FAQ": "Frequently Asked Questions",
        "Protected stages": "Stages of Change",
        "Resource guide": "Community resources guide",
        "Evaluation (morning)": "In-service evaluation",
        "CSEC slides": "Understanding commercial sexual exploitation",
    }
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    for (title, page), following in zip(
        ordered, [*ordered[1:], (None, len(pages) + 1)], strict=True
    ):
        text = pages[page - 1]
        # The running header names the handout on its pages.
        assert title in text, (title, page)
        if title in expected_text:
            assert expected_text[title] in text, (title, page, text[:200])
        # ...and the page before belongs to something else.
        assert title not in pages[page - 2] or page - 2 < 3
        assert following[1] - page == next(n for _f, t, _e, n in HANDOUTS if t == title)


def _outline(reader: PdfReader, entries: list[Any]) -> Iterator[tuple[int, str, int]]:
    def walk(items: list[Any], depth: int) -> Iterator[tuple[int, str, int]]:
        for entry in items:
            if isinstance(entry, list):
                yield from walk(entry, depth + 1)
            else:
                yield depth, entry.title, reader.get_destination_page_number(entry)

    return walk(entries, 0)


def test_outline_has_each_handout_with_its_own_bookmarks_nested(
    corpus_binder: tuple[Path, BuildResult],
) -> None:
    pdf, _ = corpus_binder
    reader = PdfReader(pdf)
    tree = list(_outline(reader, reader.outline))
    top = [title for depth, title, _ in tree if depth == 0]
    for _name, title, *_ in HANDOUTS:
        assert title in top
    guide = next(i for i, (d, t, _) in enumerate(tree) if d == 0 and t == "Resource guide")
    nested = []
    for depth, title, page in tree[guide + 1 :]:
        if depth == 0:
            break
        nested.append((depth, title, page))
    guide_page = tree[guide][2]
    assert [t for _d, t, _p in nested] == [
        "Community resources guide",
        "Section 1: Hotlines",
        "Section 2: Shelters",
        "Section 3: Legal aid",
    ]
    assert [p - guide_page for _d, _t, p in nested] == [0, 0, 1, 2]
    starts = toc_entries(" ".join(page_texts(pdf)[1:3]))
    assert guide_page + 1 == starts["Resource guide"]


def test_page_labels_and_paper(corpus_binder: tuple[Path, BuildResult]) -> None:
    pdf, _ = corpus_binder
    reader = PdfReader(pdf)
    assert reader.page_labels == [str(i + 1) for i in range(len(reader.pages))]
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == PAPER_PT["letter"]
        assert page.get("/Rotate", 0) == 0


_CLIP = re.compile(rb"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re W n\n[^\n]*cm\n/PacketgenPage\d+ Do")


def test_footer_on_every_handout_page_never_overlaps_the_handout(
    corpus_binder: tuple[Path, BuildResult],
) -> None:
    pdf, _ = corpus_binder
    reader = PdfReader(pdf)
    total = len(reader.pages)
    doc = pdfium.PdfDocument(str(pdf))
    starts = toc_entries(" ".join(page_texts(pdf)[1:3]))
    first_handout = min(starts.values()) - 1
    try:
        for index in range(first_handout, total):
            content = reader.pages[index].get_contents()
            assert content is not None
            clips = [tuple(map(float, m)) for m in _CLIP.findall(content.get_data())]
            assert clips, f"page {index + 1} has no handout drawn"
            textpage = doc[index].get_textpage()
            searcher = textpage.search(f"page {index + 1} of {total}")
            hit = searcher.get_next()
            assert hit is not None, f"no footer on page {index + 1}"
            start, count = hit
            boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
            footer_top = max(box[3] for box in boxes)
            for x, y, w, h in clips:
                assert y >= footer_top, (index + 1, y, footer_top)
                assert y >= MARGIN_PT["bottom"] - 0.01
                assert y + h <= PAPER_PT["letter"][1] - MARGIN_PT["top"] + 0.01
                assert x >= MARGIN_PT["left"] - 0.01
                assert x + w <= PAPER_PT["letter"][0] - MARGIN_PT["right"] + 0.01
    finally:
        doc.close()


def test_drawn_pixels_stay_inside_the_handout_area(corpus_binder: tuple[Path, BuildResult]) -> None:
    """Render each handout page; below the handout area only the footer may have ink."""
    pdf, _ = corpus_binder
    doc = pdfium.PdfDocument(str(pdf))
    starts = toc_entries(" ".join(page_texts(pdf)[1:3]))
    try:
        for index in range(min(starts.values()) - 1, len(doc)):
            image = doc[index].render(scale=1).to_pil().convert("L")
            width, height = image.size
            band_top = height - int(MARGIN_PT["bottom"]) + 1
            footer_band = image.crop((0, band_top, int(width * 0.6), height))
            assert footer_band.getextrema()[0] > 200, f"ink under the handout on page {index + 1}"
    finally:
        doc.close()


def test_links_and_form_fields_survive(corpus_binder: tuple[Path, BuildResult]) -> None:
    pdf, result = corpus_binder
    reader = PdfReader(pdf)
    starts = toc_entries(" ".join(page_texts(pdf)[1:3]))
    guide = starts["Resource guide"] - 1
    uris, internal = [], []
    for annot in reader.pages[guide].get("/Annots", []):
        annot = annot.get_object()
        action = annot.get("/A")
        if action is not None and action.get_object().get("/S") == "/URI":
            uris.append(action.get_object()["/URI"])
        elif "/Dest" in annot or (action is not None and action.get_object().get("/S") == "/GoTo"):
            internal.append(annot)
    assert "https://example.org/resources" in uris
    assert internal
    dest = internal[0].get("/Dest") or internal[0]["/A"].get_object()["/D"]
    target = dest[0].get_object() if isinstance(dest, list) else None
    assert target is not None
    assert reader.get_page_number(reader.pages[guide + 1]) == [
        p.indirect_reference for p in reader.pages
    ].index(target.indirect_reference)
    # The handout-only link is in the appendix with a QR code.
    assert "https://example.org/resources" in [url for _n, url in result.links]
    fields = reader.get_fields() or {}
    names = sorted(name for name in fields if name.count(".") >= 1 and fields[name].get("/FT"))
    morning = [n for n in names if n.startswith("corpus-h11.")]
    afternoon = [n for n in names if n.startswith("corpus-h12.")]
    assert morning
    assert len(morning) == len(afternoon)
    assert len(set(names)) == len(names)
    assert "/Helv" in reader.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"]


def test_warnings_name_encryption_and_untagged_files(
    corpus_binder: tuple[Path, BuildResult],
) -> None:
    _pdf, result = corpus_binder
    joined = "\n".join(result.warnings)
    assert "files/encrypted-no-user-password.pdf: was encrypted by its author" in joined
    # Every untagged file in one line, not a warning each.
    (untagged,) = [w for w in result.warnings if "not tagged for screen readers" in w]
    assert "11 handout files are not tagged for screen readers: files/faq.pdf," in untagged
    assert "files/scan-image-only.pdf" in untagged
    assert "files/handout-photo.jpg" not in untagged  # past the five names shown
    assert "and 6 more; `packetgen check -v " in untagged


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_check(corpus_binder: tuple[Path, BuildResult]) -> None:
    pdf, _ = corpus_binder
    result = subprocess.run(
        ["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-800:]


def test_photo_with_exif_orientation_is_placed_upright(
    corpus_binder: tuple[Path, BuildResult],
) -> None:
    pdf, _ = corpus_binder
    reader = PdfReader(pdf)
    starts = toc_entries(" ".join(page_texts(pdf)[1:3]))
    for title in ("Photo of a handout", "Phone photo"):
        content = reader.pages[starts[title] - 1].get_contents()
        assert content is not None
        (_x, _y, w, h), *_ = [tuple(map(float, m)) for m in _CLIP.findall(content.get_data())]
        assert h > w, f"{title} is not upright"


@pytest.mark.parametrize(
    ("layout", "pages"), [("1-up", 8), ("2-up", 4), ("3-up", 3), ("4-up", 2), ("6-up", 2)]
)
def test_slide_layouts(tmp_path: Path, layout: str, pages: int) -> None:
    shutil.copy(CORPUS / "csec-deck.pdf", tmp_path / "deck.pdf")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: s\n    title: S\n    items:\n"
        f"      - kind: presentation\n        title: Deck\n        file: deck.pdf\n        layout: {layout}\n"
    )
    result = build(spec, tmp_path / "out", format="pdf", only=["s"])
    pdf = tmp_path / "out" / "s.pdf"
    all_text = page_texts(pdf)
    deck_pages = [t for t in all_text if "Deck" in t and "page" in t][-pages:]
    assert len(deck_pages) == pages
    reader = PdfReader(pdf)
    assert result.outputs[0].pages == len(reader.pages)
    if layout != "1-up":
        per_page = math.ceil(8 / pages)
        assert "Slide 1" in deck_pages[0]
        assert f"Slide {per_page}" in deck_pages[0]
        assert "Slide 8" in deck_pages[-1]


def test_duplex_starts_every_handout_on_a_right_hand_page(tmp_path: Path) -> None:
    spec = corpus_spec(tmp_path, duplex=True)
    build(spec, tmp_path / "out", format="pdf", only=["corpus"])
    pdf = tmp_path / "out" / "corpus.pdf"
    pages = page_texts(pdf)
    starts = toc_entries(" ".join(pages[1:3]))
    for title, page in starts.items():
        assert page % 2 == 1, (title, page)
        assert title in pages[page - 1]
    blanks = [i for i, t in enumerate(pages) if "This page is intentionally blank" in t]
    assert blanks
    for i in blanks:
        assert "page" in pages[i]  # still numbered


BAD_FILES = [
    ("encrypted-needs-password.pdf", "the file is protected with a password"),
    ("truncated.pdf", "the file is damaged or incomplete"),
    ("not-really-a-pdf.pdf", "this is an HTML web page saved with a .pdf name, not a PDF"),
    ("empty.pdf", "the file is empty (0 bytes)"),
    ("faq.docx", "LibreOffice"),
]


@pytest.mark.parametrize(("name", "phrase"), BAD_FILES)
def test_bad_files_fail_clearly_and_keep_the_earlier_binder(
    tmp_path: Path, name: str, phrase: str
) -> None:
    if name.endswith(".docx") and shutil.which("soffice"):
        pytest.skip("LibreOffice is installed: the .docx converts")
    shutil.copy(CORPUS / "faq.pdf", tmp_path / "faq.pdf")
    shutil.copy(CORPUS / name, tmp_path / name)
    spec = tmp_path / "packet.yaml"
    good = "title: T\ninservices:\n  - id: s\n    title: S\n    items:\n      - kind: handout\n        title: FAQ\n        file: faq.pdf\n"
    spec.write_text(good)
    out = tmp_path / "out"
    build(spec, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    spec.write_text(good + f"      - kind: handout\n        title: Bad one\n        file: {name}\n")
    with pytest.raises(HandoutError) as info:
        build(spec, out)
    message = str(info.value)
    assert message.startswith(f"{spec}:11:15: inservices[0].items[1].file: {name}: Bad one: ")
    assert phrase in message
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(CORPUS / "encrypted-needs-password.pdf", tmp_path / "locked.pdf")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: s\n    title: S\n    items:\n"
        "      - kind: handout\n        title: Locked\n        file: locked.pdf\n        password_env: PG_TEST_PDF_PASSWORD\n"
    )
    monkeypatch.setenv("PG_TEST_PDF_PASSWORD", "casa2026")
    build(spec, tmp_path / "out", format="pdf")
    assert "Stages of Change" in " ".join(page_texts(tmp_path / "out" / "s.pdf"))


def test_bind_files_library_api(tmp_path: Path) -> None:
    for name in ("faq.pdf", "stages.pdf", "handout-photo.jpg"):
        shutil.copy(CORPUS / name, tmp_path / name)
    bound = bind_files(
        [
            ("FAQ", tmp_path / "faq.pdf"),
            ("Stages", tmp_path / "stages.pdf"),
            ("Photo", tmp_path / "handout-photo.jpg"),
        ],
        tmp_path / "bound.pdf",
        title="Quick binder",
        paper="a4",
    )
    reader = PdfReader(tmp_path / "bound.pdf")
    assert len(reader.pages) == bound.pages
    titles = [e.title for e in reader.outline if not isinstance(e, list)]
    assert {"FAQ", "Stages", "Photo"} <= set(titles)
    pages = page_texts(tmp_path / "bound.pdf")
    starts = toc_entries(" ".join(pages[1:3]))
    assert "Frequently Asked Questions" in pages[starts["FAQ"] - 1]
    assert round(float(reader.pages[0].mediabox.width)) == 595
    with pytest.raises(PacketgenError):
        bind_files([], tmp_path / "none.pdf", title="Nothing")


def test_example_binders_include_their_handouts(tmp_path: Path) -> None:
    result = build(
        EXAMPLE, tmp_path, format="pdf", only=["csec-understanding", "advocating-webinar"]
    )
    pages = {o.inservice: o.pages for o in result.outputs if o.kind == "binder"}
    csec = page_texts(tmp_path / "csec-understanding.pdf")
    starts = toc_entries(" ".join(csec[1:2]))
    assert starts == {
        "Session handout": 5,
        "Understanding and Supporting Victims of CSEC: slides": 8,
    }
    # Packet pages, handouts and the evaluation (the roster is in the facilitator's kit).
    assert pages["csec-understanding"] == 7 + 3 + 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_office_files_convert_into_the_binder(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "faq.docx", tmp_path / "faq.docx")
    shutil.copy(CORPUS / "csec-deck.pptx", tmp_path / "deck.pptx")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: s\n    title: S\n    items:\n"
        "      - kind: handout\n        title: FAQ from Word\n        file: faq.docx\n"
        "      - kind: presentation\n        title: Deck from PowerPoint\n        file: deck.pptx\n"
        "        layout: 4-up\n"
    )
    build(spec, tmp_path / "out", format="pdf")
    pages = page_texts(tmp_path / "out" / "s.pdf")
    starts = toc_entries(" ".join(pages[1:3]))
    assert "Frequently Asked Questions" in pages[starts["FAQ from Word"] - 1]
    deck = pages[starts["Deck from PowerPoint"] - 1]
    assert "Slide 1" in deck
    assert "Slide 4" in deck
    assert len(pages) == starts["Deck from PowerPoint"] + 1  # 8 slides, 4 to a page


def test_inline_placement_puts_each_handout_after_its_item(tmp_path: Path) -> None:
    for name in ("faq.pdf", "stages.pdf"):
        shutil.copy(CORPUS / name, tmp_path / name)
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: s\n    title: S\n    handout_placement: inline\n    items:\n"
        "      - kind: handout\n        title: FAQ sheet\n        file: faq.pdf\n"
        "      - kind: note\n        title: Between the handouts\n        description: Read this after the FAQ.\n"
        "      - kind: handout\n        title: Stages sheet\n        file: stages.pdf\n"
        "      - kind: link\n        title: After everything\n        url: https://example.org/\n"
    )
    build(spec, tmp_path / "out", format="pdf")
    pages = page_texts(tmp_path / "out" / "s.pdf")
    starts = toc_entries(pages[1])
    faq, stages = starts["FAQ sheet"], starts["Stages sheet"]
    assert "Frequently Asked Questions" in pages[faq - 1]
    assert "Stages of Change" in pages[stages - 1]
    note = next(i for i, t in enumerate(pages) if "Between the handouts" in t and i > 1) + 1
    last = next(i for i, t in enumerate(pages) if "After everything" in t and i > 1) + 1
    assert faq < note < stages < last
    assert "Links in this packet" in pages[-1]
