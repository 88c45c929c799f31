"""The build orchestrator: cache, parallel jobs, staging and the CLI around them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from packetgen import LimitError, PacketgenError
from packetgen.build.pipeline import build
from packetgen.cli import main

from ..conftest import EXAMPLE

pytestmark = pytest.mark.slow


def _copy_example(
    tmp_path: Path,
    keep: frozenset[str] = frozenset(
        {"advocating-webinar", "csec-understanding", "unlocking-the-narrative"}
    ),
) -> Path:
    """The example packet cut down to three in-services (one with handouts), for
    speed; unlocking-the-narrative loses its slide deck, so it stays the in-service
    with nothing to convert or merge."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "packet")
    spec = tmp_path / "packet" / "packet.yaml"
    data = yaml.safe_load(spec.read_text())
    data["inservices"] = [s for s in data["inservices"] if s["id"] in keep]
    for inservice in data["inservices"]:
        if inservice["id"] == "unlocking-the-narrative":
            inservice["items"] = [i for i in inservice["items"] if i["kind"] != "presentation"]
    spec.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return spec


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_the_cache_serves_unchanged_outputs_and_lays_out_changed_ones(tmp_path: Path) -> None:
    """End to end, through real layouts: what changes which key is tested at the
    key level (test_keys.py); here, that a build does use the keys. (Two
    in-services: the kit's and the certificates' caching is test_facilitator's.)"""
    spec = _copy_example(tmp_path, frozenset({"advocating-webinar", "unlocking-the-narrative"}))
    out = tmp_path / "out"
    first = build(spec, out)
    assert first.rebuilt == first.outputs
    before = _outputs(out)
    second = build(spec, out)
    assert second.rebuilt == []
    assert [o.path for o in second.outputs] == [o.path for o in first.outputs]
    assert [o.pages for o in second.outputs] == [o.pages for o in first.outputs]
    assert second.warnings == first.warnings
    assert _outputs(out) == before
    handout = spec.parent / "handouts" / "stages-of-change.pdf"
    handout.write_bytes(handout.read_bytes() + b"\n% edited\n")
    third = build(spec, out)
    assert {(o.kind, o.inservice) for o in third.rebuilt} == {
        ("binder", "advocating-webinar"),
        ("html", "advocating-webinar"),
        ("book", None),
    }


def test_no_cache_lays_out_everything(tmp_path: Path) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text("title: T\ninservices:\n  - id: one\n    title: One\n")
    out = tmp_path / "out"
    build(spec, out, format="html")
    assert build(spec, out, format="html").rebuilt == []
    result = build(spec, out, format="html", cache=False)
    assert [o.path.name for o in result.rebuilt] == ["one.html"]
    assert result.rebuilt == result.outputs


def test_parallel_output_is_byte_identical_to_sequential(tmp_path: Path) -> None:
    spec = _copy_example(tmp_path)
    build(spec, tmp_path / "one", jobs=1, cache=False)
    build(spec, tmp_path / "two", jobs=2, cache=False)
    assert _outputs(tmp_path / "one") == _outputs(tmp_path / "two")


def test_clean_and_jobs_on_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _copy_example(tmp_path)
    out = tmp_path / "out"
    assert (
        main(["build", str(spec), "-o", str(out), "--only", "unlocking-the-narrative", "-j", "2"])
        == 0
    )
    assert main(["build", str(spec), "-o", str(out), "--only", "unlocking-the-narrative"]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {out / 'unlocking-the-narrative.pdf'} (4 pages), unchanged" in printed
    assert main(["clean", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"Removed the build cache of {out}\n"
    assert not (out / ".packetgen-cache").exists()
    assert (out / "unlocking-the-narrative.pdf").exists()
    assert main(["clean", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"{out} has no build cache\n"
    assert main(["build", str(spec), "-o", str(out), "-j", "0"]) == 2


def test_failed_build_creates_no_output_folder(tmp_path: Path) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(
        "title: T\ninservices:\n  - id: one\n    title: One\n    summary: '![x](missing.png)'\n"
    )
    with pytest.raises(PacketgenError, match=r"missing\.png"):
        build(spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_progress_lines_quiet_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _copy_example(tmp_path)
    out = tmp_path / "out"
    args = ["build", str(spec), "-o", str(out), "--only", "unlocking-the-narrative", "-j", "1"]
    assert main(args) == 0
    captured = capsys.readouterr()
    # Not a terminal (pytest captures): plain numbered lines on stderr.
    assert "[1/2] Laid out unlocking-the-narrative.pdf" in captured.err
    assert "[2/2] Laid out unlocking-the-narrative.html" in captured.err
    assert main([*args, "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    data = json.loads(captured.out)
    assert [o["kind"] for o in data["outputs"]] == ["binder", "html"]
    assert all(o["cached"] for o in data["outputs"])
    assert data["hours"]["unlocking-the-narrative"] == 0


def test_isolated_build_with_limits(tmp_path: Path) -> None:
    spec = _copy_example(tmp_path)
    events: list[str] = []
    result = build(
        spec,
        tmp_path / "out",
        only=["unlocking-the-narrative"],
        timeout=120,
        max_memory=3 * 1024**3,
        progress=lambda event: events.append(f"{event.done}/{event.total} {event.message}"),
    )
    assert [o.path.name for o in result.outputs] == [
        "unlocking-the-narrative.pdf",
        "unlocking-the-narrative.html",
    ]
    assert "2/2 Laid out unlocking-the-narrative.html" in events
    with pytest.raises(LimitError, match=r"took longer than 0\.5 s"):
        build(spec, tmp_path / "slow", timeout=0.5, cache=False)
    assert not (tmp_path / "slow").exists()
    with pytest.raises(PacketgenError) as info:
        build(tmp_path / "missing.yaml", tmp_path / "x", timeout=60)
    assert "cannot read the spec: it does not exist" in str(info.value)


def test_a_rebuild_the_cache_serves_loads_no_layout_library(tmp_path: Path) -> None:
    """What a no-change rebuild costs is mostly imports: it must not pay for
    WeasyPrint, Jinja2 or httpx, which it does not use. (pypdf it still loads to
    count the pages that credit policies turn into hours.)"""
    spec = _copy_example(tmp_path)
    out = tmp_path / "out"
    build(spec, out, only=["unlocking-the-narrative"])
    script = (
        "import sys, packetgen\n"
        f"result = packetgen.build({str(spec)!r}, {str(out)!r}, only=['unlocking-the-narrative'])\n"
        "assert not result.rebuilt, result.rebuilt\n"
        "print(sorted(m for m in ('weasyprint', 'jinja2', 'httpx') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
