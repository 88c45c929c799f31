"""YAML mistakes a trainer makes by hand, and the plain-words messages they get.

Each broken spec is a small realistic packet with one thing wrong. The whole
message is asserted (what is wrong, the fix, the quoted line and the caret),
with the line and column of the mistake itself, not of where YAML noticed it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import packetgen
from packetgen import SpecError
from packetgen.errors import Problem
from packetgen.spec import _yaml_help
from packetgen.spec._sources import _yaml as yaml_reader
from packetgen.spec.models import Packet

SYNTAX = "not valid YAML, so nothing else was checked: "

BASE = """\
title: My packet
inservices:
  - id: one
    title: One
    items:
      - kind: link
        title: A page
        url: https://example.org/
"""


def broken(old: str, new: str, base: str = BASE) -> str:
    assert base.count(old) == 1, old
    return base.replace(old, new)


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        packetgen.load_packet(path)
    return info.value.problems


def write(folder: Path, text: str, name: str = "packet.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.fixture
def pure_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read specs without libyaml, as on an install whose PyYAML was built without it."""
    monkeypatch.setattr(yaml_reader, "_FastComposer", None)


CASES = [
    pytest.param(
        broken("        title: A page", "\ttitle: A page"),
        7,
        1,
        "",
        SYNTAX
        + "this line is indented with a tab, and YAML allows only spaces in an indent; delete the tab and type spaces, so that the line lines up with the lines it belongs with"
        "\n        title: A page"
        "\n    ^",
        id="tab-indent",
    ),
    pytest.param(
        broken("      - kind: link", "      -\tkind: link"),
        6,
        8,
        "",
        SYNTAX
        + "there is a tab in this line, and YAML allows only spaces here; replace the tab with a space: - kind: link"
        "\n          -    kind: link"
        "\n           ^",
        id="tab-after-dash",
    ),
    pytest.param(
        broken("title: My packet", "title: Wrightslaw: IEPs"),
        1,
        18,
        "",
        SYNTAX
        + 'a value that contains ": " must be in quotes (YAML reads a colon followed by a space as the end of a field name): title: "Wrightslaw: IEPs"'
        "\n    title: Wrightslaw: IEPs"
        "\n                     ^",
        id="colon-in-value",
    ),
    pytest.param(
        broken("title: A page", "title: Know your rights: IDEA"),
        7,
        32,
        "",
        SYNTAX
        + 'a value that contains ": " must be in quotes (YAML reads a colon followed by a space as the end of a field name): title: "Know your rights: IDEA"'
        "\n            title: Know your rights: IDEA"
        "\n                                   ^",
        id="colon-in-item-value",
    ),
    pytest.param(
        broken("title: One", "title: Note:"),
        4,
        16,
        "",
        SYNTAX
        + 'a value that ends with ":" must be in quotes (YAML reads a colon followed by a space as the end of a field name): title: "Note:"'
        "\n        title: Note:"
        "\n                   ^",
        id="colon-at-end",
    ),
    pytest.param(
        broken("title: My packet", "title: \u201cWrightslaw: IEPs\u201d"),
        1,
        8,
        "",
        SYNTAX
        + 'the value starts with the curly quote “, which YAML does not read as a quote (word processors and TextEdit type them); use straight quotes: title: "Wrightslaw: IEPs"'
        "\n    title: “Wrightslaw: IEPs”"
        "\n           ^",
        id="curly-double-quotes",
    ),
    pytest.param(
        broken("title: A page", "title: \u2018IEPs: a guide\u2019"),
        7,
        16,
        "",
        SYNTAX
        + 'the value starts with the curly quote \u2018, which YAML does not read as a quote (word processors and TextEdit type them); use straight quotes: title: "IEPs: a guide"'
        "\n            title: \u2018IEPs: a guide\u2019"
        "\n                   ^",
        id="curly-single-quotes",
    ),
    pytest.param(
        broken("    title: One", "     title: One"),
        4,
        6,
        "",
        SYNTAX
        + "title: has 5 spaces before it, one more than id: on line 3, so YAML reads it as part of the value of id:; use 4 spaces, so that title: lines up with id:"
        "\n         title: One"
        "\n         ^",
        id="indent-one-too-many",
    ),
    pytest.param(
        broken("    title: One", "   title: One"),
        4,
        4,
        "",
        SYNTAX
        + "title: has 3 spaces before it and does not line up with the fields above it; use 4 spaces, so that it lines up with id: on line 3"
        "\n       title: One"
        "\n       ^",
        id="indent-too-few",
    ),
    pytest.param(
        broken("    title: One\n", "    title: One\n      summary: Basics\n"),
        5,
        7,
        "",
        SYNTAX
        + "summary: is indented under title: (line 4), but title: already has a value on its line (One), and a field has either a value or fields under it; use 4 spaces, so that summary: lines up with title:"
        "\n          summary: Basics"
        "\n          ^",
        id="indent-under-a-value",
    ),
    pytest.param(
        broken("    items:", "    items: three"),
        6,
        7,
        "",
        SYNTAX
        + "this list is indented under items: (line 5), but items: already has a value on its line (three), and a field has either a value or a list under it; delete three after items:"
        "\n          - kind: link"
        "\n          ^",
        id="list-under-a-value",
    ),
    pytest.param(
        BASE + "     - kind: note\n       title: Second\n",
        9,
        6,
        "",
        SYNTAX
        + 'the "-" has 5 spaces before it and does not line up with the list above it; use 6 spaces, so that it lines up with the "-" on line 6'
        "\n         - kind: note"
        "\n         ^",
        id="dash-not-lined-up",
    ),
    pytest.param(
        BASE + "        kind: note\n        title: Second\n",
        9,
        9,
        "inservices[0].items[0].kind",
        'this looks like the start of a new list item, since this item already has kind: (line 6); put "- " before kind: in place of the last two spaces before it: - kind: note'
        "\n            kind: note"
        "\n            ^",
        id="item-without-dash",
    ),
    pytest.param(
        BASE + "    id: two\n    title: Two\n",
        9,
        5,
        "inservices[0].id",
        'this looks like the start of a new list item, since this item already has id: (line 3); put "- " before id: in place of the last two spaces before it: - id: two'
        "\n        id: two"
        "\n        ^",
        id="inservice-without-dash",
    ),
    pytest.param(
        broken("    title: One", "    title One"),
        4,
        10,
        "",
        SYNTAX + "the field name title needs a colon after it: title: One"
        "\n        title One"
        "\n             ^",
        id="missing-colon",
    ),
    pytest.param(
        broken("title: My packet", "title My packet"),
        1,
        6,
        "",
        SYNTAX + "the field name title needs a colon after it: title: My packet"
        "\n    title My packet"
        "\n         ^",
        id="missing-colon-first-line",
    ),
    pytest.param(
        broken("    items:", "    items"),
        5,
        10,
        "",
        SYNTAX + "the field name items needs a colon after it: items:"
        "\n        items"
        "\n             ^",
        id="missing-colon-lone-field",
    ),
    pytest.param(
        broken("    title: One", "    title:One"),
        4,
        11,
        "",
        SYNTAX
        + "a field name needs a space after its colon (without it YAML reads 'title:One' as text); write: title: One"
        "\n        title:One"
        "\n              ^",
        id="no-space-after-colon",
    ),
    pytest.param(
        broken("      - kind: link", "      - kind:link"),
        6,
        14,
        "",
        SYNTAX
        + "a field name needs a space after its colon (without it YAML reads 'kind:link' as text); write: - kind: link"
        "\n          - kind:link"
        "\n                 ^",
        id="no-space-after-colon-in-item",
    ),
    pytest.param(
        broken("      - kind: link", "      -kind: link"),
        6,
        7,
        "",
        SYNTAX + 'a list item needs a space after the "-": - kind: link'
        "\n          -kind: link"
        "\n          ^",
        id="no-space-after-dash",
    ),
    pytest.param(
        broken("url: https://example.org/", 'url: "https://example.org/'),
        8,
        14,
        "",
        SYNTAX
        + 'the quote " that starts this value is never closed; add " at the end of the value: url: "https://example.org/"'
        '\n            url: "https://example.org/'
        "\n                 ^",
        id="unclosed-quote",
    ),
    pytest.param(
        broken("    title: One", '    title: "One').replace("title: A page", 'title: "A page"'),
        4,
        12,
        "",
        SYNTAX
        + 'the quote " that starts this value is not closed on this line (YAML reads on to the " on line 7); add " at the end of the value: title: "One"'
        '\n        title: "One'
        "\n               ^",
        id="quote-closed-lines-later",
    ),
    pytest.param(
        broken("title: One", "title: 'Don't panic'"),
        4,
        16,
        "",
        SYNTAX
        + "the quotes around this value end too early, at the ' after 'Don'; put the value in double quotes instead: title: \"Don't panic\""
        "\n        title: 'Don't panic'"
        "\n                   ^",
        id="apostrophe-in-single-quotes",
    ),
    pytest.param(
        broken("title: One", 'title: "He said "hi""'),
        4,
        21,
        "",
        SYNTAX
        + "the quotes around this value end too early, at the \" after 'He said '; put the value in single quotes instead: title: 'He said \"hi\"'"
        '\n        title: "He said "hi""'
        "\n                        ^",
        id="double-quotes-in-double-quotes",
    ),
    pytest.param(
        broken("title: One", 'title: "Wrightslaw" guide'),
        4,
        23,
        "",
        SYNTAX
        + "the quotes around this value end too early, at the \" after 'Wrightslaw'; put the whole value in quotes: title: '\"Wrightslaw\" guide'"
        '\n        title: "Wrightslaw" guide'
        "\n                          ^",
        id="quotes-then-more-text",
    ),
    pytest.param(
        broken("title: One", "title: @home visits"),
        4,
        12,
        "",
        SYNTAX + 'a value that starts with @ must be in quotes: title: "@home visits"'
        "\n        title: @home visits"
        "\n               ^",
        id="starts-with-at",
    ),
    pytest.param(
        broken("title: One", "title: `code` club"),
        4,
        12,
        "",
        SYNTAX + 'a value that starts with ` must be in quotes: title: "`code` club"'
        "\n        title: `code` club"
        "\n               ^",
        id="starts-with-backtick",
    ),
    pytest.param(
        broken("title: One", "title: %50 off"),
        4,
        12,
        "",
        SYNTAX + 'a value that starts with % must be in quotes: title: "%50 off"'
        "\n        title: %50 off"
        "\n               ^",
        id="starts-with-percent",
    ),
    pytest.param(
        broken("title: One", "title: *Important* read this"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with * must be in quotes (YAML reads *name as a reference to another value): title: "*Important* read this"'
        "\n        title: *Important* read this"
        "\n               ^",
        id="starts-with-star",
    ),
    pytest.param(
        broken("title: One", "title: *Important"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with * must be in quotes (YAML reads *name as a reference to another value): title: "*Important"'
        "\n        title: *Important"
        "\n               ^",
        id="starts-with-star-word",
    ),
    pytest.param(
        broken("title: One", "title: & more"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with & must be in quotes (YAML reads &name as a name given to the value): title: "& more"'
        "\n        title: & more"
        "\n               ^",
        id="starts-with-ampersand",
    ),
    pytest.param(
        broken("title: One", "title: &more"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with & must be in quotes (YAML reads &name as a name given to the value): title: "&more"'
        "\n        title: &more"
        "\n               ^",
        id="starts-with-ampersand-word",
    ),
    pytest.param(
        broken("title: One", "title: !Important"),
        4,
        12,
        "inservices[0].title",
        'the YAML tag !Important is not allowed; write plain values; if the value is text that starts with !, put it in quotes: title: "!Important"'
        "\n        title: !Important"
        "\n               ^",
        id="starts-with-exclamation",
    ),
    pytest.param(
        broken("title: One", "title: > 5 years"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with > must be in quotes (YAML reads > as the start of a block of text on the lines below): title: "> 5 years"'
        "\n        title: > 5 years"
        "\n               ^",
        id="starts-with-greater-than",
    ),
    pytest.param(
        broken("title: One", "title: | A | B |"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with | must be in quotes (YAML reads | as the start of a block of text on the lines below): title: "| A | B |"'
        "\n        title: | A | B |"
        "\n               ^",
        id="starts-with-bar",
    ),
    pytest.param(
        broken("title: One", "title: ? Why"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with ? must be in quotes (YAML reads ? as a special kind of field name): title: "? Why"'
        "\n        title: ? Why"
        "\n               ^",
        id="starts-with-question-mark",
    ),
    pytest.param(
        broken("title: One", "title: , and more"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with , must be in quotes (YAML reads , as what separates the entries of a list): title: ", and more"'
        "\n        title: , and more"
        "\n               ^",
        id="starts-with-comma",
    ),
    pytest.param(
        broken("title: One", "title: [Draft"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with [ is read as a list, and this one is never closed with ]; if it is text, put it in quotes: title: "[Draft"'
        "\n        title: [Draft"
        "\n               ^",
        id="bracket-never-closed",
    ),
    pytest.param(
        broken("title: One", "title: [Draft] One"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with [ is read as a list, which ends at the ]; if the whole value is text, put it in quotes: title: "[Draft] One"'
        "\n        title: [Draft] One"
        "\n               ^",
        id="bracket-then-text",
    ),
    pytest.param(
        broken("title: One", "title: {Draft"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with { is read as a group of fields, and this one is never closed with }; if it is text, put it in quotes: title: "{Draft"'
        "\n        title: {Draft"
        "\n               ^",
        id="brace-never-closed",
    ),
    pytest.param(
        broken("title: One", "title: - One"),
        4,
        12,
        "",
        SYNTAX
        + 'a value that starts with "- " must be in quotes (YAML reads "- " as the start of a list item): title: "- One"'
        "\n        title: - One"
        "\n               ^",
        id="dash-as-value",
    ),
    pytest.param(
        broken("    items:\n      - kind: link", "    items: - kind: link"),
        5,
        12,
        "",
        SYNTAX
        + 'a list cannot start on the same line as items:; put "- kind: link" on the next line, with more spaces before it than items: has'
        "\n        items: - kind: link"
        "\n               ^",
        id="list-on-the-same-line",
    ),
    pytest.param(
        broken(
            "kind: link\n        title: A page\n        url: https://example.org/",
            'kind: handout\n        title: A page\n        file: "handouts\\week1.pdf"',
        ),
        8,
        24,
        "",
        SYNTAX
        + 'inside double quotes a backslash \\ starts a special code (like \\n for a new line), and \\w is not one; use / between folders instead: file: "handouts/week1.pdf"'
        '\n            file: "handouts\\week1.pdf"'
        "\n                           ^",
        id="windows-path-in-double-quotes",
    ),
    pytest.param(
        broken("title: One", 'title: "C:\\Users\\me"'),
        4,
        15,
        "",
        SYNTAX
        + "inside double quotes a backslash \\ starts a special code (like \\n for a new line), and \\U is not one; use single quotes instead, which keep every \\ as it is: title: 'C:\\Users\\me'"
        '\n        title: "C:\\Users\\me"'
        "\n                  ^",
        id="backslash-in-double-quotes",
    ),
    pytest.param(
        BASE + "---\ntitle: Another packet\n",
        9,
        1,
        "",
        SYNTAX
        + 'a line with only "---" here starts a second spec in the same file, and a spec file holds one packet; delete this line (and the lines after it that do not belong to the packet)'
        "\n    ---"
        "\n    ^",
        id="two-documents",
    ),
    pytest.param(
        BASE + "...\nsubtitle: More\n",
        9,
        1,
        "",
        SYNTAX
        + 'a line with only "..." ends the spec, so the lines after it cannot be read; delete it'
        "\n    ..."
        "\n    ^",
        id="document-end-marker",
    ),
    pytest.param(
        broken("        title: A page", "    \u00a0\u00a0\u00a0\u00a0title: A page"),
        7,
        5,
        "",
        SYNTAX
        + "the indent of this line contains a non-breaking space, which YAML does not count as a space (it comes from copying out of a word processor or a web page); delete the indent and type it again with the space bar"
        "\n        \xa0\xa0\xa0\xa0title: A page"
        "\n        ^",
        id="non-breaking-space-indent",
    ),
    pytest.param(
        broken("title: My packet", "\u00a0title: My packet"),
        1,
        1,
        "",
        "the indent of this line contains a non-breaking space, which YAML does not count as a space (it comes from copying out of a word processor or a web page); delete the indent and type it again with the space bar"
        "\n    \xa0title: My packet"
        "\n    ^",
        id="non-breaking-space-top",
    ),
    pytest.param(
        broken("        title: A page", "\u3000\u3000title: A page"),
        7,
        1,
        "",
        SYNTAX
        + "the indent of this line contains a full-width space, which YAML does not count as a space (it comes from copying out of a word processor or a web page); delete the indent and type it again with the space bar"
        "\n    \u3000\u3000title: A page"
        "\n    ^",
        id="full-width-space-indent",
    ),
    pytest.param(
        broken("    title: One", "\ufeff    title: One"),
        4,
        1,
        "",
        SYNTAX
        + "the indent of this line contains an invisible byte order mark, which YAML does not count as a space (it comes from copying out of a word processor or a web page); delete the indent and type it again with the space bar"
        "\n    ?    title: One"
        "\n    ^",
        id="byte-order-mark-in-indent",
    ),
    pytest.param(
        broken("    title: One", "    title:\u00a0One"),
        4,
        11,
        "",
        SYNTAX
        + "the space after title: is a non-breaking space, which YAML does not count as a space; type a normal space: title: One"
        "\n        title:\xa0One"
        "\n              ^",
        id="non-breaking-space-after-colon",
    ),
    pytest.param(
        broken("    title: One", "    : One"),
        4,
        5,
        "",
        SYNTAX
        + "there is no field name before this colon; write the name of the field first, like title: One"
        "\n        : One"
        "\n        ^",
        id="no-field-name",
    ),
    pytest.param(
        broken("    title: One", "    title: One\n    summary: |\n    Basics"),
        6,
        5,
        "",
        SYNTAX
        + "the lines of text under summary: | (line 5) need more spaces before them than summary: has; use 6 spaces"
        "\n        Basics"
        "\n        ^",
        id="text-block-not-indented",
    ),
    pytest.param(
        broken("    title: One", "    One"),
        4,
        5,
        "",
        SYNTAX
        + 'a line here must be a field with a colon after its name, like title: One, or a list item starting with "- "; this line has neither'
        "\n        One"
        "\n        ^",
        id="line-without-colon",
    ),
    pytest.param(
        broken(
            "    title: One",
            "    title: One\n    summary: The basics\n      of the law\n      here: more",
        ),
        7,
        11,
        "",
        SYNTAX
        + 'this line has more spaces than summary: on line 5, so YAML reads it as more of the text of summary:, and text with a colon in it must be in quotes; put the whole text in quotes, or write "summary: |" and the text on the lines below it'
        "\n          here: more"
        "\n              ^",
        id="colon-in-text-over-lines",
    ),
    pytest.param(
        broken("title: One", "title: One\x07"),
        4,
        15,
        "",
        SYNTAX + "the control character U+0007 is not allowed in a spec; delete it"
        "\n        title: One?"
        "\n                  ^",
        id="control-character",
    ),
    pytest.param(
        "%YAML 1.1\n" + BASE,
        2,
        1,
        "",
        SYNTAX
        + "YAML could not read this (expected '<document start>', but found '<scalar>'); check the spaces, colons and quotes on this line and the line above it"
        "\n    title: My packet"
        "\n    ^",
        id="unrecognised",
    ),
    pytest.param(
        broken("title: My packet", "title: Wrightslaw: IEPs").replace("\n", "\r\n"),
        1,
        18,
        "",
        SYNTAX
        + 'a value that contains ": " must be in quotes (YAML reads a colon followed by a space as the end of a field name): title: "Wrightslaw: IEPs"'
        "\n    title: Wrightslaw: IEPs"
        "\n                     ^",
        id="colon-in-value-crlf",
    ),
    pytest.param(
        broken("title: My packet", "title: 日本語: 入門"),
        1,
        11,
        "",
        SYNTAX
        + 'a value that contains ": " must be in quotes (YAML reads a colon followed by a space as the end of a field name): title: "日本語: 入門"'
        "\n    title: 日本語: 入門"
        "\n                 ^",
        id="wide-characters",
    ),
]


@pytest.mark.parametrize(("text", "line", "column", "field", "message"), CASES)
def test_yaml_mistake_is_explained(
    tmp_path: Path, text: str, line: int, column: int, field: str, message: str
) -> None:
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert [(p.line, p.column, p.field, p.message) for p in problems] == [
        (line, column, field, message)
    ]
    assert problems[0].file == str(path)


@pytest.mark.parametrize(("text", "line", "column", "field", "message"), CASES)
@pytest.mark.usefixtures("pure_python")
def test_pure_python_reader_gives_the_same_messages(
    tmp_path: Path, text: str, line: int, column: int, field: str, message: str
) -> None:
    assert yaml_reader._FastComposer is None
    problems = problems_of(write(tmp_path, text))
    assert [(p.line, p.column, p.field, p.message) for p in problems] == [
        (line, column, field, message)
    ]


def test_the_table_covers_the_mistakes() -> None:
    # A case dropped from the table would leave its recogniser untested.
    assert len(CASES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)


def test_whole_problem_reads_well_in_a_terminal(tmp_path: Path) -> None:
    path = write(tmp_path, broken("title: My packet", "title: Wrightslaw: IEPs"))
    with pytest.raises(SpecError) as info:
        packetgen.load_packet(path)
    assert str(info.value) == (
        f"{path}:1:18: not valid YAML, so nothing else was checked: a value that contains"
        ' ": " must be in quotes (YAML reads a colon followed by a space as the end of a field'
        ' name): title: "Wrightslaw: IEPs"\n'
        "    title: Wrightslaw: IEPs\n"
        "                     ^"
    )


def test_several_problems_keep_their_quoted_lines_under_them(tmp_path: Path) -> None:
    text = BASE + "        kind: note\n        title: Second\n    id: two\n"
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        packetgen.load_packet(path)
    assert str(info.value) == (
        "2 problems in the packet spec:\n"
        f"  {path}:9:9: inservices[0].items[0].kind: this looks like the start of a new list"
        ' item, since this item already has kind: (line 6); put "- " before kind: in place'
        " of the last two spaces before it: - kind: note\n"
        "            kind: note\n"
        "            ^\n"
        f"  {path}:11:5: inservices[0].id: this looks like the start of a new list item, since"
        ' this item already has id: (line 3); put "- " before id: in place of the last two'
        " spaces before it: - id: two\n"
        "        id: two\n"
        "        ^"
    )


def test_item_without_dash_is_told_once_however_many_fields_repeat(tmp_path: Path) -> None:
    text = BASE + "        kind: link\n        title: B\n        url: https://example.org/b\n"
    problems = problems_of(write(tmp_path, text))
    assert [(p.line, p.field) for p in problems] == [(9, "inservices[0].items[0].kind")]


def test_a_field_given_twice_is_still_a_duplicate(tmp_path: Path) -> None:
    # Not the item's first field: a plain duplicate, not a missing "- ".
    problems = problems_of(write(tmp_path, BASE + "        title: Again\n"))
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'packet.yaml'}:9:9: inservices[0].items[0].title: duplicate key 'title'"
        " (first given on line 7); each field may appear once"
    ]


def test_crlf_and_lf_give_the_same_message(tmp_path: Path) -> None:
    text = broken("    title: One", "   title: One")
    lf = problems_of(write(tmp_path, text, "lf.yaml"))
    crlf = problems_of(write(tmp_path, text.replace("\n", "\r\n"), "crlf.yaml"))
    assert [(p.line, p.column, p.message) for p in lf] == [
        (p.line, p.column, p.message) for p in crlf
    ]
    assert lf[0].message.startswith(SYNTAX + "title: has 3 spaces before it")


FIXES = (
    "put ",
    "use ",
    "delete ",
    "add ",
    "write",
    "type ",
    "replace ",
    "needs ",
    "must be ",
    "check ",
)


def test_first_line_of_a_message_holds_the_fix() -> None:
    """Some callers show only a message's first line: it must say what to do on its own."""
    without = [
        case.id
        for case in CASES
        if not any(fix in str(case.values[-1]).split("\n", 1)[0] for fix in FIXES)
    ]
    assert without == []


# ---------------------------------------------------------------- showing the line


def test_show_puts_the_caret_under_wide_characters() -> None:
    assert _yaml_help.show("title: 日本語: 入門", 10) == (
        "    title: 日本語: 入門\n    " + " " * 13 + "^"
    )


def test_show_draws_tabs_and_control_characters_in_one_place() -> None:
    # Column 5 is the invisible byte order mark, drawn as the second "?".
    assert _yaml_help.show("a\tb\x07c\ufeffd", 5) == "    a    b?c?d\n" + " " * 12 + "^"


def test_show_cuts_a_long_line_around_the_caret() -> None:
    line = "title: " + "x" * 500 + ": y" + "z" * 500
    shown, caret = _yaml_help.show(line, 507).split("\n")
    assert shown.startswith("    ...")
    assert shown.endswith("...")
    assert len(shown) <= 4 + 100
    assert shown[caret.index("^") - 1 : caret.index("^") + 3] == "x: y"


def test_problem_at_the_end_of_the_file_points_at_the_last_line(tmp_path: Path) -> None:
    # PyYAML notices on line 3, past the end; the trainer has to look at line 2.
    path = write(tmp_path, "%YAML 1.1\n%TAG ! tag:x.org,2002:\n\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.column) == (2, 23)
    assert problem.message == (
        SYNTAX + "YAML could not read this (expected '<document start>', but found"
        " '<stream end>'); check the spaces, colons and quotes on this line and the line"
        " above it\n    %TAG ! tag:x.org,2002:\n" + " " * 26 + "^"
    )


# ---------------------------------------------------------------- schema problems together


def test_impossible_date_does_not_hide_other_mistakes(tmp_path: Path) -> None:
    text = """\
title: My packet
colour: blue
inservices:
  - id: one
    date: 2024-13-01
    hours: lots
    items:
      - kind: link
        title: A page
        url: not a web address
      - kind: podcast
        title: B
      - kind: note
"""
    path = write(tmp_path, text)
    assert [(p.line, p.column, p.field, p.message) for p in problems_of(path)] == [
        (
            2,
            1,
            "colour",
            f"unknown field 'colour' for this packet (expected one of: {', '.join(Packet.model_fields)})",
        ),
        (4, 5, "inservices[0].title", "required field missing; add `title:`"),
        (5, 11, "inservices[0].date", "expected a date like 2018-03-12, found '2024-13-01'"),
        (6, 12, "inservices[0].hours", "expected a number, found the text 'lots'"),
        (
            10,
            14,
            "inservices[0].items[0].url",
            "expected an http:// or https:// URL, found no scheme",
        ),
        (
            11,
            15,
            "inservices[0].items[1].kind",
            "unknown kind 'podcast' (expected one of: article, recording, handout,"
            " presentation, film, campaign, link, note)",
        ),
        (13, 9, "inservices[0].items[2].title", "required field missing; add `title:`"),
    ]


@pytest.mark.parametrize("day", ["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10"])
def test_day_that_does_not_exist_is_reported_as_written(tmp_path: Path, day: str) -> None:
    path = write(tmp_path, broken("    title: One", f"    title: One\n    date: {day}"))
    assert [str(p) for p in problems_of(path)] == [
        f"{path}:5:11: inservices[0].date: expected a date like 2018-03-12, found '{day}'"
    ]


def test_real_dates_are_still_dates(tmp_path: Path) -> None:
    path = write(tmp_path, broken("    title: One", "    title: One\n    date: 2024-02-29"))
    assert str(packetgen.load_packet(path).inservices[0].date) == "2024-02-29"


def test_written_tag_on_an_impossible_date_is_still_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, broken("    title: One", "    title: One\n    date: !!timestamp 2024-13-01")
    )
    [problem] = problems_of(path)
    assert problem.field == "inservices[0].date"
    assert problem.message.startswith("cannot read value: ")


# ---------------------------------------------------------------- what still works


VALID = [
    pytest.param(BASE, id="minimal"),
    pytest.param(broken("https://example.org/", "https://example.org/#section"), id="hash-in-url"),
    pytest.param(broken("title: One", 'title: "Wrightslaw: IEPs"'), id="quoted-colon"),
    pytest.param(broken("title: One", "title: 'Don''t panic'"), id="doubled-apostrophe"),
    pytest.param(broken("title: One", "title: R&D *today*"), id="special-inside"),
    pytest.param(broken("    title: One", "    title : One"), id="space-before-colon"),
    pytest.param("\ufeff" + BASE, id="byte-order-mark-at-start"),
    pytest.param(BASE.replace("\n", "\r\n"), id="crlf"),
    pytest.param("---\n" + BASE, id="document-start"),
    pytest.param(
        broken(
            "        title: A page", "        title: >\n          A page\n          on two lines"
        ),
        id="folded-title",
    ),
]


@pytest.mark.parametrize("text", VALID)
def test_valid_spec_loads(tmp_path: Path, text: str) -> None:
    packet = packetgen.load_packet(write(tmp_path, text))
    assert packet.inservices[0].items[0].kind == "link"


@pytest.mark.parametrize("text", VALID)
@pytest.mark.usefixtures("pure_python")
def test_valid_spec_loads_without_libyaml(tmp_path: Path, text: str) -> None:
    packet = packetgen.load_packet(write(tmp_path, text))
    assert packet.inservices[0].items[0].kind == "link"


@pytest.mark.skipif(yaml_reader._FastComposer is None, reason="PyYAML built without libyaml")
def test_valid_spec_takes_only_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A valid spec is read once, by libyaml; the mistake finders never run."""

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the error path ran for a valid spec")

    monkeypatch.setattr(yaml_reader, "_Composer", never)
    monkeypatch.setattr(_yaml_help, "split_lines", never)
    monkeypatch.setattr(_yaml_help, "syntax_problem", never)
    text = broken("title: One", "title: One\n    date: 2018-03-12")
    assert packetgen.load_packet(write(tmp_path, text)).inservices[0].title == "One"


def test_json_spec_loads_with_positions(tmp_path: Path) -> None:
    data = {"title": "T", "inservices": [{"id": "one", "title": "One", "hours": "lots"}]}
    path = write(tmp_path, json.dumps(data, indent=2), "packet.json")
    assert [str(p) for p in problems_of(path)] == [
        f"{path}:7:16: inservices[0].hours: expected a number, found the text 'lots'"
    ]
    data["inservices"][0]["hours"] = 2  # type: ignore[index]
    assert packetgen.load_packet(write(tmp_path, json.dumps(data), "packet.json")).title == "T"


def test_json_with_tabs_keeps_its_positions(tmp_path: Path) -> None:
    text = '{\n\t"title": "T",\n\t"inservices": [{"id": "one", "title": "One", "hours": "x"}]\n}'
    path = write(tmp_path, text, "packet.json")
    [problem] = problems_of(path)
    assert (problem.line, problem.field) == (3, "inservices[0].hours")


def test_broken_json_is_reported_as_before(tmp_path: Path) -> None:
    path = write(tmp_path, '{"title": "T",\n "inservices": [}\n', "packet.json")
    assert [str(p) for p in problems_of(path)] == [f"{path}:2:17: invalid JSON: Expecting value"]


def test_toml_spec_loads_and_broken_toml_is_reported_as_before(tmp_path: Path) -> None:
    good = 'title = "T"\n[[inservices]]\nid = "one"\ntitle = "One"\n'
    assert packetgen.load_packet(write(tmp_path, good, "packet.toml")).title == "T"
    path = write(tmp_path, 'title = "T\n', "packet.toml")
    assert [str(p) for p in problems_of(path)] == [
        f"{path}:1:11: invalid TOML: Illegal character '\\n'"
    ]
