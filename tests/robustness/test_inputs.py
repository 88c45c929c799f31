"""Inputs read as people mean them, or refused at their line ("untrusted input, round two").

Each case writes a real spec into a packet folder, runs from that folder (so
messages say ``packet.yaml:LINE:COL``) and either checks the reading a
trainer expects or the exact located error, both from ``load_packet`` and
from the CLI run in-process: exit code 1, one ``Error:`` block, no traceback.
"""

from __future__ import annotations

import csv
import io
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from packetgen import SpecError, load_packet
from packetgen.cli import main
from packetgen.content.credit import packet_hours
from packetgen.handouts.open import open_handout
from packetgen.tools.linkcheck import csv_cell

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

BASE = """\
title: Inputs
inservices:
  - id: one
    title: One
"""


@pytest.fixture
def here(packet_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work inside the packet folder: specs are named by relative paths, as in a service."""
    monkeypatch.chdir(packet_dir)
    return packet_dir


def write(folder: Path, text: str, name: str = "packet.yaml") -> str:
    (folder / name).write_text(text, encoding="utf-8", newline="")
    return name


def problems(spec: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_packet(spec)
    return [str(p) for p in info.value.problems]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(capsys: pytest.CaptureFixture[str], spec: str, expected: list[str]) -> None:
    """The loader and the CLI report exactly ``expected``, one line each, no traceback."""
    assert problems(spec) == expected
    code, out, err = cli(capsys, "check", spec)
    assert code == 1, (out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    body = [line.strip() for line in (lines[1:] if len(expected) > 1 else lines)]
    if len(expected) == 1:
        assert body == [f"Error: {expected[0]}"]
    else:
        assert lines[0] == f"Error: {len(expected)} problems in the packet spec:"
        assert body == expected


# ---------------------------------------------------------------- 1:30 (YAML 1.1 base 60)


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: tuple[str, ...]
    name: str = "packet.yaml"


CLOCK_CASES = [
    Case(
        "hours-h-mm",
        BASE + "    hours: 1:30\n",
        (
            "packet.yaml:5:12: inservices[0].hours: expected a number of hours, found 1:30"
            " (hours:minutes); write 1.5 for 1 hour 30 minutes",
        ),
    ),
    Case(
        "minutes-h-mm",
        BASE + "    items:\n      - kind: film\n        title: F\n        minutes: 1:30\n",
        (
            "packet.yaml:8:18: inservices[0].items[0].minutes: expected a whole number of"
            " minutes, found 1:30 (hours:minutes); write 90 for 1 hour 30 minutes",
        ),
    ),
    Case(
        "minutes-h-mm-ss",
        BASE + "    items:\n      - kind: film\n        title: F\n        minutes: 2:05:00\n",
        (
            "packet.yaml:8:18: inservices[0].items[0].minutes: expected a whole number of"
            " minutes, found 2:05:00 (hours:minutes:seconds); write 125 for 2 hours 5 minutes",
        ),
    ),
    Case(
        "credit-cap-and-round-to",
        "title: Inputs\ncredit:\n  film:\n    running_time: true\n    cap: 0:45\n"
        "  round_to: 0:15\n" + BASE.split("\n", 1)[1],
        (
            "packet.yaml:5:10: credit.film.cap: expected a number of hours, found 0:45"
            " (hours:minutes); write 0.75 for 45 minutes",
            "packet.yaml:6:13: credit.round_to: expected a number of hours, found 0:15"
            " (hours:minutes); write 0.25 for 15 minutes",
        ),
    ),
    Case(
        "json-string-clock",
        '{"title": "Inputs",\n "inservices": [{"id": "one", "title": "One",\n'
        '   "hours": "1:30"}]}\n',
        (
            "packet.json:3:13: inservices[0].hours: expected a number of hours, found 1:30"
            " (hours:minutes); write 1.5 for 1 hour 30 minutes",
        ),
        name="packet.json",
    ),
]


@pytest.mark.parametrize("case", CLOCK_CASES, ids=[c.id for c in CLOCK_CASES])
def test_clock_times_in_number_fields_are_refused_with_the_number_to_write(
    case: Case, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(capsys, write(here, case.text, case.name), list(case.expected))


def test_clock_times_in_text_fields_stay_text(here: Path) -> None:
    spec = write(here, BASE.replace("title: One", "title: 10:30") + "    location: 1:30\n")
    inservice = load_packet(spec).inservices[0]
    assert (inservice.title, inservice.location) == ("10:30", "1:30")


# ---------------------------------------------------------------- other YAML 1.1 numbers


def test_yaml_11_numbers_keep_their_written_meaning(here: Path) -> None:
    items = "".join(
        f"      - {{kind: film, title: F{i}, minutes: {written}}}\n"
        for i, written in enumerate(["017", "09", "0", "1_000", "+45", "0x10"])
    )
    spec = write(here, BASE + "    hours: 01.5\n    items:\n" + items)
    inservice = load_packet(spec).inservices[0]
    assert inservice.hours == 1.5
    # 017 is seventeen (YAML 1.1 says 15, octal), 09 is nine (YAML 1.1 says
    # text), 1_000 groups digits, 0x10 spells its base out.
    assert [item.minutes for item in inservice.items] == [17, 9, 0, 1000, 45, 16]


def test_explicitly_tagged_text_stays_text(here: Path) -> None:
    spec = write(here, BASE.replace("title: One", "title: !!str 017"))
    assert load_packet(spec).inservices[0].title == "017"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("0o17", "expected a whole number, found the text '0o17'"),
        (
            "1e3",
            "expected a whole number of minutes, found 1e3; write the number in plain digits, like 1.5",
        ),
        (
            "1,000",
            "expected a whole number of minutes, found 1,000; write it without the comma: 1000",
        ),
    ],
)
def test_number_spellings_that_are_not_plain_digits_are_refused(
    written: str, message: str, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(
        here,
        BASE + f"    items:\n      - kind: film\n        title: F\n        minutes: {written}\n",
    )
    assert_refused(capsys, spec, [f"packet.yaml:8:18: inservices[0].items[0].minutes: {message}"])


def test_decimal_comma_in_hours(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(here, BASE + "    hours: 1,5\n")
    assert_refused(
        capsys,
        spec,
        [
            "packet.yaml:5:12: inservices[0].hours: expected a number of hours, found 1,5;"
            " use a point for decimals: 1.5"
        ],
    )


# ---------------------------------------------------------------- huge numbers


BIG = "9" * 400
LONG = "9" * 31

RANGE_CASES = [
    Case(
        "hours-1e308",
        BASE + "    hours: 1.0e+308\n",
        (
            "packet.yaml:5:12: inservices[0].hours: expected at most 100 hours, found 1.0e+308;"
            " give the credit hours as a number like 1.5",
        ),
    ),
    Case(
        "minutes-31-digits",
        BASE + f"    items:\n      - kind: film\n        title: F\n        minutes: {LONG}\n",
        (
            "packet.yaml:8:18: inservices[0].items[0].minutes: expected at most 6,000 minutes"
            " (100 hours), found a number with 31 digits; give the running or reading time in"
            " minutes, like 90",
        ),
    ),
    Case(
        # Python would compute with it, but no field needs more than a few digits.
        "minutes-400-digits",
        BASE + f"    items:\n      - kind: film\n        title: F\n        minutes: {BIG}\n",
        (
            "packet.yaml:8:18: inservices[0].items[0].minutes: expected a number of reasonable"
            " size, found one with 400 digits",
        ),
    ),
    Case(
        # Hex has no length limit in Python, and str() of the result fails past
        # 4,300 digits: every message that showed it would have crashed.
        "hex-beyond-str",
        BASE.replace("title: One", "title: 0x" + "f" * 5000),
        (
            "packet.yaml:4:12: inservices[0].title: expected a number of reasonable size, found"
            " one with 6,021 digits",
        ),
    ),
    Case(
        "credit-rule-hours-per-pages-and-cap",
        "title: Inputs\ncredit:\n  handout: {hours: 1.0e+308, per_pages: 1000000, cap: "
        + LONG
        + "}\n"
        + BASE.split("\n", 1)[1],
        (
            "packet.yaml:3:20: credit.handout.hours: expected at most 100 hours, found 1.0e+308;"
            " give the credit hours as a number like 1.5",
            "packet.yaml:3:41: credit.handout.per_pages: expected at most 100,000 pages, found"
            " 1000000; give the number of pages each credit step stands for",
            "packet.yaml:3:55: credit.handout.cap: expected at most 100 hours, found a number"
            " with 31 digits; give the most credit one item can earn, like 1.5",
        ),
    ),
    Case(
        "json-1e308",
        '{"title": "Inputs",\n "inservices": [{"id": "one", "title": "One",\n'
        '   "hours": 1e308}]}\n',
        (
            "packet.json:3:13: inservices[0].hours: expected at most 100 hours, found 1e+308;"
            " give the credit hours as a number like 1.5",
        ),
        name="packet.json",
    ),
    Case(
        "toml-minutes",
        'title = "Inputs"\n[[inservices]]\nid = "one"\ntitle = "One"\n'
        f'[[inservices.items]]\nkind = "film"\ntitle = "F"\nminutes = {LONG}\n',
        (
            "packet.toml: inservices[0].items[0].minutes: expected at most 6,000 minutes"
            " (100 hours), found a number with 31 digits; give the running or reading time in"
            " minutes, like 90",
        ),
        name="packet.toml",
    ),
    Case(
        "toml-hex-400-digits",
        'title = "Inputs"\n[[inservices]]\nid = "one"\ntitle = "One"\n'
        f'[[inservices.items]]\nkind = "film"\ntitle = "F"\nminutes = 0x{"f" * 400}\n',
        (
            "packet.toml: inservices[0].items[0].minutes: expected a number of reasonable size,"
            " found one with 482 digits",
        ),
        name="packet.toml",
    ),
]


def test_base_60_is_never_computed(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PyYAML's base-60 arithmetic is quadratic: 1:2:3:… a MiB long took minutes."""
    clock = "1" + ":30" * 300_000
    spec = write(here, BASE + f"    hours: {clock}\n")
    started = time.monotonic()
    (message,) = problems(spec)
    assert time.monotonic() - started < 10
    assert message == (
        "packet.yaml:5:12: inservices[0].hours: the text is 900,001 characters long; at most"
        " 2,000 are allowed"
    )


@pytest.mark.parametrize("case", RANGE_CASES, ids=[c.id for c in RANGE_CASES])
def test_numbers_past_their_maximum_are_refused_at_their_line(
    case: Case, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(capsys, write(here, case.text, case.name), list(case.expected))


def test_numbers_at_their_maximum_compute_credit(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The overflows were in credit.py (minutes / 60, rounding an infinite product);
    at the maxima every computation stays finite."""
    spec = write(
        here,
        "title: Inputs\ncredit:\n  film: {running_time: true}\n"
        "  article: {hours: 100, per_pages: 1}\n"
        + BASE.split("\n", 1)[1]
        + "    items:\n"
        + "      - {kind: film, title: F, minutes: 6000}\n"
        + "      - {kind: article, title: A, length_pages: 100000}\n"
        + "  - id: two\n    title: Two\n    hours: 100\n",
    )
    hours = packet_hours(load_packet(spec))
    assert hours["one"].hours == 100 + 100 * 100_000
    assert hours["two"].hours == 100
    code, _, err = cli(capsys, "check", spec)
    assert (code, err) == (0, "")


# ---------------------------------------------------------------- URLs


URL_CASES = [
    Case(
        "port-too-big",
        BASE + "    items:\n      - kind: link\n        title: L\n"
        "        url: https://example.org:99999999/page\n",
        (
            "packet.yaml:8:14: inservices[0].items[0].url: the port '99999999' is not a number"
            " from 1 to 65535; most web addresses need no port: remove ':99999999'",
        ),
    ),
    Case(
        "port-zero-and-not-a-number",
        BASE + "    items:\n"
        "      - {kind: link, title: A, url: 'https://example.org:0/'}\n"
        "      - {kind: link, title: B, url: 'https://example.org:http/'}\n",
        (
            "packet.yaml:6:37: inservices[0].items[0].url: the port '0' is not a number from 1"
            " to 65535; most web addresses need no port: remove ':0'",
            "packet.yaml:7:37: inservices[0].items[1].url: the port 'http' is not a number from"
            " 1 to 65535; most web addresses need no port: remove ':http'",
        ),
    ),
    Case(
        "port-in-markdown-link",
        BASE + "    summary: 'Slides: [here](https://example.org:99999999/s).'\n",
        (
            "packet.yaml:5:14: inservices[0].summary: the link https://example.org:99999999/s:"
            " the port '99999999' is not a number from 1 to 65535; most web addresses need no"
            " port: remove ':99999999'",
        ),
    ),
    Case(
        "host-not-well-formed",
        BASE + "    items:\n"
        "      - {kind: link, title: A, url: 'https://[::1/x'}\n"
        "      - {kind: link, title: B, url: 'https://exa<mple>.org/'}\n",
        (
            "packet.yaml:6:37: inservices[0].items[0].url: expected a web address like"
            " https://example.org/page; the part in [ ] is not a valid IPv6 address",
            "packet.yaml:7:37: inservices[0].items[1].url: the host name 'exa<mple>.org'"
            " contains '<', which a web address cannot contain; check the address",
        ),
    ),
]


@pytest.mark.parametrize("case", URL_CASES, ids=[c.id for c in URL_CASES])
def test_urls_are_checked_at_their_line(
    case: Case, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(here, case.text, case.name)
    assert_refused(capsys, spec, list(case.expected))
    code, _, err = cli(capsys, "links", spec)  # where the port used to raise
    assert code == 1
    assert "Traceback" not in err
    assert case.expected[0] in err


def test_usual_ports_and_hosts_are_fine(here: Path) -> None:
    urls = [
        "http://localhost:8000/",
        "https://example.org:443/a",
        "https://[2001:db8::1]:8443/x",
        "https://straße.de/",
        "https://www.example.org./path",
    ]
    items = "".join(f"      - {{kind: link, title: L, url: '{u}'}}\n" for u in urls)
    packet = load_packet(write(here, BASE + "    items:\n" + items))
    assert [item.url for item in packet.inservices[0].items] == urls


# ---------------------------------------------------------------- ids, tags, control characters


TEXT_CASES = [
    Case(
        "id-trailing-newline",
        BASE.replace("id: one", 'id: "one\\n"'),
        (
            "packet.yaml:3:9: inservices[0].id: expected a short name of lowercase letters,"
            " digits and single hyphens (like csec-understanding), found 'one\\n'",
        ),
    ),
    Case(
        "language-trailing-newline",
        'language: "en\\n"\n' + BASE,
        ("packet.yaml:1:11: language: expected a language tag like en or es-MX, found 'en\\n'",),
    ),
    Case(
        "json-id-and-title",
        '{"title": "Inputs\\n",\n "inservices": [{"id": "one\\n", "title": "One"}]}\n',
        (
            "packet.json:1:11: title: expected one line of text, found a line break in"
            " 'Inputs\\n'; write it on one line",
            "packet.json:2:24: inservices[0].id: expected a short name of lowercase letters,"
            " digits and single hyphens (like csec-understanding), found 'one\\n'",
        ),
        name="packet.json",
    ),
    Case(
        "control-characters-in-names",
        BASE
        + '    presenter: "Ana\\e[31m"\n'
        + "    items:\n"
        + '      - {kind: film, title: "A\\tB", where_to_watch: ["Net\\x07flix"]}\n',
        (
            "packet.yaml:5:16: inservices[0].presenter: expected text without the control"
            " character U+001B, found it in 'Ana\\x1b[31m'; delete it",
            "packet.yaml:7:29: inservices[0].items[0].title: expected text without a tab, found"
            " it in 'A\\tB'; delete it",
            "packet.yaml:7:54: inservices[0].items[0].where_to_watch[0]: expected text without"
            " the control character U+0007, found it in 'Net\\x07flix'; delete it",
        ),
    ),
    Case(
        "control-character-in-markdown",
        BASE + '    summary: "First line\\nSecond \\e line"\n',
        (
            "packet.yaml:5:14: inservices[0].summary: expected text without the control character"
            " U+001B; line 2 of the text has one after 'Second ': delete it",
        ),
    ),
    Case(
        "id-too-long",
        BASE.replace("id: one", "id: " + "a" * 65),
        (
            "packet.yaml:3:9: inservices[0].id: the id is 65 characters long; it names the output"
            " files, so at most 64 are allowed: shorten it",
        ),
    ),
    Case(
        "line-break-in-file-name",
        BASE + '    items:\n      - {kind: handout, title: H, file: "faq\\n.pdf"}\n',
        (
            "packet.yaml:6:41: inservices[0].items[0].file: expected a path, found the control"
            " character U+000A in 'faq\\n.pdf'; rename the file and give its plain name",
        ),
    ),
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c.id for c in TEXT_CASES])
def test_text_with_control_characters_is_refused(
    case: Case, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(capsys, write(here, case.text, case.name), list(case.expected))


def test_yaml_block_titles_and_markdown_paragraphs_are_fine(here: Path) -> None:
    spec = write(
        here,
        "title: >\n  A long title\n  folded onto two lines\n"
        + BASE.split("\n", 1)[1]
        + "    summary: |\n      First paragraph.\n\n      Second,\ttabbed.\n",
    )
    packet = load_packet(spec)
    # The line break YAML puts at the end of a block is not part of the title.
    assert packet.title == "A long title folded onto two lines"
    assert packet.inservices[0].summary == "First paragraph.\n\nSecond,\ttabbed."


# ---------------------------------------------------------------- CSV formula injection


def test_links_csv_cells_never_start_a_formula(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    titles = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)", "Plain title"]
    items = "".join(
        f'      - kind: link\n        title: "{t}"\n        url: https://example.org/{i}\n'
        for i, t in enumerate(titles)
    )
    spec = write(here, BASE + "    items:\n" + items)
    code, out, err = cli(capsys, "links", "--format", "csv", spec)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["items"] for row in rows] == [
        "'=cmd|' /C calc'!A0",
        "'+SUM(1+1)",
        "'-2+3",
        "'@SUM(A1)",
        "Plain title",
    ]
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in rows for cell in row.values() if cell.startswith(dangerous)]


def test_csv_cell_neutralises_tab_and_carriage_return() -> None:
    # The spec refuses them in titles; URLs and details from handouts and
    # servers go through the same function.
    assert [csv_cell(v) for v in ("\t=1", "\r=1", "=1", "a=1", None, 3, False)] == [
        "'\t=1",
        "'\r=1",
        "'=1",
        "a=1",
        "",
        "3",
        "False",
    ]


# ---------------------------------------------------------------- file names


def _pdf(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / "faq.pdf", path)


@pytest.mark.parametrize(("in_spec", "on_disk"), [("NFC", "NFD"), ("NFD", "NFC")])
def test_file_names_match_across_unicode_normalisation(
    in_spec: str, on_disk: str, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    disk_name = unicodedata.normalize(on_disk, "Français/café.pdf")
    _pdf(here / disk_name)
    written = unicodedata.normalize(in_spec, "Français/café.pdf")
    spec = write(here, BASE + f"    items:\n      - {{kind: handout, title: H, file: {written}}}\n")
    item = load_packet(spec).inservices[0].items[0]
    # The packet carries the name as it is on disk, so every later stage opens it.
    assert item.file == disk_name
    assert len(open_handout(here / item.file, item="H").pages) >= 1
    code, _, err = cli(capsys, "check", spec)
    assert (code, err) == (0, "")


def test_backslash_paths_get_a_specific_hint(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _pdf(here / "handouts" / "faq.pdf")
    spec = write(
        here, BASE + "    items:\n      - {kind: handout, title: H, file: handouts\\faq.pdf}\n"
    )
    assert_refused(
        capsys,
        spec,
        [
            "packet.yaml:6:41: inservices[0].items[0].file: file not found: 'handouts\\faq.pdf';"
            " use / between folders: handouts/faq.pdf"
        ],
    )


def test_did_you_mean_compares_normalised_names(here: Path) -> None:
    _pdf(here / unicodedata.normalize("NFD", "résumé.pdf"))
    spec = write(here, BASE + "    items:\n      - {kind: handout, title: H, file: resume.pdf}\n")
    assert problems(spec) == [
        "packet.yaml:6:41: inservices[0].items[0].file: file not found: 'resume.pdf' (paths are"
        f" relative to the spec's folder); did you mean {unicodedata.normalize('NFD', 'résumé.pdf')!r}?"
    ]


def test_unusable_urls_inside_a_handout_are_not_harvested(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Link annotations a handout carries: one fine, one with an impossible port,
    # one with a broken IPv6 host. Only the first becomes a numbered link.
    from pypdf import PdfWriter
    from pypdf.annotations import Link

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    for n, uri in enumerate(
        ["https://example.org/fine", "http://example.org:99999999/", "http://[::1/broken"]
    ):
        writer.add_annotation(0, Link(rect=(72, 600 - 60 * n, 300, 640 - 60 * n), url=uri))
    with open(here / "links.pdf", "wb") as fh:
        writer.write(fh)
    spec = write(
        here,
        BASE + "    items:\n      - {kind: handout, title: Links, file: links.pdf}\n",
    )
    code, out, err = cli(capsys, "links", spec, "--format", "csv")
    assert code == 0, err
    assert "Traceback" not in err
    assert "https://example.org/fine" in out
    assert "99999999" not in out
    assert "[::1" not in out
