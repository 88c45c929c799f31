"""Hours records after the session: `packetgen hours` and packetgen.hours_records."""

from __future__ import annotations

import codecs
import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import packetgen
from packetgen import AttendanceError, PacketgenError, hours_records, write_hours
from packetgen.cli import main

from ..conftest import ROOT

DATA = ROOT / "tests" / "data" / "hours"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- the golden files


def test_golden_csv(tmp_path: Path) -> None:
    """The hand-checked records of tests/data/hours (its README works out every number)."""
    report = hours_records(DATA / "packet.yaml", DATA / "attendance.csv", year=2026)
    assert report.warnings == []
    written = write_hours(report, tmp_path / "hours.csv")
    assert written == [tmp_path / "hours.csv", tmp_path / "hours-totals.csv"]
    assert (tmp_path / "hours.csv").read_bytes() == (DATA / "expected-hours.csv").read_bytes()
    assert (tmp_path / "hours-totals.csv").read_bytes() == (
        DATA / "expected-hours-totals.csv"
    ).read_bytes()
    assert [str(s) for s in report.shortfalls] == [
        "Ana Ruiz: 1.5 h of in-person training short of the 1.5 h required",
        "Ana Ruiz: 1 h of virtual training short of the 1 h required",
        "Ana Ruiz: 3.5 h of self-study short of the 4 h required",
        "John Smith: 0.5 h of in-person training short of the 1.5 h required",
        "John Smith: 0.25 h of virtual training short of the 1 h required",
        "John Smith: 0.5 h of self-study short of the 4 h required",
        "Maria Lopez: 1.5 h of self-study short of the 4 h required",
    ]
    assert report.left_out == 1


def test_golden_csv_reads_as_a_spreadsheet_would(tmp_path: Path) -> None:
    """UTF-8 with a byte-order mark (as Excel's "CSV UTF-8"), CRLF, the spec's headers."""
    raw = (DATA / "expected-hours.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == [
        "Volunteer",
        "Training ID",
        "Training",
        "kind",
        "category",
        "Date Completed",
        "minutes",
        "Credit Hours",
        "note",
    ]
    capped = next(
        r for r in rows if r["Volunteer"] == "Maria Lopez" and r["Training"] == "I Am Jane Doe"
    )
    assert capped["Credit Hours"] == "1"
    assert capped["Date Completed"] == "05/20/2026"
    assert capped["note"] == (
        "104 min running time = 1.75 h, capped at 1.5 h;"
        " films earn at most 2.5 h a year: 1 h of 1.5 h counted"
    )


def test_golden_json(tmp_path: Path) -> None:
    report = hours_records(DATA / "packet.yaml", DATA / "attendance.csv", year=2026)
    written = write_hours(report, tmp_path / "hours.json", format="json")
    assert written == [tmp_path / "hours.json"]
    assert (tmp_path / "hours.json").read_text(encoding="utf-8") == (
        DATA / "expected-hours.json"
    ).read_text(encoding="utf-8")
    data = json.loads((DATA / "expected-hours.json").read_text(encoding="utf-8"))
    # The same numbers as the CSV files.
    rows = list(csv.DictReader(io.StringIO((DATA / "expected-hours.csv").read_text("utf-8-sig"))))
    assert [str(a["hours"]) for a in data["activities"]] == [r["Credit Hours"] for r in rows]
    maria = next(t for t in data["totals"] if t["name"] == "Maria Lopez")
    assert maria == {
        "name": "Maria Lopez",
        "year": 2026,
        "in_person": 1.5,
        "virtual": 1,
        "self_study": 2.5,
        "total": 5,
        "short": {"self_study": 1.5},
    }


