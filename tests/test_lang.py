"""Packets in more than one language: the stamped words, /Lang, and translations of an item.

An English in-service with a Spanish handout, and a Spanish in-service: each
binder speaks its own language in its footer and on its blank pages, names it
in its catalog, and packet.pdf says which part is in which. An item's
translations get numbered codes and their files follow the item's own.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject

from packetgen import PacketgenError, load_packet
from packetgen.binder._stamps import NumberPattern
from packetgen.build.pipeline import BuildResult, build
from packetgen.content.links import collect_links

from .conftest import CORPUS, page_texts

pytestmark = pytest.mark.slow

SPEC = """\
title: Bilingual Packet
organization: Test CASA
duplex: true
inservices:
  - id: english
    title: English In-service
    items:
      - kind: handout
        title: Etapas del cambio
        file: stages.pdf
        language: es
      - kind: handout
        title: Frequently Asked Questions
        file: faq.pdf
        url: https://example.org/faq
        translations:
          - language: es
            title: Preguntas frecuentes
            url: https://example.org/es/preguntas
            file: faq-es.pdf
      - kind: link
        title: Program site
        url: https://example.org/en
  - id: spanish
    title: Capacitación en español
    language: es
    items:
      - kind: handout
        title: Etapas
        file: stages.pdf
      - kind: link
        title: Sitio del programa
        url: https://example.org/es
        translations:
          - language: en
            title: Program site
            file: faq.pdf
