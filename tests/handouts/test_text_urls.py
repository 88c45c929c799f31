"""Web addresses printed as text on a handout: found, trimmed, joined, bounded."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from packetgen.handouts import text_urls as module
from packetgen.handouts.open import open_handout
from packetgen.handouts.text_urls import text_urls, trim_url, urls_in_text


def text_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF of ``pages``, each a list of lines in Helvetica, with no link annotations."""
    writer = pypdf.PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        ops = "".join(
            f"BT /F1 11 Tf 72 {720 - 14 * k} Td ({line}) Tj ET\n" for k, line in enumerate(lines)
        )
        stream = StreamObject()
        stream.set_data(ops.encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    writer.write(path)
    reader = pypdf.PdfReader(path)
    assert not any("/Annots" in page for page in reader.pages)
    return path


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("(see https://x.org/a).", "https://x.org/a"),
        ("https://x.org/wiki/Foo_(bar)", "https://x.org/wiki/Foo_(bar)"),
        ("(https://x.org/wiki/Foo_(bar))", "https://x.org/wiki/Foo_(bar)"),
        ("Visit https://x.org/page.", "https://x.org/page"),
        ("at https://x.org/a, https://x.org/b; or", "https://x.org/a"),
        ("Is it https://x.org/faq?", "https://x.org/faq"),
        ('"https://x.org/q?a=1&b=2", said', "https://x.org/q?a=1&b=2"),
        ("\u201chttps://x.org/a\u201d", "https://x.org/a"),
        ("\u2018https://x.org/a\u2019.", "https://x.org/a"),
        ("\u00abhttps://x.org/\u00e9t\u00e9\u00bb", "https://x.org/\u00e9t\u00e9"),
        ("[https://x.org/a]", "https://x.org/a"),
        ("<https://x.org/a>", "https://x.org/a"),
        ("https://x.org/search?q=(1)", "https://x.org/search?q=(1)"),
        ("https://x.org/a!", "https://x.org/a"),
        ("HTTP://X.ORG/A", "HTTP://X.ORG/A"),
    ],
)
def test_punctuation_around_an_address_is_left_out(written: str, address: str) -> None:
    assert urls_in_text(written)[0] == address


def test_trimming_keeps_brackets_the_address_opens() -> None:
    assert trim_url("https://x.org/a)") == "https://x.org/a"
    assert trim_url("https://x.org/(a)") == "https://x.org/(a)"
    assert trim_url("https://x.org/(a))...") == "https://x.org/(a)"
    assert trim_url("https://x.org/a]") == "https://x.org/a"
    assert trim_url("https://x.org/[a]") == "https://x.org/[a]"


def test_what_is_not_an_address_is_left_out() -> None:
    assert urls_in_text("the https:// prefix, ftp://x.org/a, mailto:a@x.org") == []
    assert urls_in_text("https://localhost/admin and xhttps://x.org/a") == []
    assert urls_in_text("https://x.org:99999/a") == []
    assert urls_in_text("https://x.org/" + "a" * 1000) == []


def test_each_address_once_in_order() -> None:
    text = "https://b.org/ then https://a.org/ then https://b.org/."
    assert urls_in_text(text) == ["https://b.org/", "https://a.org/"]


def test_an_address_broken_across_lines_is_joined() -> None:
    assert urls_in_text("read https://x.org/topics/\nlaws-policies/state/ today") == [
        "https://x.org/topics/laws-policies/state/"
    ]
    assert urls_in_text("https://x.org/find?state=\nct&county=4.") == [
        "https://x.org/find?state=ct&county=4"
    ]
    # A word after an address that ends a line is the sentence going on.
    assert urls_in_text("Visit https://x.org/\nfor more.") == ["https://x.org/"]
    assert urls_in_text("Visit https://x.org/a.\nThen call.") == ["https://x.org/a"]


def test_the_selected_pages_are_searched(tmp_path: Path) -> None:
    pdf = text_pdf(
        tmp_path / "h.pdf",
        [
            ["Page one: https://one.example.org/a"],
            ["Page two (see https://two.example.org/b).", "Again https://two.example.org/b"],
            ["Page three: https://three.example.org/c"],
        ],
    )
    opened = open_handout(pdf, item="H")
    assert text_urls(opened).urls == [
        "https://one.example.org/a",
        "https://two.example.org/b",
        "https://three.example.org/c",
    ]
    opened = open_handout(pdf, item="H", pages="3,2,3")
    found = text_urls(opened)
    assert found.urls == ["https://three.example.org/c", "https://two.example.org/b"]
    assert found.notes == []


def test_a_picture_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    assert text_urls(open_handout(path, item="Photo")).urls == []


def _docx(path: Path, text: str) -> Path:
    """The smallest Word document: one paragraph of ``text``, no hyperlink in it."""
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            f'"application/xml"/><Override PartName="/word/document.xml" ContentType="{main}"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
            f'"{office}" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
            f"<w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return path


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_an_office_document_is_searched_in_the_pdf_made_from_it(tmp_path: Path) -> None:
    docx = _docx(tmp_path / "guide.docx", "Visit https://docx-text.example.org/guide today.")
    opened = open_handout(docx, item="Guide")
    assert opened.converted_from == "docx"
    assert text_urls(opened).urls == ["https://docx-text.example.org/guide"]


def test_a_long_handout_is_searched_up_to_the_page_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "MAX_TEXT_PAGES", 2)
    pdf = text_pdf(tmp_path / "h.pdf", [[f"https://x.org/{n}"] for n in range(1, 6)])
    found = text_urls(open_handout(pdf, item="H", pages="2-5"))
    assert found.urls == ["https://x.org/2", "https://x.org/3"]
    assert found.notes == [
        "was searched for web addresses printed as text only up to the first 2 pages (the"
        " limit for one handout): addresses printed on its other 2 pages, from page 4 of the"
        " file on, get no QR code; give any your volunteers need an item of its own in the"
        " spec, or select fewer pages with `pages:`"
    ]


def test_a_heavy_handout_is_searched_up_to_the_content_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = text_pdf(tmp_path / "h.pdf", [[f"https://x.org/{n}"] * 20 for n in range(1, 4)])
    opened = open_handout(pdf, item="H")
    one_page = len(opened.pages[0].get_contents().get_data())  # type: ignore[union-attr]
    monkeypatch.setattr(module, "MAX_TEXT_CONTENT_BYTES", one_page * 2)
    found = text_urls(opened)
    assert found.urls == ["https://x.org/1", "https://x.org/2"]
    [note] = found.notes
    assert note.startswith("was searched for web addresses printed as text only up to 0.0")
    assert "MiB of page content (the limit for one handout)" in note
    assert "addresses printed on its other page, from page 3 of the file on" in note


def test_a_thousand_page_handout_is_read_for_text_only_up_to_the_limit(tmp_path: Path) -> None:
    pdf = text_pdf(tmp_path / "book.pdf", [[f"https://x.org/{n}"] for n in range(1, 1001)])
    found = text_urls(open_handout(pdf, item="Book"))
    assert found.urls == [f"https://x.org/{n}" for n in range(1, module.MAX_TEXT_PAGES + 1)]
    [note] = found.notes
    assert (
        f"its other {1000 - module.MAX_TEXT_PAGES} pages, from page {module.MAX_TEXT_PAGES + 1}"
        in note
    )
