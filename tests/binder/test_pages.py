"""Every page, read back: running headers, page numbers, blank pages, links, outline, metadata.

The packet is a duplex one with an inline handout and handouts of odd page
counts, so that binders and packet.pdf both need filler pages, and its
in-services' handouts would clash by name if anchors were not made unique.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

import packetgen
from packetgen.build.pipeline import BuildResult, build

from ..conftest import CORPUS, page_texts

pytestmark = pytest.mark.slow

SPEC = """\
title: Duplex Packet
organization: Test CASA
duplex: true
inservices:
  - id: first
    title: First In-service
    handout_placement: inline
    items:
      - kind: handout
        title: Frequently Asked Questions
        file: faq.pdf
      - kind: note
        title: Read this after the questions
        description: This note comes after an inline handout.
      - kind: link
        title: Program site
        url: https://example.org/first
  - id: second
    title: Second In-service
    items:
      - kind: handout
        title: Pages of every size
        file: mixed.pdf
      - kind: handout
        title: Stages of Change
        file: stages.pdf
      - kind: link
        title: Another site
        url: https://example.org/second
"""


@pytest.fixture(scope="module")
def duplex(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    folder = tmp_path_factory.mktemp("duplex")
    shutil.copy(CORPUS / "faq.pdf", folder / "faq.pdf")
    shutil.copy(CORPUS / "mixed-page-sizes.pdf", folder / "mixed.pdf")
    shutil.copy(CORPUS / "stages.pdf", folder / "stages.pdf")
    spec = folder / "packet.yaml"
    spec.write_text(SPEC)
    result = build(spec, folder / "out", format="pdf")
    return folder / "out", result


def _outputs(out: Path) -> list[Path]:
    return [out / "first.pdf", out / "second.pdf", out / "packet.pdf"]


_STAMPS = re.compile(r"Duplex Packet (?P<running>.+?) page (?P<number>\d+) of (?P<total>\d+)$")


def _running(text: str) -> str | None:
    """The running title stamped on a page (the stamps come last in its text)."""
    match = _STAMPS.search(text)
    return match["running"] if match else None


def test_every_page_but_the_cover_has_its_running_header(
    duplex: tuple[Path, BuildResult],
) -> None:
    out, _ = duplex
    handouts = {"Frequently Asked Questions", "Pages of every size", "Stages of Change"}
    for pdf in _outputs(out)[:2]:
        texts = page_texts(pdf)
        title = "First In-service" if pdf.stem == "first" else "Second In-service"
        # The cover carries the titles itself: its stamps are the page number alone.
        assert texts[0].endswith("IN-SERVICE First In-service page 1 of 8") or texts[0].endswith(
            f"IN-SERVICE {title} page 1 of {len(texts)}"
        )
        for number, text in enumerate(texts[1:], start=2):
            if "This page is intentionally blank" in text:
                continue
            running = _running(text)
            assert running in {title, *handouts}, (pdf.name, number, text[-120:])


def test_after_an_inline_handout_the_header_is_the_in_service_again(
    duplex: tuple[Path, BuildResult],
) -> None:
    out, _ = duplex
    texts = page_texts(out / "first.pdf")
    runnings = [_running(t) for t in texts]
    handout = runnings.index("Frequently Asked Questions")
    after = [i for i, t in enumerate(texts) if "This note comes after an inline handout" in t]
    assert after
    assert after[0] > handout
    assert runnings[after[0]] == "First In-service"


def test_blank_pages_say_so_and_are_numbered_in_every_output(
    duplex: tuple[Path, BuildResult],
) -> None:
    out, _ = duplex
    for pdf in _outputs(out):
        reader = PdfReader(pdf)
        texts = page_texts(pdf)
        total = len(texts)
        assert total % 2 == 0, pdf.name  # printed on both sides, it ends on a left page
        blanks = [i for i, t in enumerate(texts) if "This page is intentionally blank" in t]
        assert blanks, pdf.name
        for i in blanks:
            if pdf.name == "packet.pdf" and reader.page_labels[i].isalpha():
                continue  # a filler of the front matter, which prints no numbers
            assert re.search(r"page \d+ of \d+", texts[i]), (pdf.name, i, texts[i])
        if pdf.name != "packet.pdf":
            for i, text in enumerate(texts):
                assert f"page {i + 1} of {total}" in text, (pdf.name, i)


def test_in_services_and_handouts_start_on_right_hand_pages(
    duplex: tuple[Path, BuildResult],
) -> None:
    out, _ = duplex
    packet = packetgen.load_packet(out.parent / "packet.yaml")
    for pdf in _outputs(out)[:2]:
        runnings = [_running(t) for t in page_texts(pdf)]
        for item in packet.inservices[0 if pdf.stem == "first" else 1].items:
            if item.file is None:
                continue
            first = runnings.index(item.title)
            assert first % 2 == 0, (pdf.name, item.title, first + 1)  # an odd page number
    labels = PdfReader(out / "packet.pdf").page_labels
    for number in (1, 2):
        start = labels.index(f"{number}-1")
        assert start % 2 == 0, (number, start + 1)


def _targets(reader: PdfReader) -> list[tuple[int, int]]:
    """(page of the link, page it goes to) for every internal link annotation."""
    pages = {
        p.indirect_reference.idnum: i for i, p in enumerate(reader.pages) if p.indirect_reference
    }
    dests = reader.named_destinations
    found = []
    for index, page in enumerate(reader.pages):
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            dest = annot.get("/Dest")
            action = annot.get("/A")
            if dest is None and action is not None and action.get_object().get("/S") == "/GoTo":
                dest = action.get_object()["/D"]
            if dest is None:
                continue
            if not isinstance(dest, ArrayObject):
                name = str(dest)
                assert name in dests, f"link to an unknown destination {name!r}"
                found.append((index, reader.get_destination_page_number(dests[name])))
            else:
                found.append((index, pages[dest[0].idnum]))
    return found


def test_every_link_of_packet_pdf_stays_in_its_part(duplex: tuple[Path, BuildResult]) -> None:
    out, _ = duplex
    reader = PdfReader(out / "packet.pdf")
    labels = reader.page_labels
    links = _targets(reader)
    assert len(links) > 10
    for source, target in links:
        part = labels[source].split("-")[0]
        if labels[source].isalpha():
            continue  # the front matter's contents link to the parts
        assert labels[target].split("-")[0] == part, (labels[source], labels[target])
    # The contents of the second part leads to the second part's handouts.
    second = [i for i, label in enumerate(labels) if label.startswith("2-")]
    from_contents = [target for source, target in links if source == second[1]]
    assert from_contents
    assert all(target in second for target in from_contents)


def test_named_destinations_are_unique_to_their_part(duplex: tuple[Path, BuildResult]) -> None:
    out, _ = duplex
    names = list(PdfReader(out / "packet.pdf").named_destinations)
    assert len(names) == len(set(names))
    assert "first-handout-1" in names
    assert "second-handout-1" in names


def _flatten(
    reader: PdfReader, outline: list[object], depth: int = 0
) -> list[tuple[int, int, str]]:
    found = []
    for entry in outline:
        if isinstance(entry, list):
            found += _flatten(reader, entry, depth + 1)
        else:
            found.append((depth, reader.get_destination_page_number(entry), entry.title))  # type: ignore[arg-type, attr-defined]
    return found


def test_outline_is_in_page_order(duplex: tuple[Path, BuildResult]) -> None:
    out, _ = duplex
    for pdf in _outputs(out):
        reader = PdfReader(pdf)
        entries = _flatten(reader, reader.outline)
        pages = [page for _depth, page, _title in entries]
        assert pages == sorted(pages), (pdf.name, entries)
        titles = [title for _d, _p, title in entries]
        # No part ends with a second copy of its own title nested under it.
        for (d1, _p1, t1), (d2, _p2, t2) in itertools.pairwise(entries):
            assert not (t1 == t2 and d2 == d1 + 1), (pdf.name, t1)
        if pdf.name != "packet.pdf":
            assert "Pages of every size" in titles or "Frequently Asked Questions" in titles


def test_every_output_declares_pdf_ua_in_xmp(duplex: tuple[Path, BuildResult]) -> None:
    out, _ = duplex
    for pdf in _outputs(out):
        reader = PdfReader(pdf)
        metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert "<pdfuaid:part>1</pdfuaid:part>" in metadata, pdf.name
        assert "Duplex Packet" in metadata or "In-service" in metadata


def test_handout_pages_are_figures_with_alternate_text(duplex: tuple[Path, BuildResult]) -> None:
    out, _ = duplex
    reader = PdfReader(out / "second.pdf")
    tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    figures: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if not isinstance(node, DictionaryObject):
            continue
        if node.get("/S") == "/Figure":
            figures.append(str(node["/Alt"]))
        kids = node.get("/K")
        stack.extend(kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else [])
    assert "Pages of every size, page 1 of 5" in figures
    assert "Stages of Change, page 1 of 1" in figures


def test_a_theme_edited_in_one_process_is_laid_out_again(tmp_path: Path) -> None:
    theme = tmp_path / "look"
    theme.mkdir()
    (theme / "print.css").write_text(":root { --accent: #114477 }\n")
    spec = tmp_path / "packet.yaml"
    spec.write_text("title: T\ntheme: look\ninservices:\n  - id: one\n    title: One\n")
    first = build(spec, tmp_path / "out", format="pdf")
    before = (tmp_path / "out" / "one.pdf").read_bytes()
    (theme / "print.css").write_text(":root { --accent: #aa2200 }\n")
    second = build(spec, tmp_path / "out", format="pdf")
    assert [o.cached for o in second.outputs if o.path.name == "one.pdf"] == [False]
    assert (tmp_path / "out" / "one.pdf").read_bytes() != before
    assert first.outputs


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_finds_no_error_in_any_output(duplex: tuple[Path, BuildResult]) -> None:
    out, _ = duplex
    for pdf in _outputs(out):
        check = subprocess.run(
            ["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, (pdf.name, check.stdout[-800:], check.stderr[-800:])


def test_every_tagged_page_of_packet_pdf_finds_its_elements(
    duplex: tuple[Path, BuildResult],
) -> None:
    """The parts' parent-tree keys are renumbered apart, and every key a page or
    link names leads to elements of that page."""
    out, _ = duplex
    reader = PdfReader(out / "packet.pdf")
    tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    nums = tree["/ParentTree"].get_object()["/Nums"]
    parent_tree = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    assert int(tree["/ParentTreeNextKey"]) > max(parent_tree)
    seen: set[int] = set()
    for index, page in enumerate(reader.pages):
        if "/StructParents" not in page:
            continue
        key = int(page["/StructParents"])
        assert key not in seen, (index, key)
        seen.add(key)
        # A duplex filler has no content but artifacts: an empty entry.
        elements = [e.get_object() for e in parent_tree[key] if e is not None]
        assert elements or "intentionally blank" in page.extract_text(), index
        for element in elements:
            assert element["/Pg"].indirect_reference == page.indirect_reference, index
    document = tree["/K"][0].get_object()
    assert document["/S"] == "/Document"
    assert [kid.get_object()["/S"] for kid in document["/K"]] == ["/Part"] * 3


def test_form_fields_stay_fillable_in_packet_pdf(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "evaluation-form-fillable.pdf", tmp_path / "form.pdf")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: Forms\ninservices:\n"
        + "".join(
            f"  - id: {name}\n    title: {name.title()} session\n    items:\n"
            "      - kind: handout\n        title: Evaluation\n        file: form.pdf\n"
            for name in ("morning", "evening")
        )
    )
    build(spec, tmp_path / "out", format="pdf")
    binder_fields = PdfReader(tmp_path / "out" / "morning.pdf").get_fields() or {}
    fields = PdfReader(tmp_path / "out" / "packet.pdf").get_fields() or {}
    assert binder_fields
    assert len(fields) == 2 * len(binder_fields)
    assert any(name.startswith("morning") for name in fields)
    assert any(name.startswith("evening") for name in fields)
