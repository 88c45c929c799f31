"""The trainer's kit: sign-in roster, evaluation, credit log, certificates and hours."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from markupsafe import escape
from PIL import Image
from pypdf import PdfReader

from packetgen import PacketgenError, SpecError, load_packet
from packetgen.build.pipeline import BuildResult, packet_links
from packetgen.cli import main
from packetgen.content.credit import credit_for, inservice_hours
from packetgen.kit.certificates import (
    attendees_for,
    certificate_ids,
    certificates_view,
    make_certificates,
)
from packetgen.render.document import document_view
from packetgen.render.html import render_document
from packetgen.render.themes import load_theme
from packetgen.spec.models import CreditRule, Evaluation

from ..conftest import EXAMPLE, ExampleBuild, page_texts

# ---------------------------------------------------------------- credit policy


@pytest.mark.parametrize(
    ("rule", "minutes", "pages", "hours", "how"),
    [
        ({"hours": 1}, None, None, 1.0, "fixed 1 h"),
        ({"hours": 1, "cap": 0.5}, None, None, 0.5, "fixed 1 h, capped at 0.5 h"),
        ({"running_time": True}, 90, None, 1.5, "90 min running time = 1.5 h"),
        ({"running_time": True}, 100, None, 1.75, "100 min running time = 1.75 h"),
        ({"running_time": True}, 52, None, 0.75, "52 min running time = 0.75 h"),
        (
            {"running_time": True, "cap": 2},
            240,
            None,
            2.0,
            "240 min running time = 4 h, capped at 2 h",
        ),
        ({"running_time": True}, None, None, 0.0, "no running time given (minutes:), so no credit"),
        (
            {"hours": 0.5, "per_pages": 50},
            None,
            120,
            1.25,
            "120 pages at 0.5 h per 50 pages = 1.25 h",
        ),
        ({"hours": 0.5, "per_pages": 50}, None, 1, 0.0, "1 page at 0.5 h per 50 pages = 0 h"),
        (
            {"hours": 0.5, "per_pages": 50, "cap": 1},
            None,
            400,
            1.0,
            "400 pages at 0.5 h per 50 pages = 4 h, capped at 1 h",
        ),
        (
            {"hours": 0.5, "per_pages": 50},
            None,
            None,
            0.0,
            "no page count (length_pages: or a file), so no credit",
        ),
    ],
)
def test_credit_rules(
    rule: dict[str, object], minutes: int | None, pages: int | None, hours: float, how: str
) -> None:
    credit = credit_for(
        CreditRule.model_validate(rule), title="T", kind="article", minutes=minutes, pages=pages
    )
    assert credit.hours == hours
    assert credit.how == how


def test_round_to_is_applied_per_item() -> None:
    rule = CreditRule.model_validate({"running_time": True})
    assert (
        credit_for(rule, title="T", kind="film", minutes=50, pages=None, round_to=0.5).hours == 1.0
    )
    assert (
        credit_for(rule, title="T", kind="film", minutes=40, pages=None, round_to=0.5).hours == 0.5
    )
    assert (
        credit_for(rule, title="T", kind="film", minutes=7, pages=None, round_to=0.1).hours == 0.1
    )


POLICY_SPEC = """\
title: T
credit:
  article: {hours: 1}
  film: {running_time: true, cap: 2}
  handout: {hours: 0.5, per_pages: 50}
inservices:
  - id: computed
    title: Computed
    items:
      - {kind: article, title: A}
      - {kind: article, title: B}
      - {kind: film, title: F, minutes: 150}
      - {kind: handout, title: Book, file: book.pdf, length_pages: 210}
      - {kind: link, title: L, url: "https://example.org/"}
  - id: given
    title: Given
    hours: 1.5
    items:
      - {kind: article, title: A}
