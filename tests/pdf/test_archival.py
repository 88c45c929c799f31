"""Archival PDFs (PDF/A-2b): every PDF output passes the checks of ``pdfa_checks``
(veraPDF cannot be installed here), an ordinary build fails them, and a handout
that cannot be archived stops the build with its name and what to do."""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from packetgen import load_packet
from packetgen.build.checkup import check
from packetgen.build.pipeline import build
from packetgen.cli import main
from packetgen.errors import BuildError, HandoutError, SpecError
from packetgen.pdf.archival import handout_problems
from packetgen.pdf.metadata import finish

from ..conftest import CORPUS
from .pdfa_checks import pdfa_problems

# One in-service with a merged corpus handout, a sign-in sheet and certificates:
# the binder, the book, the facilitator's kit and the certificates are all built.
SPEC = """\
title: Archival test
organization: Example County CASA
{archival}
inservices:
  - id: one
    title: One in-service
    date: 2024-03-12
    presenter: Someone
    hours: 1
    signin: {{rows: 5}}
    certificate: {{signer: Coordinator}}
    attendees: attendees.csv
    items:
      - kind: handout
        title: Frequently asked questions
        file: {handout}
      - kind: article
        title: An article
        url: https://example.org/a
"""
PDFS = ["one-certificates.pdf", "one-facilitator.pdf", "one.pdf", "packet.pdf"]


def _packet(folder: Path, *, handout: str = "faq.pdf", archival: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / handout, folder / handout)
    (folder / "attendees.csv").write_text("name\nMaria Alvarez\n", encoding="utf-8")
    spec = folder / "packet.yaml"
    line = "archival: pdf/a-2b" if archival else ""
    spec.write_text(SPEC.format(archival=line, handout=handout), encoding="utf-8")
    return spec


