"""The facilitator's kit, certificates written by build, and certificate ids."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from packetgen import LimitError, PacketgenError, load_packet
from packetgen.build.pipeline import BuildResult, build
from packetgen.kit.certificates import certificate_id, certificate_ids
from packetgen.tools.verify import decode_page_images

from ..conftest import EXAMPLE, ExampleBuild, page_texts

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
CSEC = "Understanding and Supporting Victims of Commercial Sexual Exploitation of Children"
ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")
"""Crockford's base32: no I, L, O or U."""


def _example_names() -> list[str]:
    with (EXAMPLE.parent / "attendees.csv").open(encoding="utf-8", newline="") as handle:
        return [row["name"] for row in csv.DictReader(handle)]


def _qr_texts(pdf: Path, dpi: int = 150) -> list[list[str]]:
    """What zxing-cpp reads on each page, as a phone would from the printed page."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        found = []
        for page in doc:
            image = page.render(scale=dpi / 72).to_pil().convert("L")
            found.append([code.text for code in zxingcpp.read_barcodes(image, formats=QR_ONLY)])
        return found
    finally:
        doc.close()


# ---------------------------------------------------------------- the example's kit


@pytest.fixture
def kit(example_build: ExampleBuild) -> tuple[Path, BuildResult, list[str]]:
    out = example_build.out
    return out, example_build.result, page_texts(out / "csec-understanding-facilitator.pdf")


@pytest.mark.slow
def test_the_build_writes_the_facilitators_kit_and_the_certificates(
    kit: tuple[Path, BuildResult, list[str]],
) -> None:
    out, result, _pages = kit
    written = [(o.kind, o.inservice, o.path.name) for o in result.outputs]
    assert ("facilitator", "csec-understanding", "csec-understanding-facilitator.pdf") in written
    assert ("certificates", "csec-understanding", "csec-understanding-certificates.pdf") in written
    # Only the in-service with forms, an agenda or certificates gets a kit.
    assert {inservice for kind, inservice, _ in written if kind == "facilitator"} == {
        "csec-understanding"
    }
    names = _example_names()
    certificates = page_texts(out / "csec-understanding-certificates.pdf")
    assert len(certificates) == len(names)
    for name, text in zip(names, certificates, strict=True):
        assert name in text


@pytest.mark.slow
def test_the_kit_holds_run_sheet_roster_attendance_evaluation_and_certificates(
    kit: tuple[Path, BuildResult, list[str]],
) -> None:
    out, _result, pages = kit
    pdf = out / "csec-understanding-facilitator.pdf"
    cover = pages[0]
    assert cover.startswith("EXAMPLE COUNTY CASA FACILITATOR'S KIT " + CSEC)
    for fact in (
        "When March 12, 2018 · 10:30 am\u201312:00 pm",
        "Presenter Katryn Little, Clinical Director, My Life My Choice",
        "Location National CASA Conference, Boston",
        "Credit 1.5 hours, in person",
        "Contact Jordan Reyes, Training Coordinator, Example County CASA",
    ):
        assert fact in cover
    assert "Give the sign-in sheet, the attendance sheet and the evaluations to Jordan Reyes." in (
        cover
    )
    # "In this kit" gives the page where each part starts, and it is there.
    titles = ("Run sheet", "Sign-in sheet", "Attendance and hours", "Evaluation", "Certificates")
    listed = cover.split("IN THIS KIT ")[1].split(" BEFORE THE SESSION")[0]
    either = "|".join(titles)
    contents = dict(re.findall(rf"({either}) .*?(\d+)(?= (?:{either})|$)", listed))
    assert list(contents) == list(titles)
    for title, page in contents.items():
        expected = "Certificate of Completion" if title == "Certificates" else title
        assert expected in pages[int(page) - 1], (title, page)

    run = next(t for t in pages if t.startswith("Run sheet"))
    assert "10:30 am 10 min Welcome and introductions" in run
    assert "11:50 am 10 min Questions and debrief for Example County volunteers Jordan Reyes" in run
    assert "12:00 pm End (90 minutes in all)" in run

    roster = [i for i, t in enumerate(pages) if t.startswith("Sign-in sheet " + CSEC)]
    assert roster, "no sign-in page in the kit"
    text = " ".join(pages[roster[0] : roster[0] + 2])
    for header in ("NAME", "ROLE", "SIGNATURE", "CASE NUMBER"):
        assert header in text
    numbers = [int(n) for n in text.split() if n.isdigit() and 1 <= int(n) <= 24]
    assert set(range(1, 25)) <= set(numbers)

    attendance = next(t for t in pages if t.startswith("Attendance and hours"))
    assert (
        "Scheduled 10:30 am\u201312:00 pm (90 minutes); the whole session earns 1.5 hours of"
        " in-service credit, in person." in attendance
    )
    for header in ("ARRIVED", "LEFT", "MINUTES ATTENDED", "HOURS CREDITED", "INITIALS"):
        assert header in attendance
    for number, name in enumerate(_example_names(), start=1):
        assert f"{number} {name}" in attendance
    assert "Entered into the records by" in attendance

    index = int(contents["Evaluation"]) - 1
    assert "I can now recognize the warning signs that a child may be exploited." in pages[index]
    assert "https://nationalcasagal.org/" in _qr_texts(pdf)[index]

    reader = PdfReader(pdf)
    assert [item.title for item in reader.outline] == list(contents)
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    names = _example_names()
    assert sizes[: -len(names)] == [(612, 792)] * (len(pages) - len(names))  # the packet's letter
    assert sizes[-len(names) :] == [(792, 612)] * len(names)  # certificates: landscape
    packet = load_packet(EXAMPLE)
    inservice = next(s for s in packet.inservices if s.id == "csec-understanding")
    ids = certificate_ids(packet, inservice, names)
    for name, cert_id, text in zip(names, ids, pages[-len(names) :], strict=True):
        assert f"This certifies that {name} has completed" in text
        assert f"Certificate no. {cert_id}" in text
        assert "1.5 hours of in-service credit, in person" in text
        assert "page" not in text  # no running footer on a certificate
    # Every form page is stamped like a binder's.
    assert pages[1].endswith(f"page 2 of {len(pages)}")


@pytest.mark.slow
def test_the_participants_binder_has_no_roster(kit: tuple[Path, BuildResult, list[str]]) -> None:
    out, _result, _pages = kit
    binder = page_texts(out / "csec-understanding.pdf")
    contents = binder[1]
    assert "Sign-in sheet" not in contents
    assert "Evaluation" in contents
    assert not any("Sign-in sheet" in t or "SIGNATURE" in t for t in binder)
    assert any("STRONGLY DISAGREE" in t for t in binder)  # the evaluation stays


# ---------------------------------------------------------------- smaller packets

KIT_SPEC = """\
title: Kit packet
organization: Example County CASA
inservices:
  - id: one
    title: One
    date: 2026-04-09
    time: 6:30pm-8:00pm
    hours: 1.5
    delivery: virtual
    presenter: Dana Cole
{extra}
  - id: plain
    title: Plain
    items:
      - {{kind: note, title: A note, description: Something to read.}}