"""


def test_given_hours_win_and_computed_hours_add_up(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(POLICY_SPEC)
    shutil.copy(EXAMPLE.parent / "handouts" / "faq.pdf", spec.parent / "book.pdf")
    packet = load_packet(spec)
    computed = inservice_hours(packet, packet.inservices[0])
    assert computed.given is False
    assert [c.hours for c in computed.items] == [1, 1, 2, 2.0]
    assert computed.hours == 6.0
    given = inservice_hours(packet, packet.inservices[1])
    assert (given.hours, given.given) == (1.5, True)


def test_check_prints_hours_and_how(
    write_spec: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(POLICY_SPEC)
    shutil.copy(EXAMPLE.parent / "handouts" / "faq.pdf", spec.parent / "book.pdf")
    assert main(["check", str(spec), "-o", str(spec.parent / "out")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  computed +6 h +computed from the credit policy$", out, re.M)
    assert "      2 h     F (film: 150 min running time = 2.5 h, capped at 2 h)" in out
    assert "      2 h     Book (handout: 210 pages at 0.5 h per 50 pages = 2 h)" in out
    assert re.search(r"^  given +1\.5 h +given in the spec$", out, re.M)


# ---------------------------------------------------------------- pages in the binder


@pytest.fixture
def kit_binders(example_build: ExampleBuild) -> tuple[Path, BuildResult]:
    return example_build.out, example_build.result


@pytest.mark.slow
def test_evaluation_in_the_binder_and_the_roster_in_the_facilitators_kit(
    kit_binders: tuple[Path, BuildResult],
) -> None:
    out, _ = kit_binders
    pages = page_texts(out / "csec-understanding.pdf")
    contents = pages[1]
    # One roster at the door, not one in each binder (signin: {in_binder: true} for that).
    assert "Sign-in sheet" not in contents
    assert "Evaluation" in contents
    assert not any(t.startswith("Sign-in sheet") for t in pages)
    kit = page_texts(out / "csec-understanding-facilitator.pdf")
    roster = [i for i, t in enumerate(kit) if t.startswith("Sign-in sheet Understanding")]
    assert roster, "no sign-in page"
    text = " ".join(kit[roster[0] : roster[0] + 2])
    assert (
        "March 12, 2018 · 10:30 am\u201312:00 pm · Katryn Little, Clinical Director, My Life My Choice"
        in text
    )
    assert "1.5 hours" in text
    for header in ("NAME", "ROLE", "SIGNATURE", "CASE NUMBER"):
        assert header in text
    numbers = [int(n) for n in text.split() if n.isdigit() and 1 <= int(n) <= 24]
    assert set(range(1, 25)) <= set(numbers)
    evaluation = next(t for t in pages if " Evaluation Understanding" in t)
    for question in (
        # The example's in-service has objectives: a statement for each, in
        # place of the generic one.
        "I can now explain what CSEC is and which children are most at risk.",
        "I can now recognize the warning signs that a child may be exploited.",
        "The presenter knew the subject well.",
        "What was the most useful part of this in-service?",
        "STRONGLY DISAGREE",
    ):
        assert question in evaluation
    assert "stated objectives" not in evaluation
    assert "Fill it in online" in evaluation
    # The whole form on one page: the last open question is on it too.
    assert "What would you change, or like to learn about next?" in evaluation


@pytest.mark.slow
def test_evaluation_qr_scans(kit_binders: tuple[Path, BuildResult]) -> None:
    from packetgen.tools.verify import decode_page_images

    out, _ = kit_binders
    pdf = out / "csec-understanding.pdf"
    pages = page_texts(pdf)
    index = next(i for i, t in enumerate(pages) if " Evaluation Understanding" in t)
    codes = decode_page_images(pdf, 150, 0.0, pages=[index + 1])
    assert "https://nationalcasagal.org/" in {c.url for found in codes for c in found}


@pytest.mark.slow
def test_credit_log_and_hours_on_the_cover(kit_binders: tuple[Path, BuildResult]) -> None:
    out, result = kit_binders
    pages = page_texts(out / "reading-and-viewing.pdf")
    assert "Credit 7 hours" in pages[0]
    log = next(t for t in pages if "Self-study credit log" in t and "DATE COMPLETED" in t)
    assert "ARTICLE Chrystul Kizer" in log
    assert "RECORDING Child Welfare Response" in log
    assert result.hours["reading-and-viewing"] == 7.0  # type: ignore[attr-defined]
    assert result.hours["csec-understanding"] == 1.5  # type: ignore[attr-defined]


# ---------------------------------------------------------------- certificates


def test_certificates_for_200_attendees(tmp_path: Path) -> None:
    """200 people read from a CSV: each has a certificate of their own, with a number
    of its own, in the HTML the layout gets (laid out in the test below)."""
    names = [f"Volunteer {i:03d} Ñúñez-O'Brien" for i in range(200)]
    csv = _attendees_csv(tmp_path, names)
    packet = load_packet(EXAMPLE)
    inservice = packet.inservice("csec-understanding")
    people, warnings = attendees_for(packet, "csec-understanding", csv)
    assert warnings == []
    view = certificates_view(packet.for_inservice(inservice.id), inservice, people, signature=None)
    ids = certificate_ids(packet, inservice, names)
    assert len(set(ids)) == 200  # a certificate number of its own for each person
    assert [(p.name, p.id) for p in view.people] == list(zip(names, ids, strict=True))
    # No-break spaces keep "10:30 am" and "1.5 hours" on one line.
    details = " ".join(view.details.split())
    assert details == "March 12, 2018 · 10:30 am\u201312:00 pm · National CASA Conference, Boston"
    assert view.credit == "1.5\u00a0hours of in-service credit, in person"
    html = render_document(view, load_theme("default", packet.folder), "certificates.html.j2")
    # Every certificate shows its person and number as the first one does.
    per_name, per_id = html.count(escape(names[0])), html.count(ids[0])
    assert per_name >= 1
    assert per_id >= 1
    for name, cert_id in zip(names, ids, strict=True):
        assert (html.count(escape(name)), html.count(cert_id)) == (per_name, per_id)


@pytest.mark.slow
def test_certificates_are_one_landscape_page_per_attendee(tmp_path: Path) -> None:
    names = [f"Volunteer {i:03d} Ñúñez-O'Brien" for i in range(3)]
    result = make_certificates(EXAMPLE, tmp_path / "out", attendees=_attendees_csv(tmp_path, names))
    ((path, count),) = result.outputs
    assert count == 3
    reader = PdfReader(path)
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    pages = page_texts(path)
    packet = load_packet(EXAMPLE)
    ids = certificate_ids(packet, packet.inservice("csec-understanding"), names)
    for name, cert_id, text in zip(names, ids, pages, strict=True):
        assert name in text
        assert (
            "Understanding and Supporting Victims of Commercial Sexual Exploitation of Children"
            in text
        )
        # Provider, date and time, place, hours and their kind, signer, presenter, number.
        assert text.startswith("EXAMPLE COUNTY CASA Certificate of Completion")
        assert (
            "March 12, 2018 · 10:30 am\u201312:00 pm · National CASA Conference, Boston"
            " 1.5 hours of in-service credit, in person" in text
        )
        assert "Katryn Little, Clinical Director, My Life My Choice Presenter" in text
        assert "Training Coordinator, Example County CASA On behalf of the program" in text
        assert f"Certificate no. {cert_id}" in text


def _attendees_csv(folder: Path, names: list[str]) -> Path:
    csv = folder / "attendees.csv"
    csv.write_text(
        "email,Name\n" + "".join(f"v{i}@example.org,{n}\n" for i, n in enumerate(names)),
        encoding="utf-8",
    )
    return csv


@pytest.mark.slow
def test_certificates_cli_with_the_shipped_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["certificates", str(EXAMPLE), "-o", str(tmp_path)]) == 0
    assert (
        capsys.readouterr().out
        == f"Wrote {tmp_path / 'csec-understanding-certificates.pdf'} (5 certificates)\n"
    )
    assert "Tomás Herrera" in " ".join(page_texts(tmp_path / "csec-understanding-certificates.pdf"))


def test_duplicate_attendees_are_warned(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("name\nAna Diaz\nBo Lee\nana diaz\n")
    result = make_certificates(EXAMPLE, tmp_path / "out", attendees=csv)
    assert result.warnings == [
        f"{csv}: 'Ana Diaz' is listed 2 times (lines 2, 4); each gets a certificate"
    ]
    assert result.outputs[0][1] == 3


# ---------------------------------------------------------------- bad input


def test_csv_without_name_column(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("email,role\nx@example.org,volunteer\n")
    with pytest.raises(SpecError) as info:
        make_certificates(EXAMPLE, tmp_path / "out", attendees=csv)
    assert (
        str(info.value)
        == f"{csv}:1:1: name: expected a column headed 'name' in the first line, found 'email', 'role'"
    )
    assert not (tmp_path / "out").exists()


def test_non_utf8_csv(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_bytes(b"name\nJos\xe9 Ruiz\n")
    with pytest.raises(SpecError) as info:
        make_certificates(EXAMPLE, tmp_path / "out", attendees=csv)
    assert str(info.value) == (
        f"{csv}:2:4: expected UTF-8 text, found the byte 0xe9; save the list as CSV UTF-8"
        " (in Excel: Save As, then 'CSV UTF-8')"
    )


EVALUATION_SPEC = """\
title: T
inservices:
  - id: one
    title: One
    objectives:
      - Recognize the signs of child trafficking
      - Explain CASA's role after a disclosure.
      - Use the CSEC screening tool
    evaluation: {evaluation}
