"""The HTML page stands on its own (issue 21): its contents lead to what it has, and
each handout and deck is a file beside it (``<id>_files/``), without a browser."""

from __future__ import annotations

import html.parser
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from packetgen.build.pipeline import build, render_html
from packetgen.render.offered import files_folder, offered_sources, steady_pdf
from packetgen.render.wording import file_details
from packetgen.spec.loader import load_packet
from packetgen.text.i18n import strings_for

from ..conftest import CORPUS, EXAMPLE, ExampleBuild


class _Page(html.parser.HTMLParser):
    """The ids, the in-page links and the file links of a page, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.anchors: list[str] = []
        self.files: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        href = found.get("href") or ""
        if tag == "a" and href.startswith("#"):
            self.anchors.append(unquote(href[1:]))
        if tag == "a" and "file-link" in (found.get("class") or "").split():
            self.files.append(unquote(href))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        """The page's text, spaces collapsed (the no-break spaces kept)."""
        return re.sub(r"[ \n]+", " ", "".join(self.text))


def _pages(out: Path) -> dict[str, _Page]:
    return {p.stem: _Page(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.html"))}


def test_the_contents_lead_only_to_what_the_page_has(example_build: ExampleBuild) -> None:
    pages = _pages(example_build.out)
    assert len(pages) == 5
    for name, page in pages.items():
        assert page.anchors, name
        assert [a for a in page.anchors if a not in page.ids] == [], name
    # The paper forms are the binder's; the evaluation is a link to its online form.
    csec = pages["csec-understanding"]
    assert "csec-understanding-evaluation" in csec.anchors
    assert not any(
        a.endswith(("-signin", "-credit-log")) for p in pages.values() for a in p.anchors
    )


def test_each_handout_and_deck_is_a_file_beside_the_page(example_build: ExampleBuild) -> None:
    out, folder = example_build.out, EXAMPLE.parent
    for name, page in _pages(out).items():
        files = out / files_folder(name)
        linked = sorted(page.files)
        if not linked:
            assert not files.exists(), name
            continue
        assert all(href.startswith(f"{files_folder(name)}/") for href in linked)
        # Only what the page links: nothing else is published beside it.
        assert sorted(f"{files.name}/{p.name}" for p in files.iterdir()) == linked
    webinar = out / files_folder("advocating-webinar")
    assert (webinar / "faq.pdf").read_bytes() == (folder / "handouts/faq.pdf").read_bytes()
    # The deck is offered as the PDF the binder makes of it, said so beside its link.
    deck = (out / files_folder("csec-understanding") / "csec-deck.pdf").read_bytes()
    assert deck.startswith(b"%PDF-")
    text = _pages(out)["csec-understanding"].words
    assert "csec-deck.pdf — PDF, 8\u00a0pages, " in text
    assert "(made from csec-deck.pptx)" in text
    assert "(in the printed binder)" not in text


def test_a_stale_file_does_not_linger(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(CORPUS / "faq.pdf", tmp_path / "a" / "faq.pdf")
    shutil.copy(CORPUS / "stages.pdf", tmp_path / "b" / "faq.pdf")
    shutil.copy(CORPUS / "handout-photo.jpg", tmp_path / "photo.jpg")
    spec = """\
        title: T
        inservices:
          - id: one
            title: One
            items:
              - {kind: handout, title: First, file: a/faq.pdf}
              - {kind: handout, title: Same name, file: b/faq.pdf}
              - {kind: handout, title: Photo, file: photo.jpg}
              - {kind: handout, title: First again, file: a/faq.pdf}
        """
    out = tmp_path / "out"
    build(write_spec(spec), out, format="html")
    files = out / "one_files"
    assert sorted(p.name for p in files.iterdir()) == ["faq-2.pdf", "faq.pdf", "photo.jpg"]
    assert (files / "faq-2.pdf").read_bytes() == (CORPUS / "stages.pdf").read_bytes()
    page = _Page((out / "one.html").read_text(encoding="utf-8"))
    assert page.files == [
        f"one_files/{n}" for n in ("faq.pdf", "faq-2.pdf", "photo.jpg", "faq.pdf")
    ]
    assert "photo.jpg — JPEG, " in page.words

    (files / "left-over.pdf").write_bytes(b"%PDF-1.4\n")
    build(write_spec(spec.replace("b/faq.pdf", "photo.jpg")), out, format="html")
    assert sorted(p.name for p in files.iterdir()) == ["faq.pdf", "photo.jpg"]

    build(
        write_spec(spec.split("            items:")[0] + "            items: []\n"),
        out,
        format="html",
    )
    assert not files.exists()
    assert not list(out.glob(".*.tmp"))


def test_a_locked_file_is_not_offered(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    shutil.copy(CORPUS / "encrypted-needs-password.pdf", tmp_path / "locked.pdf")
    shutil.copy(CORPUS / "faq.pdf", tmp_path / "faq.pdf")
    packet = load_packet(
        write_spec("""\
            title: T
            inservices:
              - id: one
                title: One
                items:
                  - {kind: handout, title: Locked, file: locked.pdf, password: casa2026}
                  - {kind: presentation, title: Deck, file: faq.pdf}
            """)
    )
    assert [(s.item, s.name) for s in offered_sources(packet, "one")] == [(1, "faq.pdf")]
    # Without the build's files (the library's render_html), the page names the file.
    assert "File: locked.pdf (in the printed binder)" in render_html(packet, "one", links=None)


def test_what_a_file_is_is_said_in_the_readers_language() -> None:
    nb = "\u00a0"
    assert file_details("PDF", 1, 43_358, strings_for("en")) == f"PDF, 1{nb}page, 44{nb}kB"
    assert file_details("JPEG", None, 300, strings_for("en")) == f"JPEG, 1{nb}kB"
    assert file_details("PDF", 12, 1_450_000, strings_for("es")).endswith(f"1,4{nb}MB")


@pytest.mark.parametrize("epoch", [None, "1700000000"])
def test_a_converted_pdf_is_reproducible(
    monkeypatch: pytest.MonkeyPatch, epoch: str | None
) -> None:
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)

    def converted(when: bytes, doc_id: bytes) -> bytes:
        # The tail LibreOffice writes: its time, and an /ID and checksum made from it.
        return (
            b"%PDF-1.6\n1 0 obj\n<</Producer(LibreOffice)\n/CreationDate(D:"
            + when
            + b"Z')>>\nendobj\ntrailer\n<</Size 2/ID [ <"
            + doc_id
            + b">\n<"
            + doc_id
            + b"> ]\n/DocChecksum /"
            + doc_id
            + b"\n>>\nstartxref\n9\n%%EOF\n"
        )

    first = converted(b"20261201172912", b"C41DF8DC7C1504AE271309B29A8D01B1")
    second = converted(b"20261201172920", b"3BD7CFF73AA162339E8C259D3FB9AAF4")
    assert steady_pdf(first) == steady_pdf(second)
    # Rewritten in place: no offset of the file moves.
    assert len(steady_pdf(first)) == len(first)
    assert b"20261201" not in steady_pdf(first)
    assert (b"/CreationDate(D:20231114221320Z)" in steady_pdf(first)) == (epoch is not None)