"""


def _folder(folder: Path) -> Path:
    shutil.copy(CORPUS / "stages.pdf", folder / "stages.pdf")
    shutil.copy(CORPUS / "faq.pdf", folder / "faq.pdf")
    # A stand-in for the Spanish edition: a file of its own, of five pages.
    shutil.copy(CORPUS / "mixed-page-sizes.pdf", folder / "faq-es.pdf")
    spec = folder / "packet.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    folder = tmp_path_factory.mktemp("bilingual")
    spec = _folder(folder)
    result = build(spec, folder / "out", format="pdf", cache=False)
    return folder / "out", result


def _catalog(pdf: Path) -> Any:
    return PdfReader(pdf).trailer["/Root"]


def _elements(reader: PdfReader) -> Iterator[DictionaryObject]:
    root: Any = reader.trailer["/Root"]
    stack: list[PdfObject | None] = [root["/StructTreeRoot"]]
    while stack:
        item = stack.pop()
        node = item.get_object() if item is not None else None
        if not isinstance(node, DictionaryObject):
            continue
        if "/S" in node:
            yield node
        kids = node.get("/K")
        stack.extend(kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else [])


def test_each_binder_names_its_own_language(bilingual: tuple[Path, BuildResult]) -> None:
    out, _ = bilingual
    assert _catalog(out / "english.pdf")["/Lang"] == "en"
    assert _catalog(out / "spanish.pdf")["/Lang"] == "es"
    assert _catalog(out / "packet.pdf")["/Lang"] == "en"


def test_the_spanish_part_of_the_book_says_so(bilingual: tuple[Path, BuildResult]) -> None:
    out, _ = bilingual
    tree = _catalog(out / "packet.pdf")["/StructTreeRoot"].get_object()
    (document,) = tree["/K"]
    parts = [kid.get_object() for kid in document.get_object()["/K"]]
    # The front matter's elements, then one Part per binder.
    binders = [p for p in parts if p["/S"] == "/Part"][-2:]
    assert [p.get("/Lang") for p in binders] == [None, "es"]


def test_a_spanish_handout_is_a_spanish_figure(bilingual: tuple[Path, BuildResult]) -> None:
    out, _ = bilingual
    figures = {
        str(e["/Alt"]): e.get("/Lang")
        for e in _elements(PdfReader(out / "english.pdf"))
        if str(e["/S"]) == "/Figure"
    }
    # Read aloud in the figure's language, as its /Lang tells the screen reader.
    assert figures["Etapas del cambio, página 1 de 1"] == "es"
    assert figures["Frequently Asked Questions, page 1 of 1"] is None
    assert figures["Preguntas frecuentes (español), página 5 de 5"] == "es"
    spanish = {
        str(e["/Alt"]): e.get("/Lang")
        for e in _elements(PdfReader(out / "spanish.pdf"))
        if str(e["/S"]) == "/Figure"
    }
    # An item without a file of its own: its translation's file goes where its own would.
    assert spanish == {"Etapas, página 1 de 1": None, "Program site (English), page 1 of 1": "en"}


def test_stamps_are_in_the_binders_language(bilingual: tuple[Path, BuildResult]) -> None:
    out, _ = bilingual
    spanish = page_texts(out / "spanish.pdf")
    total = len(spanish)
    for number, text in enumerate(spanish, start=1):
        assert text.endswith(f"página {number} de {total}"), (number, text)
    assert any("Esta página se ha dejado en blanco a propósito" in t for t in spanish)
    assert not any("intentionally" in t for t in spanish)
    english = page_texts(out / "english.pdf")
    assert english[0].endswith(f"page 1 of {len(english)}")
    assert any("This page is intentionally blank" in t for t in english)

    book = page_texts(out / "packet.pdf")
    second = [t for t in book if "Parte 2" in t]
    assert len(second) == total
    assert f"página 1 de {total}" in second[0]
    assert any("Part 1" in t for t in book)
    assert not any("Part 2" in t for t in book)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_finds_no_error(bilingual: tuple[Path, BuildResult]) -> None:
    out, _ = bilingual
    for name in ("english.pdf", "spanish.pdf", "packet.pdf"):
        check = subprocess.run(
            ["qpdf", "--check", str(out / name)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, (name, check.stdout[-800:], check.stderr[-800:])


def test_builds_are_byte_reproducible(bilingual: tuple[Path, BuildResult], tmp_path: Path) -> None:
    out, _ = bilingual
    spec = _folder(tmp_path)
    build(spec, tmp_path / "out", format="pdf", cache=False)
    for name in ("english.pdf", "spanish.pdf", "packet.pdf"):
        assert (tmp_path / "out" / name).read_bytes() == (out / name).read_bytes(), name


# ---------------------------------------------------------------- translations of an item


def test_translation_urls_are_numbered_after_the_items_own(tmp_path: Path) -> None:
    packet = load_packet(_folder(tmp_path))
    numbered = [(ref.url, [s.field for s in ref.sources]) for ref in collect_links(packet).links]
    assert numbered[:3] == [
        ("https://example.org/faq", ["inservices[0].items[1].url"]),
        ("https://example.org/es/preguntas", ["inservices[0].items[1].translations[0].url"]),
        ("https://example.org/en", ["inservices[0].items[2].url"]),
    ]


def test_links_command_lists_translation_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from packetgen.cli import main

    assert main(["links", str(_folder(tmp_path))]) == 0
    assert "https://example.org/es/preguntas" in capsys.readouterr().out


def test_the_translation_follows_the_items_own_pages(bilingual: tuple[Path, BuildResult]) -> None:
    out, _ = bilingual
    texts = page_texts(out / "english.pdf")
    own = [i for i, t in enumerate(texts) if "Frequently Asked Questions page" in t]
    translated = [i for i, t in enumerate(texts) if "Preguntas frecuentes (español) page" in t]
    assert len(own) == 1
    assert len(translated) == 5
    assert translated[0] > own[-1]
    # Only the duplex filler may stand between them.
    assert translated[0] - own[-1] in (1, 2)


def test_a_missing_translation_file_is_a_located_spec_error(tmp_path: Path) -> None:
    spec = _folder(tmp_path)
    (tmp_path / "faq-es.pdf").unlink()
    with pytest.raises(PacketgenError) as caught:
        load_packet(spec)
    message = str(caught.value)
    assert "inservices[0].items[1].translations[0].file" in message
    line = SPEC.splitlines().index("            file: faq-es.pdf") + 1
    assert f"packet.yaml:{line}:" in message


def test_number_patterns_follow_the_languages_order() -> None:
    pattern = NumberPattern.of("page", "{pages} 页中的第 {page} 页", ("page", "pages"))
    assert pattern.keys(page=3, pages=12) == [
        "digit-1",
        "digit-2",
        "page-0",
        "digit-3",
        "page-1",
    ]
    assert pattern.words == (("page-0", " 页中的第 "), ("page-1", " 页"))
    # A mistyped placeholder is printed as written, not a crash.
    odd = NumberPattern.of("page", "p. {page}/{total}", ("page", "pages"))
    assert odd.keys(page=4, pages=9) == ["page-0", "digit-4", "page-1"]


def test_a_changed_translation_file_rebuilds_its_binder(tmp_path: Path) -> None:
    spec = _folder(tmp_path)
    build(spec, tmp_path / "out", format="pdf")
    shutil.copy(CORPUS / "redflags.pdf", tmp_path / "faq-es.pdf")
    again = build(spec, tmp_path / "out", format="pdf")
    rebuilt = {o.path.name for o in again.outputs if not o.cached}
    assert "english.pdf" in rebuilt
    assert "spanish.pdf" not in rebuilt
    texts = page_texts(tmp_path / "out" / "english.pdf")
    assert len([t for t in texts if "Preguntas frecuentes (español) page" in t]) == 1
