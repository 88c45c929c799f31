"""QR edge cases: IDN hosts, over-capacity URLs, spaces and quotes.

Decision (see SECURITY.md): a QR code carries the URL exactly as the trainer
wrote it in ``url:``, as UTF-8 — ``https://straße.de/`` stays ``straße.de``
and is never mapped to ``strasse.de`` (what Python's IDNA-2003 ``idna`` codec
would do: a different domain). Where a link must be ASCII (PDF link
annotations), the host is its IDNA-2008 A-label, ``xn--strae-oqa.de``
(:func:`packetgen.content.links.to_uri`). Markdown links are normalised by
markdown-it, which already writes A-labels: their QR carries that form.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import weasyprint
import zxingcpp
from pypdf import PdfReader

from packetgen.content.addresses import to_uri
from packetgen.content.qr import make_qr
from packetgen.errors import SpecError
from packetgen.text.markdown import links_in

from . import _cases
from .conftest import MINIMAL, bounded, expect_error

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def scan(url: str) -> list[str]:
    """Encode, lay out with WeasyPrint, rasterise at 150 dpi, decode with zxing-cpp."""
    svg = make_qr(url).svg(title="t", element_id="q")
    pdf = pdfium.PdfDocument(
        weasyprint.HTML(string=f"<body style='margin:10mm'>{svg}</body>").write_pdf()
    )
    try:
        image = pdf[0].render(scale=150 / 72).to_pil()
    finally:
        pdf.close()
    return [code.text for code in zxingcpp.read_barcodes(image, formats=QR_ONLY)]


@pytest.mark.parametrize(
    "url",
    ["https://straße.de/", "https://bücher.example/", "https://bücher.example/pfad?q=ä&r=straße"],
    ids=["qr-idn-eszett", "qr-idn-umlaut", "qr-idn-path-and-query"],
)
def test_qr_carries_the_idn_url_as_written(url: str) -> None:
    assert scan(url) == [url]
    assert "strasse" not in scan(url)[0]


def test_qr_idn_markdown_link_uses_the_a_label() -> None:
    found = links_in("[Straße](https://straße.de/) and [Bücher](https://bücher.example/)")
    assert found == ["https://xn--strae-oqa.de/", "https://xn--bcher-kva.example/"]
    assert scan(found[0]) == ["https://xn--strae-oqa.de/"]


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("https://straße.de/", "https://xn--strae-oqa.de/"),
        ("https://bücher.example/pfad?q=ä", "https://xn--bcher-kva.example/pfad?q=%C3%A4"),
        ("https://ÉCOLE.example/", "https://xn--cole-9oa.example/"),
        ("https://example.org/a\"b'c<d>", "https://example.org/a%22b'c%3Cd%3E"),
        ("https://example.org/already%20escaped", "https://example.org/already%20escaped"),
    ],
    ids=["uri-eszett", "uri-umlaut-query", "uri-uppercase", "uri-quotes", "uri-escaped"],
)
def test_link_uri_is_ascii_idna2008(url: str, uri: str) -> None:
    assert to_uri(url) == uri
    assert to_uri(url).isascii()


def test_pdf_link_of_an_idn_url_is_the_a_label(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        MINIMAL + "    items:\n      - {kind: link, title: Straße, url: 'https://straße.de/'}\n"
    )
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=60, format="pdf", only=["one"])
    uris = {
        str(annot.get_object()["/A"]["/URI"])
        for page in PdfReader(out / "one.pdf").pages
        for annot in page.get("/Annots", []) or []
        if "/A" in annot.get_object() and "/URI" in annot.get_object()["/A"]
    }
    assert uris == {"https://xn--strae-oqa.de/"}


def test_qr_over_capacity_in_a_markdown_link(packet_dir: Path, tmp_path: Path) -> None:
    long = "https://example.org/" + "x" * 3000
    spec = packet_dir / "packet.yaml"
    spec.write_text(
        MINIMAL
        + f"    items:\n      - kind: note\n        title: Long\n        description: '[here]({long})'\n"
    )
    out = tmp_path / "out"
    expect_error(
        SpecError,
        _cases.build,
        spec,
        out,
        seconds=30,
        contains=(
            "inservices[0].items[0].description: URL is 3020 characters long, more than a QR code"
            " can hold at error correction M (about 2331 bytes); use a short link (item 'Long')",
        ),
    )
    assert not out.exists()


def test_qr_url_with_spaces_is_a_spec_error(packet_dir: Path) -> None:
    spec = packet_dir / "packet.yaml"
    spec.write_text(
        MINIMAL + "    items:\n      - {kind: link, title: L, url: 'https://example.org/a b'}\n"
    )
    expect_error(
        SpecError,
        _cases.load,
        spec,
        seconds=20,
        contains="inservices[0].items[0].url: expected a URL without spaces (write %20 for a space)",
    )


def test_qr_url_with_quotes_and_brackets(packet_dir: Path, tmp_path: Path) -> None:
    url = "https://example.org/a\"b'c<d>&e=f"
    assert scan(url) == [url]
    spec = packet_dir / "packet.yaml"
    spec.write_text(
        MINIMAL
        + "    items:\n      - kind: link\n        title: Q\n        url: 'https://example.org/a\"b''c<d>&e=f'\n"
    )
    out = tmp_path / "out"
    bounded(_cases.build, spec, out, seconds=60, format="html")
    html = (out / "one.html").read_text()
    # The link is the URL's ASCII form (quotes and brackets percent-encoded);
    # the QR code above still carries the URL exactly as written.
    assert 'href="https://example.org/a%22b&#39;c%3Cd%3E&amp;e=f"' in html
    assert "<d>" not in html