"""


@pytest.mark.slow
def test_in_binder_keeps_the_roster_in_every_binder_too(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(KIT_SPEC.format(extra="    signin: {rows: 5, in_binder: true}"))
    result = build(spec, tmp_path / "out", format="pdf", only=["one", "plain"])
    assert [(o.kind, o.path.name) for o in result.outputs] == [
        ("binder", "one.pdf"),
        ("binder", "plain.pdf"),
        ("facilitator", "one-facilitator.pdf"),
    ]
    binder = page_texts(tmp_path / "out" / "one.pdf")
    assert "Sign-in sheet" in binder[1]  # in the contents
    assert any(t.startswith("Sign-in sheet One") for t in binder)
    kit = page_texts(tmp_path / "out" / "one-facilitator.pdf")
    assert any(t.startswith("Sign-in sheet One") for t in kit)
    # No attendees: the attendance sheet has as many blank rows as the roster.
    attendance = next(t for t in kit if t.startswith("Attendance and hours"))
    assert "1 2 3 4 5 Facilitator" in attendance
    assert "1.5 hours of in-service credit, live online" in attendance
    assert "Certificate" not in " ".join(kit)


@pytest.mark.slow
def test_certificate_ids_stay_when_the_list_changes_and_codes_scan(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    certificate = (
        '    certificate: {signer: Pat Lee, verify_url: "https://example.org/cert/{id}"}\n'
    )
    people = ["Ana Diaz", "Bo Lee", "Ana Diaz", "Chris Moe"]
    spec = write_spec(KIT_SPEC.format(extra=certificate + f"    attendees: [{', '.join(people)}]"))
    first = build(spec, tmp_path / "first", format="pdf", only=["one"])
    # Two people of the same name: one warning, two certificates with ids of their own.
    assert first.warnings == [
        f"{spec}:12:16: inservices[0].attendees: 'Ana Diaz' is listed 2 times; each gets a"
        " certificate"
    ]
    pdf = tmp_path / "first" / "one-certificates.pdf"
    texts = page_texts(pdf)
    ids = [found.group() for text in texts for found in [ID.search(text)] if found]
    assert len(ids) == len(set(ids)) == 4
    packet = load_packet(spec)
    assert ids == certificate_ids(packet, packet.inservices[0], people)
    # Each code is the verification address with the certificate's own id, at
    # 0.8 mm a module, and the address is printed under it to type.
    assert _qr_texts(pdf) == [[f"https://example.org/cert/{i}"] for i in ids]
    for page, cert_id, text in zip(decode_page_images(pdf), ids, texts, strict=True):
        (code,) = page
        assert code.module_mm is not None
        assert code.module_mm >= 0.79
        # A line may break after a "/" of the address, never inside the id.
        assert f"example.org/cert/{cert_id}" in text.replace("/ ", "/")
    kit_codes = [codes for codes in _qr_texts(tmp_path / "first" / "one-facilitator.pdf") if codes]
    assert kit_codes == [[f"https://example.org/cert/{i}"] for i in ids]

    # Another build, the list reordered and cut: everyone keeps their id.
    again = ["Chris Moe", "Ana Diaz"]
    spec.write_text(spec.read_text().replace(", ".join(people), ", ".join(again)))
    build(spec, tmp_path / "second", format="pdf", only=["one"])
    texts = page_texts(tmp_path / "second" / "one-certificates.pdf")
    assert [found.group() for t in texts for found in [ID.search(t)] if found] == [ids[3], ids[0]]


def test_certificate_ids_are_unique_readable_and_stable(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(KIT_SPEC.format(extra="    certificate: {signer: Pat Lee}"))
    packet = load_packet(spec)
    one = packet.inservices[0]
    names = [f"Volunteer {i:03d} Ñúñez-O'Brien" for i in range(200)]
    ids = certificate_ids(packet, one, names)
    assert len(set(ids)) == 200
    assert all(ID.fullmatch(i) for i in ids)
    assert certificate_ids(load_packet(spec), one, names) == ids  # the same on every run
    # The name counts without regard to case or spacing; a repeat counts its occurrence.
    assert certificate_id(packet, one, "  ana   DIAZ ") == certificate_id(packet, one, "Ana Diaz")
    twice = certificate_ids(packet, one, ["Ana Diaz", "Bo Lee", "ana diaz"])
    assert twice[0] == certificate_id(packet, one, "Ana Diaz")
    assert twice[2] == certificate_id(packet, one, "Ana Diaz", occurrence=2) != twice[0]
    # Another in-service, date, packet or organization: other ids.
    other = packet.inservices[1]
    moved = one.model_copy(update={"date": one.date.replace(day=10) if one.date else None})
    renamed = packet.model_copy(update={"organization": "Another CASA"})
    base = certificate_id(packet, one, "Ana Diaz")
    assert base != certificate_id(packet, other, "Ana Diaz")
    assert base != certificate_id(packet, moved, "Ana Diaz")
    assert base != certificate_id(renamed, one, "Ana Diaz")


@pytest.mark.slow
def test_a_kit_without_forms_is_not_written_and_an_agenda_alone_makes_one(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        KIT_SPEC.format(extra="    agenda:\n      - {time: '6:30pm', title: Welcome}")
    )
    result = build(spec, tmp_path / "out", format="pdf")
    names = [o.path.name for o in result.outputs]
    assert names == ["one.pdf", "plain.pdf", "one-facilitator.pdf", "packet.pdf"]
    kit = page_texts(tmp_path / "out" / "one-facilitator.pdf")
    assert [t.split(" ")[0] for t in kit] == ["EXAMPLE", "Run", "Attendance"]
    assert "6:30 pm 90 min Welcome" in kit[1]
    assert "8:00 pm End (90 minutes in all)" in kit[1]


@pytest.mark.slow
def test_the_kit_is_reproducible_and_cached_like_a_binder(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    extra = (
        "    signin: {rows: 3}\n    evaluation: {url: 'https://example.org/form'}\n"
        "    certificate: {signer: Pat Lee}\n    attendees: people.csv"
    )
    spec = write_spec(KIT_SPEC.format(extra=extra))
    attendees = spec.parent / "people.csv"
    attendees.write_text("name\nAna Diaz\nBo Lee\n", encoding="utf-8")
    out = tmp_path / "out"

    def outputs(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(folder.glob("one-*.pdf"))}

    first = build(spec, out, format="pdf", only=["one"])
    assert set(outputs(out)) == {"one-facilitator.pdf", "one-certificates.pdf"}
    build(spec, tmp_path / "fresh", format="pdf", only=["one"], cache=False)
    assert outputs(tmp_path / "fresh") == outputs(out)  # two builds, the same bytes
    second = build(spec, out, format="pdf", only=["one"])
    assert second.rebuilt == []
    assert [o.pages for o in second.outputs] == [o.pages for o in first.outputs]
    # The attendee file is part of what the kit and the certificates depend on.
    attendees.write_text("name\nAna Diaz\nBo Lee\nChris Moe\n", encoding="utf-8")
    third = build(spec, out, format="pdf", only=["one"])
    assert {(o.kind, o.pages) for o in third.rebuilt} == {
        ("facilitator", len(PdfReader(out / "one-facilitator.pdf").pages)),
        ("certificates", 3),
    }
    assert "Chris Moe" in " ".join(page_texts(out / "one-facilitator.pdf"))


def test_an_inservice_named_like_another_ones_kit_is_refused(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n    signin: {}\n"
        "  - id: one-facilitator\n    title: Two\n"
    )
    with pytest.raises(PacketgenError) as info:
        build(spec, tmp_path / "out")
    assert str(info.value) == (
        f"{spec}:6:9: in-service 'one-facilitator' is bound into one-facilitator.pdf, the file"
        " the facilitator's kit of in-service 'one' is written to; give one of the two another id"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_more_attendees_than_a_build_certifies_stop_the_build(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        KIT_SPEC.format(extra="    certificate: {signer: Pat Lee}\n    attendees: people.csv")
    )
    people = "".join(f"Volunteer {i}\n" for i in range(2_001))
    (spec.parent / "people.csv").write_text("name\n" + people, encoding="utf-8")
    with pytest.raises(LimitError) as info:
        build(spec, tmp_path / "out", format="pdf", only=["one"])
    assert str(info.value) == (
        f"{spec}:12:16: inservices[0].attendees: 2,001 people, more certificates than the 2,000"
        " a build makes for one in-service; take `attendees:` out of the spec and make the"
        " certificates in parts with `packetgen certificates --only one --attendees PART.csv`"
    )
    assert not (tmp_path / "out").exists()


def test_build_verify_scans_the_kit_and_passes_certificates_without_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from packetgen.cli import main

    out = tmp_path / "out"
    args = ["build", str(EXAMPLE), "-o", str(out), "--only", "csec-understanding"]
    assert main([*args, "--format", "pdf", "--verify-photocopies", "0"]) == 0
    printed = capsys.readouterr().out
    assert f"Verified {out / 'csec-understanding-facilitator.pdf'}: 1 QR code scans\n" in printed
    assert f"Verified {out / 'csec-understanding-certificates.pdf'}: no QR codes\n" in printed
    assert f"Wrote {out / 'csec-understanding-certificates.pdf'} (5 certificates)" in printed