def test_every_pdf_of_a_build_with_pdf_a_passes_the_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A build date puts dates in both the information dictionary and XMP: they must agree.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    spec = _packet(tmp_path / "packet")
    out = tmp_path / "out"
    code = main(["build", str(spec), "-o", str(out), "-j", "1", "--no-cache", "-q", "--pdf-a"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.glob("*.pdf")) == PDFS
    for name in PDFS:
        assert pdfa_problems(out / name) == [], name


def test_the_checks_fail_on_an_ordinary_build(tmp_path: Path) -> None:
    """Without archival the same outputs are PDF/UA only, and the checks say so:
    the test above cannot pass by checking nothing."""
    out = tmp_path / "out"
    build(_packet(tmp_path / "packet"), out, cache=False)
    for name in PDFS:
        problems = pdfa_problems(out / name)
        assert any(p.startswith("6.2.3: no output intent") for p in problems), name
        assert "6.6.4: XMP does not say pdfaid:part 2" in problems, name


def test_the_checks_find_fonts_that_are_not_embedded() -> None:
    # ReportLab's form uses Helvetica without embedding it, in its page and its fields.
    problems = pdfa_problems(CORPUS / "evaluation-form-fillable.pdf", tagged=False)
    assert "6.2.11.4: page 1: font /Helvetica is not embedded" in problems
    assert any("appearance: font /Helvetica is not embedded" in p for p in problems)


def test_a_handout_without_embedded_fonts_stops_an_archival_build(tmp_path: Path) -> None:
    """Refused, not written as a file that claims PDF/A and is not: the trainer is
    told which handout, what is wrong and the two ways out."""
    spec = _packet(tmp_path / "packet", handout="evaluation-form-fillable.pdf", archival=True)
    out = tmp_path / "out"
    with pytest.raises(HandoutError) as caught:
        build(spec, out, cache=False, format="pdf")
    message = str(caught.value)
    assert "evaluation-form-fillable.pdf" in message
    assert "fonts not embedded in the file: Helvetica, Helvetica-Bold" in message
    assert "Export it again as PDF/A" in message
    assert "turn archival off" in message
    assert not list(out.glob("*.pdf"))
    # Said at the spec line that names the file, and by check as by build.
    assert caught.value.problem is not None
    assert caught.value.problem.field == "inservices[0].items[0].file"
    assert re.match(r".*packet\.yaml:\d+:\d+: inservices\[0\]\.items\[0\]\.file: ", message)
    checked = check(spec, tmp_path / "checked")
    assert [p.field for p in checked.located] == ["inservices[0].items[0].file"]
    assert checked.problems == [message]


def test_a_handout_in_printing_press_colours_stops_an_archival_build(tmp_path: Path) -> None:
    """DeviceCMYK means nothing under the sRGB output intent (ISO 19005-2, 6.2.4.3)."""
    folder = tmp_path / "packet"
    _packet(folder, archival=True)
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    ink = DecodedStreamObject()
    ink.set_data(b"0 0.5 1 0 k 72 72 200 200 re f")
    page[NameObject("/Contents")] = writer._add_object(ink)
    with (folder / "faq.pdf").open("wb") as handout:
        writer.write(handout)
    with pytest.raises(HandoutError, match=r"faq\.pdf: .*printing press \(CMYK\)"):
        build(folder / "packet.yaml", tmp_path / "out", cache=False, format="pdf")
    assert any("DeviceCMYK" in p for p in pdfa_problems(folder / "faq.pdf", tagged=False))


def test_the_library_check_and_the_test_checks_agree_on_the_corpus() -> None:
    from pypdf import PdfReader

    for name in ("faq.pdf", "redflags.pdf", "csec-deck.pdf", "evaluation-form-fillable.pdf"):
        pages = list(PdfReader(CORPUS / name).pages)
        refused = bool(handout_problems(pages))
        unembedded = any("not embedded" in p for p in pdfa_problems(CORPUS / name))
        assert refused == unembedded, name


def test_archival_is_a_packet_setting_with_one_value(
    write_spec: Callable[..., Path],
) -> None:
    body = """\
        title: T
        archival: {value}
        inservices:
          - id: a
            title: A
            items: [{{kind: note, title: N}}]
        """
    assert load_packet(write_spec(textwrap.dedent(body.format(value="pdf/a-2b")))).archival
    with pytest.raises(SpecError, match="archival"):
        load_packet(write_spec(textwrap.dedent(body.format(value="pdf/a-1b"))))


def _archival_writer(tmp_path: Path) -> tuple[PdfWriter, Any]:
    from packetgen import packet_from_data

    data = {
        "title": "T",
        "archival": "pdf/a-2b",
        "inservices": [{"id": "a", "title": "A", "items": [{"kind": "note", "title": "N"}]}],
    }
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    return writer, packet_from_data(data, folder=tmp_path)


def test_finish_makes_annotations_printable_with_their_normal_appearance_only(
    tmp_path: Path,
) -> None:
    writer, packet = _archival_writer(tmp_path)
    normal, down = DecodedStreamObject(), DecodedStreamObject()
    note = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Square"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/F"): NumberObject(2),  # hidden
            NameObject("/AP"): DictionaryObject(
                {
                    NameObject("/N"): writer._add_object(normal),
                    NameObject("/D"): writer._add_object(down),
                }
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(note)])
    finish(writer, packet, title="T", subject="S", first_page=1, seed=b"0" * 32)
    assert note["/F"] == 4
    assert list(note["/AP"]) == ["/N"]


def test_finish_refuses_a_font_that_is_not_embedded(tmp_path: Path) -> None:
    """The last guard: nothing packetgen lays out should get here, but a file
    that claims PDF/A must not be written when something did."""
    writer, packet = _archival_writer(tmp_path)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    writer.pages[0][NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    with pytest.raises(BuildError, match=r"T: cannot be written as an archival.*Helvetica"):
        finish(writer, packet, title="T", subject="S", first_page=1, seed=b"0" * 32)


def test_the_certificates_command_takes_pdf_a_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Certificates re-issued on their own are archival when asked, as in a build."""
    spec = _packet(tmp_path / "packet")
    plain, archival = tmp_path / "plain", tmp_path / "archival"
    assert main(["certificates", str(spec), "-o", str(plain)]) == 0
    assert main(["certificates", str(spec), "-o", str(archival), "--pdf-a"]) == 0
    capsys.readouterr()
    (made,) = [p.name for p in archival.glob("*-certificates.pdf")]
    assert pdfa_problems(archival / made) == []
    assert "6.6.4: XMP does not say pdfaid:part 2" in pdfa_problems(plain / made)
