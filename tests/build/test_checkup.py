"""`packetgen check` finds what `build` would refuse, with the build's own words.

Every broken file here is a real one from tests/corpus (see its README for what
packetgen must do with each): the check and the build run in-process on the
same spec, and the check must stop at the same place with the same message,
find every problem in one run, and leave the handout scan in the build cache.
Untagged handouts are one line in a build and one each in `check -v`; `links
--check` on a computer that cannot look up any host says so once.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import packetgen
from packetgen import BuildError
from packetgen.build.pipeline import ProgressEvent, build
from packetgen.build.scan import scan_record
from packetgen.cli import main
from packetgen.handouts._untagged import UntaggedHandout
from packetgen.tools.linkcheck import LinkReport, OfflineError, check_links_sync

from ..conftest import CORPUS

Run = Callable[..., tuple[int, str, str]]

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*argv: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def packet(folder: Path, items: str, *, files: tuple[str, ...] = (), summary: str = "") -> Path:
    """A one-in-service packet in ``folder`` with corpus ``files`` copied beside it."""
    for name in files:
        shutil.copy(CORPUS / name, folder / name)
    spec = folder / "packet.yaml"
    spec.write_text(
        "title: Check\ninservices:\n  - id: one\n    title: One\n"
        + (f"    summary: {summary}\n" if summary else "")
        + "    items:\n"
        + textwrap.indent(textwrap.dedent(items), "      "),
        encoding="utf-8",
    )
    return spec


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("Warning: ")]


# ---------------------------------------------------------------- what build refuses


REFUSED = [
    pytest.param(
        "- {kind: handout, title: Truncated, file: truncated.pdf}\n",
        ("truncated.pdf",),
        "",
        "the file is damaged or incomplete",
        id="truncated",
    ),
    pytest.param(
        "- {kind: handout, title: Registration, file: not-really-a-pdf.pdf}\n",
        ("not-really-a-pdf.pdf",),
        "",
        "this is an HTML web page saved with a .pdf name, not a PDF",
        id="html-as-pdf",
    ),
    pytest.param(
        "- {kind: handout, title: Empty, file: empty.pdf}\n",
        ("empty.pdf",),
        "",
        "the file is empty (0 bytes)",
        id="empty",
    ),
    pytest.param(
        "- {kind: handout, title: Protected, file: encrypted-needs-password.pdf}\n",
        ("encrypted-needs-password.pdf",),
        "",
        "the file is protected with a password; put `password: ...` on this item",
        id="encrypted-without-password",
    ),
    pytest.param(
        "- {kind: handout, title: Protected, file: encrypted-needs-password.pdf,"
        " password: wrong}\n",
        ("encrypted-needs-password.pdf",),
        "",
        "the password given for this file is wrong",
        id="encrypted-wrong-password",
    ),
    pytest.param(
        '- {kind: handout, title: Red flags, file: redflags.pdf, pages: "3-9"}\n',
        ("redflags.pdf",),
        "",
        'pages "3-9" is past the end: the file has 1 page',
        id="pages-past-the-end",
    ),
    pytest.param(
        "- {kind: note, title: Chart, description: 'See ![the chart](missing.png).'}\n",
        (),
        "",
        "'missing.png'",
        id="missing-markdown-image",
    ),
    pytest.param(
        "- {kind: note, title: Chart}\n",
        ("handout-photo.jpg",),
        "'Look: ![a photo](https://example.org/photo.jpg)'",
        "packetgen does not load images from the web",
        id="web-image-in-summary",
    ),
]


@pytest.mark.parametrize(("items", "files", "summary", "phrase"), REFUSED)
def test_check_stops_where_build_stops_with_the_same_message(
    tmp_path: Path, run: Run, items: str, files: tuple[str, ...], summary: str, phrase: str
) -> None:
    spec = packet(tmp_path, items, files=files, summary=summary)
    out = tmp_path / "out"
    code, built, build_err = run("build", spec, "-o", out, "--format", "pdf", "--no-cache")
    assert code == 1, built
    (refusal,) = error_lines(build_err)
    assert refusal.startswith(f"Error: {spec}:")
    assert phrase in refusal

    code, checked, check_err = run("check", spec, "-o", out)
    assert (code, checked) == (1, "")
    assert error_lines(check_err) == [refusal]
    assert "Traceback" not in check_err


def test_check_says_when_libreoffice_is_missing_as_build_does(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = packet(tmp_path, "- {kind: handout, title: FAQ, file: faq.docx}\n", files=("faq.docx",))
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a computer without LibreOffice
    code, _, build_err = run("build", spec, "-o", tmp_path / "out", "--format", "pdf")
    assert code == 1
    (refusal,) = error_lines(build_err)
    assert "LibreOffice, which is not installed. Install it" in refusal
    code, _, check_err = run("check", spec, "-o", tmp_path / "out")
    assert code == 1
    assert error_lines(check_err) == [refusal]


def test_every_problem_is_found_in_one_run_in_spec_order(tmp_path: Path, run: Run) -> None:
    spec = packet(
        tmp_path,
        """\
        - {kind: handout, title: Truncated, file: truncated.pdf}
        - {kind: handout, title: Fine, file: faq.pdf}
        - {kind: handout, title: Registration, file: not-really-a-pdf.pdf}
        - {kind: note, title: Chart, description: '![chart](missing.png)'}
        - {kind: handout, title: Empty, file: empty.pdf}
        - {kind: note, title: Map, description: '![map](also-missing.png)'}
        """,
        files=("truncated.pdf", "faq.pdf", "not-really-a-pdf.pdf", "empty.pdf"),
        summary="'![logo](logo.png)'",
    )
    code, out, err = run("check", spec, "-o", tmp_path / "out")
    assert (code, out) == (1, "")
    lines = error_lines(err)
    assert lines[0] == "Error: 6 problems, each of which would stop `packetgen build`:"
    found = [line.strip() for line in lines[1:]]
    assert [p.split(": ", 2)[1] for p in found] == [
        "inservices[0].summary",
        "inservices[0].items[0].file",
        "inservices[0].items[2].file",
        "inservices[0].items[3].description",
        "inservices[0].items[4].file",
        "inservices[0].items[5].description",
    ]
    lines_in_spec = [int(p.split(":")[1]) for p in found]
    assert lines_in_spec == sorted(lines_in_spec)
    assert "logo.png" in found[0]
    assert "truncated.pdf: Truncated: the file is damaged" in found[1]
    assert "also-missing.png" in found[5]
    # The file that opens is not a problem; it is untagged, which is a warning.
    assert not any("faq.pdf" in p for p in found)
    (warning,) = [line for line in err.splitlines() if line.startswith("Warning: ")]
    assert "1 handout file is not tagged for screen readers: faq.pdf;" in warning


def test_library_check_returns_problems_and_warnings(tmp_path: Path) -> None:
    spec = packet(
        tmp_path,
        "- {kind: handout, title: Empty, file: empty.pdf}\n"
        "- {kind: handout, title: Photo, file: handout-photo.jpg}\n",
        files=("empty.pdf", "handout-photo.jpg"),
    )
    result = packetgen.check(spec, tmp_path / "out")
    assert not result.ok
    (problem,) = result.problems
    assert problem.startswith(f"{spec}:6:")
    assert [(h.file, h.kind, h.acknowledged) for h in result.untagged] == [
        ("handout-photo.jpg", "picture", False)
    ]
    assert result.warnings == [result.untagged_warning]


def test_a_damaged_signature_is_found_at_its_line(tmp_path: Path, run: Run) -> None:
    (tmp_path / "sig.png").write_bytes((CORPUS / "handout-screenshot.png").read_bytes()[:40])
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: Check\ninservices:\n  - id: one\n    title: One\n"
        "    certificate: {signer: Pat Lee, signature: sig.png}\n"
        "    attendees: [Ana, Ben, Ana]\n",
        encoding="utf-8",
    )
    result = packetgen.check(spec, tmp_path / "out")
    (problem,) = result.problems
    assert problem.startswith(f"{spec}:5:")
    assert "inservices[0].certificate.signature:" in problem
    assert "the signature image is damaged and cannot be read" in problem
    assert any("'Ana' is listed 2 times" in w for w in result.warnings)
    code, out, err = run("check", spec, "-o", tmp_path / "out")
    assert (code, out) == (1, "")
    (line,) = error_lines(err)
    assert line.startswith(f"Error: {spec}:5:")
    assert "the signature image is damaged and cannot be read" in line


# ---------------------------------------------------------------- the cache


def test_build_after_check_does_not_open_the_handouts_again(tmp_path: Path, run: Run) -> None:
    spec = packet(
        tmp_path,
        "- {kind: handout, title: FAQ, file: faq.pdf}\n"
        "- {kind: handout, title: Photo, file: handout-photo.jpg}\n",
        files=("faq.pdf", "handout-photo.jpg"),
    )
    out = tmp_path / "out"

    def opened(target: Path) -> list[str]:
        events: list[ProgressEvent] = []
        result = build(spec, target, format="html", progress=events.append)
        assert len([w for w in result.warnings if "not tagged" in w]) == 1
        return [e.message for e in events if e.message.startswith("Opening the handouts")]

    # Without a check, the build opens them.
    assert opened(tmp_path / "elsewhere") == ["Opening the handouts of one"]
    code, report, err = run("check", spec, "-o", out)
    assert code == 0, err
    assert report.startswith(f"{spec}: OK\n")
    assert opened(out) == []


def test_check_without_cache_writes_nothing(tmp_path: Path, run: Run) -> None:
    spec = packet(tmp_path, "- {kind: handout, title: FAQ, file: faq.pdf}\n", files=("faq.pdf",))
    assert run("check", spec, "-o", tmp_path / "out", "--no-cache")[0] == 0
    assert not (tmp_path / "out").exists()
    assert run("check", spec, "-o", tmp_path / "out")[0] == 0
    assert (tmp_path / "out" / ".packetgen-cache").is_dir()


def test_a_failed_check_does_not_make_the_output_folder(tmp_path: Path, run: Run) -> None:
    spec = packet(
        tmp_path, "- {kind: handout, title: Empty, file: empty.pdf}\n", files=("empty.pdf",)
    )
    assert run("check", spec, "-o", tmp_path / "out")[0] == 1
    assert not (tmp_path / "out").exists()


def test_scan_records_are_read_back_only_when_well_formed() -> None:
    good = {"links": [[0, "https://example.org/"]], "warnings": ["w"], "untagged": [[1, "pdf"]]}
    assert scan_record(good) == {
        "links": [(0, "https://example.org/")],
        "warnings": ["w"],
        "untagged": [(1, "pdf")],
    }
    for bad in [
        {"links": [], "warnings": []},  # made before untagged handouts were recorded
        {**good, "untagged": [[1, "photo"]]},
        {**good, "untagged": [[-1, "pdf"]]},
        {**good, "untagged": [[True, "pdf"]]},
        {**good, "untagged": [[1, "pdf", "extra"]]},
        {**good, "untagged": "pdf"},
        {**good, "extra": 1},
    ]:
        assert scan_record(bad) is None, bad


# ---------------------------------------------------------------- untagged handouts

UNTAGGED_ITEMS = """\
- {kind: handout, title: FAQ, file: faq.pdf}
- {kind: handout, title: Photo, file: handout-photo.jpg}
- {kind: handout, title: Scan, file: scan-image-only.pdf}
- {kind: handout, title: Stages, file: stages.pdf}
"""
UNTAGGED_FILES = ("faq.pdf", "handout-photo.jpg", "scan-image-only.pdf", "stages.pdf")


def test_untagged_handouts_are_one_line_and_fail_strict(tmp_path: Path) -> None:
    spec = packet(tmp_path, UNTAGGED_ITEMS, files=UNTAGGED_FILES)
    result = build(spec, tmp_path / "out", format="html")
    untagged = [w for w in result.warnings if "tagged" in w]
    assert untagged == [
        f"{spec}: 3 handout files are not tagged for screen readers: faq.pdf,"
        " handout-photo.jpg, scan-image-only.pdf; `packetgen check -v"
        f" {spec}` says what to do about each, or set `tagged: false` on an item to stop this"
        " warning for it"
    ]
    with pytest.raises(BuildError, match="3 handout files are not tagged"):
        build(spec, tmp_path / "strict", format="html", strict=True)


def test_tagged_false_acknowledges_and_strict_passes(tmp_path: Path) -> None:
    items = UNTAGGED_ITEMS.replace("}", ", tagged: false}").replace(
        "stages.pdf, tagged: false", "stages.pdf"
    )
    spec = packet(tmp_path, items, files=UNTAGGED_FILES)
    result = build(spec, tmp_path / "out", format="html", strict=True)
    assert not [w for w in result.warnings if "tagged" in w]
    # One left unacknowledged still fails --strict, and only it is named.
    spec.write_text(spec.read_text().replace("faq.pdf, tagged: false", "faq.pdf"))
    with pytest.raises(BuildError, match=r"1 handout file is not tagged [^:]*: faq\.pdf;"):
        build(spec, tmp_path / "strict", format="html", strict=True)


def test_check_verbose_lists_each_with_its_line_and_advice(tmp_path: Path, run: Run) -> None:
    items = UNTAGGED_ITEMS.replace("scan-image-only.pdf}", "scan-image-only.pdf, tagged: false}")
    spec = packet(tmp_path, items, files=UNTAGGED_FILES)
    code, out, err = run("check", spec, "-o", tmp_path / "out")
    assert (code, err) == (0, "")
    assert "Warning: " in out
    assert "2 handout files are not tagged for screen readers: faq.pdf, handout-photo.jpg;" in out

    code, out, err = run("check", spec, "-o", tmp_path / "out", "-v")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert not [line for line in lines if "handout files are not tagged" in line]
    faq, photo = [line for line in lines if line.startswith("Warning: ")]
    assert faq.startswith(f"Warning: {spec}:6:")
    assert "inservices[0].items[0].file: faq.pdf: is not tagged" in faq
    assert "ask its author for an accessible (tagged) version" in faq
    assert photo.startswith(f"Warning: {spec}:7:")
    assert "handout-photo.jpg: is a picture of a page" in photo
    assert "type the text it shows into the item's `description`" in photo
    assert "or set `tagged: false` on the item to stop this warning" in photo
    (scan,) = [line for line in lines if line.startswith("Note: ")]
    assert scan.startswith(f"Note: {spec}:8:")
    assert "scan-image-only.pdf: is not tagged for screen readers; `tagged: false`" in scan


def test_each_kind_has_its_own_advice() -> None:
    def advice(kind: str) -> str:
        return UntaggedHandout("one", "T", "f", "p:1:1", "x", kind, False).advice  # type: ignore[arg-type]

    assert "type the text it shows" in advice("picture")
    assert "Document structure tags for accessibility" in advice("office")
    assert "Universal Accessibility (PDF/UA)" in advice("office")
    assert "ask its author" not in advice("office")
    assert "ask its author" in advice("pdf")


# ---------------------------------------------------------------- links --check offline


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would look the hosts up instead of this computer.
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def _reports(*urls: str) -> list[LinkReport]:
    return [LinkReport(n, url, ("x",), ("one",), 1, 22.0, 0.7) for n, url in enumerate(urls, 1)]


@pytest.mark.usefixtures("no_proxy")
def test_no_host_found_and_no_control_host_is_offline_not_broken() -> None:
    # Real lookups that fail: names under .invalid never resolve (RFC 2606).
    reports = _reports("http://one.invalid/a", "http://two.invalid/b", "http://one.invalid/c")
    with pytest.raises(OfflineError) as info:
        check_links_sync(reports, timeout=2, control_hosts=["control.invalid"])
    message = str(info.value)
    assert message.startswith("could not check any of the 3 links: no host name could be looked")
    assert "(one.invalid, two.invalid) nor control.invalid, which always answers" in message
    assert "this computer seems to be offline. Check its internet connection" in message


@pytest.mark.usefixtures("no_proxy")
def test_hosts_that_do_not_exist_are_broken_when_a_control_host_resolves() -> None:
    reports = _reports("http://one.invalid/a", "http://two.invalid/b")
    checked = check_links_sync(reports, timeout=2, control_hosts=["localhost"])
    assert [(r.verdict, r.detail) for r in checked] == [
        ("broken", "host not found: one.invalid does not exist (DNS)"),
        ("broken", "host not found: two.invalid does not exist (DNS)"),
    ]
    # Without a control host nothing proves the computer offline: the verdicts stand.
    assert check_links_sync(reports, timeout=2, control_hosts=[]) == checked


@pytest.mark.usefixtures("no_proxy")
def test_links_check_offline_says_so_once_and_exits_3(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("packetgen.tools.linkcheck.CONTROL_HOSTS", ("control.invalid",))
    spec = packet(
        tmp_path,
        "- {kind: link, title: A, url: 'https://site-a.invalid/'}\n"
        "- {kind: link, title: B, url: 'https://site-b.invalid/page'}\n",
    )
    code, out, err = run("links", spec, "--check", "--timeout", "2")
    assert (code, out) == (3, "")
    (line,) = err.splitlines()
    assert line.startswith("Error: could not check any of the 2 links:")
    assert "seems to be offline" in line
    assert "broken" not in line