def test_golden_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "records" / "hours.csv"
    code, stdout, err = run(
        capsys,
        "hours",
        str(DATA / "packet.yaml"),
        "--attendance",
        str(DATA / "attendance.csv"),
        "-o",
        str(out),
        "--year",
        "2026",
    )
    assert (code, err) == (0, "")
    assert stdout == (
        f"Wrote {out} (13 activities of 3 people)\n"
        f"Wrote {out.with_name('hours-totals.csv')}\n"
        "Left out 1 row dated outside 2026.\n"
        "Short of the hours required:\n"
        "  Ana Ruiz: 1.5 h of in-person training short of the 1.5 h required\n"
        "  Ana Ruiz: 1 h of virtual training short of the 1 h required\n"
        "  Ana Ruiz: 3.5 h of self-study short of the 4 h required\n"
        "  John Smith: 0.5 h of in-person training short of the 1.5 h required\n"
        "  John Smith: 0.25 h of virtual training short of the 1 h required\n"
        "  John Smith: 0.5 h of self-study short of the 4 h required\n"
        "  Maria Lopez: 1.5 h of self-study short of the 4 h required\n"
    )
    assert out.read_bytes() == (DATA / "expected-hours.csv").read_bytes()
    code, _, err = run(
        capsys,
        "hours",
        str(DATA / "packet.yaml"),
        "--attendance",
        str(DATA / "attendance.csv"),
        "-o",
        str(tmp_path / "hours.json"),
        "--format",
        "json",
        "--year",
        "2026",
    )
    assert (code, err) == (0, "")
    assert (tmp_path / "hours.json").read_text("utf-8") == (DATA / "expected-hours.json").read_text(
        "utf-8"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hours.json", "records"]


def test_every_year_on_its_own_without_year(tmp_path: Path) -> None:
    report = hours_records(DATA / "packet.yaml", DATA / "attendance.csv")
    assert report.left_out == 0
    ana = [(t.year, t.hours["virtual"]) for t in report.totals if t.name == "Ana Ruiz"]
    # The 2025 webinar (1.25 h computed, the whole session) is 2025's alone.
    assert ana == [(2025, 1.25), (2026, 0.0)]
    assert "Ana Ruiz (2025): 1.5 h of in-person training short of the 1.5 h required" in [
        str(s) for s in report.shortfalls
    ]


# ---------------------------------------------------------------- a small packet for the rest

SPEC = """\
title: T
credit:
  article: {hours: 1}
  film: {running_time: true, cap: 2}
  require: {self_study: 2}
inservices:
  - id: csec-understanding
    title: Understanding CSEC
    date: 2026-03-12
    time: 18:00-19:30
    hours: 1.5
    attendees: [Maria Lopez, John Smith]
    items:
      - {kind: article, title: What is CSEC?}
      - {kind: film, title: Very Young Girls, minutes: 83}
      - {kind: handout, title: Session handout, file: handout.pdf}
  - id: evening-talk
    title: Evening talk
    date: 2026-04-02
    hours: 2
  - id: undated
    title: Undated
    hours: 1
  - id: open-forum
    title: Open forum
    date: 2026-05-05
"""


@pytest.fixture
def packet(write_spec: Callable[..., Path], tmp_path: Path) -> Path:
    shutil.copy(ROOT / "tests" / "corpus" / _a_pdf(), tmp_path / "handout.pdf")
    return write_spec(SPEC)


def _a_pdf() -> str:
    return next(p.name for p in sorted((ROOT / "tests" / "corpus").glob("*.pdf")))


def attendance(tmp_path: Path, text: str, name: str = "attendance.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def problems(exc: pytest.ExceptionInfo[AttendanceError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_unknown_inservice_id_says_did_you_mean(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nMaria Lopez,csec-understandng\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [
        f"{csv_file}:2:2: inservice: no in-service with the id 'csec-understandng' in {packet};"
        " did you mean 'csec-understanding'?"
    ]


def test_unknown_inservice_without_a_near_id_lists_them(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(
        tmp_path, "name,inservice\nLopez, Maria,csec-understanding\nAna,Understanding CSEC\n"
    )
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    # The comma of an unquoted "Lopez, Maria" shifts the row; the extra cell says so.
    assert problems(exc) == [
        f"{csv_file}:2:3: this row has 3 cells but the first line only 2 headers; is there a"
        ' comma in a name? Put such a cell in double quotes ("Lopez, Maria"), or add a header for'
        " the extra column",
        f"{csv_file}:3:2: inservice: no in-service with the id 'Understanding CSEC' in {packet};"
        " that is the title of the in-service 'csec-understanding': write its id",
    ]


def test_name_not_on_the_roster_is_a_warning(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nJon Smith,csec-understanding\n")
    report = hours_records(packet, csv_file)
    assert [str(w) for w in report.warnings] == [
        f"{csv_file}:2:1: name: 'Jon Smith' is not on the attendees list of the in-service"
        f" 'csec-understanding' ({packet}:12:16); the hours are counted: check the spelling, or"
        " add the name to the list; did you mean 'John Smith'?"
    ]
    assert [a.hours for a in report.activities] == [1.5]


def test_roster_from_a_csv_file(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(
        "title: T\ninservices:\n  - id: one\n    title: One\n    date: 2026-01-10\n"
        "    hours: 1\n    attendees: people.csv\n"
    )
    (tmp_path / "people.csv").write_text("name\nAna Ruiz\n", encoding="utf-8")
    report = hours_records(spec, attendance(tmp_path, "name,inservice\nana ruiz,one\nBo,one\n"))
    assert [w.message for w in report.warnings] == [
        "'Bo' is not on the attendees list of the in-service 'one' ("
        f"{spec}:7:16); the hours are counted: check the spelling, or add the name to the list"
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "-30",
            "minutes: the minutes attended cannot be negative, found -30; write how many minutes"
            " the person was there, or leave the cell empty for the whole session",
        ),
        (
            "an hour",
            "minutes: expected the minutes attended as a number like 45, found 'an hour'; leave the"
            " cell empty when the person stayed the whole session",
        ),
        ("7000", "minutes: 7000 minutes is more than 6,000 (100 hours); check the number"),
    ],
)
def test_bad_minutes(packet: Path, tmp_path: Path, cell: str, message: str) -> None:
    csv_file = attendance(tmp_path, f"name,inservice,minutes\nMaria Lopez,evening-talk,{cell}\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [f"{csv_file}:2:3: {message}"]


def test_every_problem_at_once_in_line_order(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(
        tmp_path,
        "name,inservice,minutes,items,present,date\n"
        "Maria Lopez,evening-tlak,abc,,yes,\n"
        "John Smith,csec-understanding,,Very Yung Girls,maybe,\n"
        ",csec-understanding,,4,,12 March\n"
        "Ana Ruiz,undated,,,yes,\n",
    )
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert str(exc.value) == "\n".join(
        [
            "8 problems in the attendance file:",
            f"  {csv_file}:2:2: inservice: no in-service with the id 'evening-tlak' in {packet};"
            " did you mean 'evening-talk'?",
            f"  {csv_file}:2:3: minutes: expected the minutes attended as a number like 45, found"
            " 'abc'; leave the cell empty when the person stayed the whole session",
            f"  {csv_file}:3:4: items: 'Very Yung Girls' is not an item of the in-service"
            " 'csec-understanding': write an item's title as the spec has it, or its number (1 to"
            " 3), with ; between items; did you mean 'Very Young Girls'?",
            f"  {csv_file}:3:5: present: expected yes or no (or x for present) in the present"
            " column, found 'maybe'",
            f"  {csv_file}:4:1: name: the name is empty; write the person's name",
            f"  {csv_file}:4:4: items: the in-service 'csec-understanding' has only 3 items, so"
            " there is no item 4; number the items from 1 as the spec lists them",
            f"  {csv_file}:4:6: date: expected a date like 2026-04-09, found '12 March'",
            f"  {csv_file}:5:6: date: no date: the row has none and the in-service 'undated' has no"
            " date in the spec; write the date (like 2026-04-09) in a date column, or give the"
            " in-service a date:",
        ]
    )


def test_no_date_column_at_all_points_at_the_row(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nAna Ruiz,undated\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc)[0].startswith(f"{csv_file}:2: date: no date: the row has none")


def test_utf16_with_a_byte_order_mark_is_read(packet: Path, tmp_path: Path) -> None:
    """Excel's "Unicode Text": UTF-16 with a BOM, cells separated by tabs."""
    path = tmp_path / "attendance.txt"
    path.write_bytes("name\tinservice\r\nMaría López\tevening-talk\r\n".encode("utf-16"))
    report = hours_records(packet, path)
    assert [(a.name, a.hours) for a in report.activities] == [("María López", 2.0)]


def test_utf16_without_a_byte_order_mark_is_explained(packet: Path, tmp_path: Path) -> None:
    path = tmp_path / "attendance.csv"
    path.write_bytes("name,inservice\r\nAna,evening-talk\r\n".encode("utf-16-le"))
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, path)
    assert problems(exc) == [
        f"{path}: the file has zero bytes in it, as UTF-16 text without a byte-order mark (or a"
        " file that is not text) has; save it again as CSV: in Excel choose File > Save As and the"
        " type 'CSV UTF-8 (Comma delimited) (*.csv)'; in Google Sheets, File > Download >"
        " Comma-separated values"
    ]


def test_windows_1252_is_explained_at_its_cell(packet: Path, tmp_path: Path) -> None:
    path = tmp_path / "attendance.csv"
    path.write_bytes(
        "name,inservice\r\nAna,evening-talk\r\nMaría López,evening-talk\r\n".encode("cp1252")
    )
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, path)
    assert problems(exc) == [
        f"{path}:3:1: expected UTF-8 text, found the byte 0xed; the cell 'María López' looks like"
        " text saved in Windows-1252, as Excel's 'CSV (Comma delimited)' saves it; save the file"
        " again as CSV UTF-8: in Excel choose File > Save As and the type 'CSV UTF-8 (Comma"
        " delimited) (*.csv)'; in Google Sheets, File > Download > Comma-separated values"
    ]


def test_a_workbook_is_not_a_csv(packet: Path, tmp_path: Path) -> None:
    path = tmp_path / "attendance.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(
        AttendanceError, match=r"this is a spreadsheet workbook \(\.xlsx or \.xls\)"
    ):
        hours_records(packet, path)


def test_formula_cells_are_warned_about_and_written_as_text(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(
        tmp_path,
        'name,inservice\n"=HYPERLINK(""http://evil.example"",""x"")",evening-talk\n'
        '+Plus,evening-talk\n-Minus,evening-talk\n@At,evening-talk\n"\tTab",evening-talk\n',
    )
    report = hours_records(packet, csv_file)
    assert [str(w) for w in report.warnings] == [
        f'{csv_file}:2:1: name: \'=HYPERLINK("http://evil.example","x")\' looks like a'
        " spreadsheet formula; it is read as plain text, and written so that spreadsheets show it"
        " instead of running it. Check the cell: it should hold the value itself",
        f"{csv_file}:3:1: name: '+Plus' looks like a spreadsheet formula; it is read as plain"
        " text, and written so that spreadsheets show it instead of running it. Check the cell: it"
        " should hold the value itself",
        f"{csv_file}:4:1: name: '-Minus' looks like a spreadsheet formula; it is read as plain"
        " text, and written so that spreadsheets show it instead of running it. Check the cell: it"
        " should hold the value itself",
        f"{csv_file}:5:1: name: '@At' looks like a spreadsheet formula; it is read as plain text,"
        " and written so that spreadsheets show it instead of running it. Check the cell: it"
        " should hold the value itself",
    ]
    write_hours(report, tmp_path / "out" / "hours.csv")
    for name in ("hours.csv", "hours-totals.csv"):
        text = (tmp_path / "out" / name).read_text("utf-8-sig")
        cells = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
        assert sorted(cells) == sorted(
            ["'+Plus", "'-Minus", '\'=HYPERLINK("http://evil.example","x")', "'@At", "Tab"]
        ), name


def test_output_cells_that_start_a_formula_are_quoted(packet: Path, tmp_path: Path) -> None:
    """Whatever the source of a cell (here a title from the spec), no output cell runs."""
    spec = packet.read_text().replace("title: Evening talk", "title: '=1+1 talk'")
    packet.write_text(spec)
    report = hours_records(packet, attendance(tmp_path, "name,inservice\nAna,evening-talk\n"))
    assert "Ana,evening-talk,'=1+1 talk,in-service,in_person" in report.to_csv()
    assert report.to_dict()["activities"][0]["activity"] == "=1+1 talk"


def test_empty_file(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [
        f"{csv_file}:1:1: the file is empty; expected a first line of headers with at least the"
        " columns name and inservice, then one line per person and in-service"
    ]


def test_headers_only(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\n\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [
        f"{csv_file}:2:1: the file has its headers but no rows; add one line per person and"
        " in-service"
    ]


def test_missing_required_column(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "Name,In-service ID\nAna,evening-talk\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [
        f"{csv_file}:1:1: expected a column headed 'inservice' (the in-service's id, as in the"
        " spec) in the first line, found 'Name', 'In-service ID'; did you mean 'inservice' for"
        " 'In-service ID'?"
    ]


def test_two_columns_with_one_name(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice,Name\nAna,evening-talk,Ana\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [
        f"{csv_file}:1:3: two columns are headed 'name' (columns 1 and 3); keep one and rename or"
        " delete the other"
    ]


def test_headers_are_read_loosely(packet: Path, tmp_path: Path) -> None:
    """Case, spaces, hyphens and underscores in headers do not matter; ; separators work."""
    csv_file = attendance(tmp_path, " NAME ;In-Service;Minuts\nAna;evening-talk;30\n")
    report = hours_records(packet, csv_file)
    assert [(a.name, a.hours) for a in report.activities] == [("Ana", 2.0)]
    assert [str(w) for w in report.warnings] == [
        f"{csv_file}:1:3: Minuts: the column 'Minuts' is not one packetgen reads, so it is left"
        " out; did you mean 'minutes'?"
    ]


# ---------------------------------------------------------------- the credit rules


def test_minutes_scale_by_the_span_or_count_up_to_the_hours(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(
        tmp_path,
        "name,inservice,minutes\n"
        "Maria Lopez,csec-understanding,45\n"  # 1.5 h x 45/90 = 0.75
        "John Smith,csec-understanding,100\n"  # more than the 90-minute span: the whole
        "Maria Lopez,evening-talk,100\n"  # no span: 100/60 = 1.67 -> 1.75
        "John Smith,evening-talk,150\n",  # 2.5 h, at most the talk's 2 h
    )
    report = hours_records(packet, csv_file)
    assert [(a.name, a.inservice, a.hours, a.note) for a in report.activities] == [
        ("John Smith", "csec-understanding", 1.5, "90 of 90 min attended"),
        ("John Smith", "evening-talk", 2.0, "150 min attended, at most the in-service's 2 h"),
        ("Maria Lopez", "csec-understanding", 0.75, "45 of 90 min attended"),
        ("Maria Lopez", "evening-talk", 1.75, "100 min attended"),
    ]
    assert [str(w) for w in report.warnings] == [
        f"{csv_file}:3:3: minutes: 100 minutes is more than the session lasts (90 min,"
        " 18:00-19:30); counted as the whole session"
    ]


def test_absent_rows_are_listed_and_earn_nothing(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(
        tmp_path,
        "name,inservice,present,items\n"
        "Maria Lopez,csec-understanding,no,1\n"
        "John Smith,csec-understanding,,\n"
        "Ana Ruiz,evening-talk,N,\n",
    )
    report = hours_records(packet, csv_file)
    assert [(a.name, a.hours, a.note) for a in report.activities] == [
        ("Ana Ruiz", 0.0, "absent"),
        ("John Smith", 0.0, "absent"),
        ("Maria Lopez", 0.0, "absent"),
    ]
    assert [str(w) for w in report.warnings] == [
        f"{csv_file}:2:4: items: the row says Maria Lopez was not present, so the items listed"
        " earn nothing; if they were completed, write yes in the present column",
        f"{csv_file}: present: the present cell is empty on line 3; such rows count as absent"
        " (write yes or x for people who attended)",
    ]


def test_nothing_counts_twice(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(
        tmp_path,
        "name,inservice,items\n"
        "Maria Lopez,csec-understanding,Very Young Girls\n"
        "maria  lopez,csec-understanding,2;1\n",
    )
    report = hours_records(packet, csv_file)
    assert [(a.name, a.activity, a.hours) for a in report.activities] == [
        ("Maria Lopez", "Understanding CSEC", 1.5),
        ("Maria Lopez", "Very Young Girls", 1.5),
        ("Maria Lopez", "What is CSEC?", 1.0),
    ]
    assert [w.message for w in report.warnings] == [
        "'maria lopez' is counted as 'Maria Lopez' (line 2), the same name spelled differently;"
        " if they are two people, tell them apart (a middle initial)",
        "Maria Lopez already attended 'csec-understanding' (line 2); this row is not counted again",
        "Maria Lopez already completed 'Very Young Girls' (line 2); it is not counted again",
    ]


def test_items_without_a_rule_earn_nothing_and_say_why(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice,items\nMaria Lopez,csec-understanding,3\n")
    report = hours_records(packet, csv_file)
    handout = report.activities[1]
    assert (handout.activity, handout.kind, handout.hours, handout.note) == (
        "Session handout",
        "handout",
        0.0,
        "no credit: the credit policy has no rule for handouts",
    )
    assert [str(w) for w in report.warnings] == [
        f"{csv_file}:2:3: items: 'Session handout' earns no credit: the credit policy has no rule"
        " for handouts; it is listed with 0 h"
    ]


def test_an_inservice_without_hours_earns_nothing_and_says_so(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nAna,open-forum\nBo,open-forum\n")
    report = hours_records(packet, csv_file)
    assert [a.hours for a in report.activities] == [0.0, 0.0]
    assert [str(w) for w in report.warnings] == [
        f"{packet}:24:5: inservices[3]: the in-service 'open-forum' has no hours and no credit"
        " rule applies to it, so attending it earns 0 h; give it hours: in the spec"
    ]


def test_yearly_cap_applies_in_date_order_not_file_order(
    write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(
        "title: T\ncredit:\n  film: {running_time: true, cap_per_year: 1.5}\ninservices:\n"
        "  - id: films\n    title: Films\n    delivery: self_study\n    date: 2026-01-01\n"
        "    items:\n      - {kind: film, title: A, minutes: 60}\n"
        "      - {kind: film, title: B, minutes: 60}\n"
    )
    csv_file = attendance(
        tmp_path, "name,inservice,items,date\nAna,films,B,2026-03-01\nAna,films,A,2026-02-01\n"
    )
    report = hours_records(spec, csv_file)
    assert [(a.activity, a.hours, a.note) for a in report.activities] == [
        ("A", 1.0, "60 min running time = 1 h"),
        (
            "B",
            0.5,
            "60 min running time = 1 h; films earn at most 1.5 h a year: 0.5 h of 1 h counted",
        ),
    ]
    # A new year starts from nothing.
    csv_file = attendance(
        tmp_path, "name,inservice,items,date\nAna,films,A,2026-12-01\nAna,films,B,2027-01-02\n"
    )
    assert [a.hours for a in hours_records(spec, csv_file).activities] == [1.0, 1.0]


def test_self_study_inservice_with_hours(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    """Its hours when completed whole; its items, each on its own, when some are listed."""
    spec = write_spec(
        "title: T\ncredit:\n  article: {hours: 0.5}\ninservices:\n"
        "  - id: reading\n    title: Reading\n    delivery: self_study\n    date: 2026-01-01\n"
        "    hours: 3\n    items:\n      - {kind: article, title: A}\n"
        "      - {kind: article, title: B}\n"
    )
    csv_file = attendance(
        tmp_path, "name,inservice,items,minutes\nAna,reading,,\nBo,reading,B,30\n"
    )
    report = hours_records(spec, csv_file)
    assert [(a.name, a.activity, a.kind, a.category, a.hours) for a in report.activities] == [
        ("Ana", "Reading", "in-service", "self_study", 3.0),
        ("Bo", "B", "article", "self_study", 0.5),
    ]
    assert [str(w) for w in report.warnings] == [
        f"{csv_file}:3:4: minutes: minutes are not used for self-study items: each item earns its"
        " own credit"
    ]


def test_year_with_nothing_in_it(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nAna,evening-talk\n")
    with pytest.raises(PacketgenError) as exc:
        hours_records(packet, csv_file, year=2025)
    assert str(exc.value) == (
        f"{csv_file}: no attendance dated in 2025: its 1 row(s) are all from other years; leave"
        " out --year, or give the year of the sessions"
    )


def test_packet_object_and_exports(packet: Path, tmp_path: Path) -> None:
    loaded = packetgen.load_packet(packet)
    csv_file = attendance(tmp_path, "name,inservice\nAna,evening-talk\n")
    report = packetgen.hours_records(loaded, csv_file)
    assert isinstance(report, packetgen.HoursReport)
    assert report.totals[0].hours == {"in_person": 2.0, "virtual": 0.0, "self_study": 0.0}
    assert report.sources == (packet, csv_file)


# ---------------------------------------------------------------- the command


def test_failed_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], packet: Path, tmp_path: Path
) -> None:
    csv_file = attendance(tmp_path, "name,inservice,minutes\nAna,evening-talk,-5\n")
    out = tmp_path / "out" / "hours.csv"
    code, stdout, err = run(
        capsys, "hours", str(packet), "--attendance", str(csv_file), "-o", str(out)
    )
    assert code == 1
    assert stdout == ""
    assert err == (
        f"Error: {csv_file}:2:3: minutes: the minutes attended cannot be negative, found -5; write"
        " how many minutes the person was there, or leave the cell empty for the whole session\n"
    )
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()
    # An earlier output stays as it was.
    out.parent.mkdir()
    out.write_text("before")
    code, _, _ = run(capsys, "hours", str(packet), "--attendance", str(csv_file), "-o", str(out))
    assert code == 1
    assert out.read_text() == "before"
    assert sorted(p.name for p in out.parent.iterdir()) == ["hours.csv"]


def test_cli_warnings_and_default_output(
    capsys: pytest.CaptureFixture[str],
    packet: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    csv_file = attendance(tmp_path, "name,inservice\nJon Smith,csec-understanding\n")
    code, stdout, err = run(capsys, "hours", str(packet), "--attendance", str(csv_file))
    assert code == 0
    assert err.startswith(f"Warning: {csv_file}:2:1: name: 'Jon Smith' is not on the attendees")
    assert stdout == (
        "Wrote out/hours.csv (1 activity of 1 person)\n"
        "Wrote out/hours-totals.csv\n"
        "Short of the hours required:\n"
        "  Jon Smith: 2 h of self-study short of the 2 h required\n"
    )
    code, stdout, _ = run(
        capsys, "hours", str(packet), "--attendance", str(csv_file), "--format", "json"
    )
    assert code == 0
    assert stdout.startswith("Wrote out/hours.json (1 activity of 1 person)\n")
    data = json.loads((tmp_path / "out" / "hours.json").read_text("utf-8"))
    assert data["warnings"][0]["line"] == 2
    assert data["warnings"][0]["column"] == 1


def test_cli_says_when_everyone_has_the_hours(
    capsys: pytest.CaptureFixture[str], packet: Path, tmp_path: Path
) -> None:
    csv_file = attendance(tmp_path, "name,inservice,items\nMaria Lopez,csec-understanding,1;2\n")
    code, stdout, _ = run(
        capsys, "hours", str(packet), "--attendance", str(csv_file), "-o", str(tmp_path / "h.csv")
    )
    assert code == 0
    assert stdout.endswith("Everyone has the hours required.\n")


def test_cli_refuses_to_overwrite_an_input(
    capsys: pytest.CaptureFixture[str], packet: Path, tmp_path: Path
) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nAna,evening-talk\n")
    before = csv_file.read_bytes()
    code, _, err = run(
        capsys, "hours", str(packet), "--attendance", str(csv_file), "-o", str(csv_file)
    )
    assert code == 1
    assert err == (
        f"Error: the output {csv_file} would overwrite an input file (the spec, the attendance or"
        " an attendees list); choose another output file\n"
    )
    assert csv_file.read_bytes() == before


def test_cli_usage_errors(capsys: pytest.CaptureFixture[str], packet: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "hours", str(packet))
    assert code == 2
    assert "Missing option '--attendance'" in err
    csv_file = attendance(tmp_path, "name,inservice\nAna,evening-talk\n")
    code, _, err = run(
        capsys,
        "hours",
        str(packet),
        "--attendance",
        str(csv_file),
        "--format",
        "json",
        "--totals",
        str(tmp_path / "t.csv"),
    )
    assert code == 2
    assert "--totals is for --format csv; the JSON file holds the totals too" in err
    code, _, err = run(capsys, "hours", str(packet), "--attendance", str(tmp_path / "nope.csv"))
    assert code == 1
    assert err == f"Error: {tmp_path / 'nope.csv'}: no such file; check the --attendance path\n"


def test_help_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "hours", "--help")
    assert code == 0
    assert "Usage: packetgen hours [OPTIONS] SPEC" in out
    for words in ("--attendance FILE", "--totals FILE", "--format [csv|json]", "--year YEAR"):
        assert words in out


def test_readme_shows_real_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "After the session" example is what the command prints and writes."""
    for name in ("packet.yaml", "attendance.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "packetgen hours packet.yaml --attendance attendance.csv -o out/hours.csv --year 2026"
    shown = readme.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    code, stdout, _ = run(capsys, *command.split()[1:])
    assert code == 0
    assert stdout == shown
    written = (tmp_path / "out" / "hours.csv").read_text("utf-8-sig").replace("\r\n", "\n")
    totals = (tmp_path / "out" / "hours-totals.csv").read_text("utf-8-sig").replace("\r\n", "\n")
    blocks = [b.split("```", 1)[0] for b in readme.split("```csv\n")[1:]]
    maria = next(b for b in blocks if b.startswith("Volunteer,Training ID,Training,"))
    assert all(line in written.splitlines() for line in maria.splitlines())
    assert any(b == totals for b in blocks)
    bad = attendance(
        tmp_path,
        "name,inservice,minutes,items\nMaria Lopez,trauma-webnar,45,\n"
        "John Smith,csec-understanding,-60,Very Young Grls\n",
        name="bad.csv",
    )
    code, _, err = run(capsys, "hours", "packet.yaml", "--attendance", bad.name, "-o", "x.csv")
    assert code == 1
    assert err in readme


def test_invisible_characters_in_a_name(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice\nAna\u200bRuiz,evening-talk\n")
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    assert problems(exc) == [
        f"{csv_file}:2:1: name: the name 'Ana\\u200bRuiz' contains the invisible character"
        " U+200B; delete it and type the name again"
    ]


def test_a_long_file_of_mistakes_lists_the_first_ones(packet: Path, tmp_path: Path) -> None:
    csv_file = attendance(tmp_path, "name,inservice,minutes\n" + "Ana,evening-talk,x\n" * 30)
    with pytest.raises(AttendanceError) as exc:
        hours_records(packet, csv_file)
    found = problems(exc)
    assert len(found) == 26
    assert found[-1] == (
        f"{csv_file}: and 5 more like these, not listed here; fix the ones above first"
    )


def test_totals_file_name(packet: Path, tmp_path: Path) -> None:
    report = hours_records(packet, attendance(tmp_path, "name,inservice\nAna,evening-talk\n"))
    written = write_hours(report, tmp_path / "a.csv", totals=tmp_path / "sums" / "b.csv")
    assert written == [tmp_path / "a.csv", tmp_path / "sums" / "b.csv"]
    assert (tmp_path / "sums" / "b.csv").read_bytes().decode("utf-8-sig") == (
        "name,year,in_person,virtual,self_study,total,short\r\nAna,2026,2,0,0,2,2 h self-study\r\n"
    )
    with pytest.raises(PacketgenError, match="the totals would overwrite the activities"):
        write_hours(report, tmp_path / "a.csv", totals=tmp_path / "a.csv")