"""


def _questions(spec: Path) -> tuple[str, ...]:
    packet = load_packet(spec)
    theme = load_theme(packet.theme, packet.folder)
    view = document_view(packet, packet_links(packet), theme, mode="print", inservice_id="one")
    assert view.inservice is not None
    assert view.inservice.kit is not None
    assert view.inservice.kit.evaluation is not None
    return view.inservice.kit.evaluation.questions


OBJECTIVE_QUESTIONS = (
    "I can now recognize the signs of child trafficking.",
    "I can now explain CASA's role after a disclosure.",
    "I can now use the CSEC screening tool.",
)


def test_evaluation_asks_about_each_objective(write_spec: Callable[..., Path]) -> None:
    # The default questions: the objectives' statements take the generic one's place.
    assert _questions(write_spec(EVALUATION_SPEC.format(evaluation="{}"))) == (
        *OBJECTIVE_QUESTIONS,
        "The presenter knew the subject well.",
        "I can use what I learned in my advocacy.",
        "The materials were useful.",
    )
    # The trainer's own questions are all kept, the generic one only dropped where it was.
    own = "{questions: [Was the room comfortable?, The in-service met its stated objectives., Q2]}"
    assert _questions(write_spec(EVALUATION_SPEC.format(evaluation=own))) == (
        "Was the room comfortable?",
        *OBJECTIVE_QUESTIONS,
        "Q2",
    )
    assert _questions(write_spec(EVALUATION_SPEC.format(evaluation="{questions: [Q1, Q2]}"))) == (
        *OBJECTIVE_QUESTIONS,
        "Q1",
        "Q2",
    )


def test_evaluation_without_objectives_keeps_the_default_questions(
    write_spec: Callable[..., Path],
) -> None:
    spec = write_spec("title: T\ninservices:\n  - id: one\n    title: One\n    evaluation: {}\n")
    assert _questions(spec) == tuple(Evaluation().questions)
    assert _questions(spec)[0] == "The in-service met its stated objectives."


KIT_SPEC = """\
title: T
inservices:
  - id: one
    title: One
{extra}
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    signin: {rows: -3}", "inservices[0].signin.rows: expected a number of 1 or more"),
        (
            "    signin: {rows: 100000}",
            "inservices[0].signin.rows: expected at most 500 rows, found 100000",
        ),
        (
            "    certificate: {signer: X, signature: ../sig.png}",
            "inservices[0].certificate.signature: expected a path inside the packet folder",
        ),
        (
            "    certificate: {signer: X, signature: notes.txt}",
            "inservices[0].certificate.signature: expected a PNG or JPEG image of the signature, found another kind of file: 'notes.txt'",
        ),
        (
            "    attendees: people.csv",
            "people.csv:1:1: name: expected a column headed 'name' in the first line, found 'who'",
        ),
    ],
)
def test_kit_bad_input(write_spec: Callable[..., Path], extra: str, expected: str) -> None:
    spec = write_spec(KIT_SPEC.format(extra=extra))
    (spec.parent / "notes.txt").write_text("not an image")
    (spec.parent / "people.csv").write_text("who\nAna\n")
    with pytest.raises(SpecError) as info:
        load_packet(spec)
    assert expected in str(info.value)


