"""Addresses printed in a handout's text get codes in the links appendix, as its
link annotations do, and ``check``, ``links`` and ``build`` count the same links."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import weasyprint
import zxingcpp

from packetgen import load_packet
from packetgen.build.checkup import check
from packetgen.build.scan import packet_links
from packetgen.cli import main
from packetgen.content import links as links_module
from packetgen.content.addresses import comparable
from packetgen.content.links import collect_links, register_handout_links
from packetgen.spec.loader import packet_from_data

from ..conftest import EXAMPLE, ExampleBuild, page_texts

PRINTED = "https://plain-text-url.example.org/page"
WIKI = "https://example.org/wiki/Foo_(bar)"
SPEC_URL = "https://nationalcasagal.org/"


def printed_handout(path: Path) -> Path:
    """A one-page handout that prints addresses as plain text: no link annotations."""
    html = f"""
        <p>Visit {PRINTED}</p>
        <p>Our sources (see {WIKI}). The association: https://NationalCASAGAL.org</p>
        <p>Again: {PRINTED}.</p>
    """
    weasyprint.HTML(string=html).write_pdf(path)
    assert not any("/Annots" in page for page in pypdf.PdfReader(path).pages)
    return path


@pytest.fixture
def printed_packet(tmp_path: Path) -> Path:
    printed_handout(tmp_path / "guide.pdf")
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        textwrap.dedent(
            f"""\
            title: Printed links
            inservices:
              - id: one
                title: One
                items:
                  - kind: recording
                    title: Webinar
                    url: {SPEC_URL}
                  - kind: handout
                    title: Guide handout
                    file: guide.pdf
                    tagged: false
            """
        ),
        encoding="utf-8",
    )
    return spec


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _check_count(capsys: pytest.CaptureFixture[str], spec: Path, out: Path) -> int:
    code, text, err = run(capsys, "check", str(spec), "-o", str(out), "--no-cache")
    assert code == 0, err
    counted = re.search(r"\b(\d+) links?,", text)
    assert counted is not None, text
    return int(counted.group(1))


def _listed(capsys: pytest.CaptureFixture[str], spec: Path) -> list[str]:
    code, text, err = run(capsys, "links", str(spec), "--format", "json")
    assert code == 0, err
    return [row["url"] for row in json.loads(text)]


def test_printed_addresses_get_codes_in_the_appendix(
    printed_packet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = printed_packet.parent / "out"
    code, text, err = run(
        capsys, "build", str(printed_packet), "-o", str(out), "--format", "pdf", "--no-cache",
        "-j", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(text)
    built = [link["url"] for link in report["links"]]
    # The handout's own spelling of the spec's address is that link, not a new one.
    assert built == [SPEC_URL, PRINTED, WIKI]
    assert any("guide.pdf adds 2 links to the appendix" in w for w in report["warnings"])

    binder = out / "one.pdf"
    texts = page_texts(binder)
    [appendix] = [n for n, t in enumerate(texts) if "Scan a code with your phone" in t]
    # Each card names the handout and the address as it is typed (a long one may wrap).
    cards = texts[appendix].replace("/ ", "/")
    assert "Guide handout plain-text-url.example.org/page" in cards
    assert "Guide handout example.org/wiki/Foo_(bar)" in cards
    doc = pdfium.PdfDocument(str(binder))
    try:
        image = doc[appendix].render(scale=150 / 72).to_pil().convert("L")
    finally:
        doc.close()
    assert {r.text for r in zxingcpp.read_barcodes(image)} >= {PRINTED, WIKI, SPEC_URL}

    # check, links and build count the same links.
    assert _listed(capsys, printed_packet) == built
    assert _check_count(capsys, printed_packet, printed_packet.parent / "checked") == len(built)


def test_check_links_and_build_agree_on_the_example(
    example_build: ExampleBuild, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = [url for _number, url in example_build.result.links]
    # The example's handouts add links of their own (the session handout has one).
    assert len(built) > len(collect_links(load_packet(EXAMPLE)).links)
    assert [ref.url for ref in packet_links(EXAMPLE).links] == built
    result = check(EXAMPLE, tmp_path / "out", cache=False)
    assert result.ok, result.problems
    assert result.links is not None
    assert [ref.url for ref in result.links.links] == built
    assert _check_count(capsys, EXAMPLE, tmp_path / "out") == len(built)


def test_spellings_of_one_address_compare_equal() -> None:
    same = [
        "https://Example.ORG/stra\u00dfe/",
        "https://example.org/stra%c3%9fe",
        "HTTPS://example.org:443/stra%C3%9Fe",
    ]
    assert len({comparable(url) for url in same}) == 1
    assert comparable("https://xn--strae-oqa.de/") == comparable("https://stra\u00dfe.de")
    assert comparable("http://x.org/%7euser") == comparable("http://x.org/~user")
    # Not the same address: another scheme, port, query or path.
    different = [
        "http://x.org/a",
        "https://x.org/a",
        "https://x.org:8443/a",
        "https://x.org/a?b=1",
        "https://x.org/A",
        "https://x.org/a#top",
    ]
    assert len({comparable(url) for url in different}) == len(different)


def _packet(tmp_path: Path) -> Any:
    (tmp_path / "h.pdf").write_bytes(b"%PDF-1.4\n")
    items = [
        {"kind": "article", "title": "Spec article", "url": "https://example.org/article"},
        {"kind": "handout", "title": "H", "file": "h.pdf"},
    ]
    data = {"title": "T", "inservices": [{"id": "a", "title": "A", "items": items}]}
    return packet_from_data(data, folder=tmp_path)


def test_a_handout_address_spelled_twice_is_one_link(tmp_path: Path) -> None:
    packet = _packet(tmp_path)
    found = [
        (1, "https://example.net/guide/"),  # the link annotation
        (1, "https://EXAMPLE.net/guide"),  # the same address printed in the text
        (1, "https://example.org/article/"),  # the spec's article, printed
    ]
    table = register_handout_links(packet, "a", found, collect_links(packet))
    assert [ref.url for ref in table.links] == [
        "https://example.org/article",
        "https://example.net/guide/",
    ]
    assert table.handout_links == 1
    article = table.get("https://example.org/article")
    assert article is not None
    assert [s.item for s in article.sources] == ["Spec article", "H"]


def test_printed_and_annotated_links_share_the_handout_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links_module, "MAX_LINKS_PER_HANDOUT", 2)
    html = "".join(
        f'<p><a href="https://a.example.org/{n}">annotated {n}</a> and https://t.example.org/{n}</p>'
        for n in range(2)
    )
    weasyprint.HTML(string=html).write_pdf(tmp_path / "h.pdf")
    data = {
        "title": "T",
        "inservices": [
            {"id": "a", "title": "A", "items": [{"kind": "handout", "title": "H", "file": "h.pdf"}]}
        ],
    }
    table = packet_links(packet_from_data(data, folder=tmp_path))
    # Annotations first, then what the text prints: the first two are numbered.
    assert [ref.url for ref in table.links] == [
        "https://a.example.org/0",
        "https://a.example.org/1",
    ]
    assert any("h.pdf has 4 links; only the first 2 are numbered" in w for w in table.warnings)


def test_bind_files_gives_printed_addresses_codes_too(tmp_path: Path) -> None:
    """The library's ``bind_files`` numbers a handout's printed addresses as a build does."""
    from packetgen.binder.files import bind_files

    guide = printed_handout(tmp_path / "guide.pdf")
    out = tmp_path / "bound.pdf"
    bind_files([("Guide", guide)], out, title="Printed")
    # The handout's own page prints the addresses too: look at the appendix only.
    appendix = [page for page in page_texts(out) if "Links in this" in page]
    assert appendix, "no links appendix"
    squeezed = appendix[-1].replace(" ", "")  # a long address wraps at its slash
    assert "plain-text-url.example.org/page" in squeezed
    assert "example.org/wiki/Foo_(bar)" in squeezed
