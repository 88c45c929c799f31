"""The scan stage reads each handout once per build: the cache keys, the link
scan, the binder and credit's page counts all use that one read."""

from __future__ import annotations

from pathlib import Path

from packetgen.support._read_once import facts_for, read_once, remember, remember_pages

from ..conftest import EXAMPLE, ExampleBuild


def test_a_cold_build_opens_each_handout_once(example_build: ExampleBuild) -> None:
    # The shared example build (cold, one process) counted its opens.
    folder = EXAMPLE.parent
    files = [
        str(p.relative_to(folder))
        for sub in ("handouts", "slides")
        for p in sorted((folder / sub).iterdir())
    ]
    assert len(files) >= 5
    opened = example_build.opened
    assert {name: opened.get(name, 0) for name in files} == dict.fromkeys(files, 1)


def test_facts_are_kept_only_inside_a_build(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4 one")
    info = path.stat()
    remember(path, info, b"%PDF-1.4 one", guarded=True)
    assert facts_for(path) is None  # nothing is kept outside read_once()
    with read_once():
        remember(path, info, b"%PDF-1.4 one", guarded=True)
        remember_pages(path, 3)
        facts = facts_for(path)
        assert facts is not None
        assert facts.data == b"%PDF-1.4 one"
        assert facts.pages == 3
        assert facts.guarded
        assert facts.digest.startswith("sha256:")
    assert facts_for(path) is None


def test_a_file_changed_during_the_build_is_read_afresh(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"before")
    with read_once():
        remember(path, path.stat(), b"before", guarded=False)
        assert facts_for(path) is not None
        path.write_bytes(b"after, and longer")
        assert facts_for(path) is None