def test_credit_rule_for_unknown_kind_suggests(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(
        "title: T\ncredit:\n  artcle: {hours: 1}\ninservices:\n  - id: one\n    title: One\n"
    )
    with pytest.raises(SpecError) as info:
        load_packet(spec)
    assert (
        str(info.value)
        == f"{spec}:3:3: credit.artcle: unknown field 'artcle' in credit; did you mean 'article'?"
    )


def test_credit_rule_needs_one_way(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(
        "title: T\ncredit:\n  film: {cap: 2}\ninservices:\n  - id: one\n    title: One\n"
    )
    with pytest.raises(SpecError) as info:
        load_packet(spec)
    assert (
        str(info.value)
        == f"{spec}:3:9: credit.film: expected hours: N, running_time: true, or per_pages with hours"
    )


def test_signature_image_is_embedded(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n"
        "    certificate: {signer: Pat Lee, signature: sig.png}\n    attendees: [Ana Diaz]\n"
    )
    Image.new("RGB", (300, 80), (20, 20, 120)).save(spec.parent / "sig.png")
    result = make_certificates(spec, tmp_path / "out")
    reader = PdfReader(result.outputs[0][0])
    assert reader.pages[0]["/Resources"]["/XObject"]


def test_no_certificate_section(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec("title: T\ninservices:\n  - id: one\n    title: One\n")
    with pytest.raises(PacketgenError, match="no in-service has a certificate: section"):
        make_certificates(spec, tmp_path / "out")
