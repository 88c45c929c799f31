"""The scan stage reads each handout once per build: the cache keys, the link
scan, the binder and credit's page counts all use that one read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from packetgen.support._read_once import facts_for, read_once, remember, remember_pages

from ..conftest import EXAMPLE

# Run in a child process: an audit hook cannot be removed once added.
_COUNT_OPENS = """
import collections, json, os, sys
folder = os.path.realpath(sys.argv[1])
opened = collections.Counter()
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(folder + os.sep):
            opened[os.path.relpath(path, folder)] += 1
sys.addaudithook(hook)
import packetgen
packetgen.build(os.path.join(folder, "packet.yaml"), sys.argv[2], cache=False, jobs=1)
print(json.dumps(opened))
"""


@pytest.mark.slow
def test_a_cold_build_opens_each_handout_once(tmp_path: Path) -> None:
    folder = tmp_path / "packet"
    shutil.copytree(EXAMPLE.parent, folder)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_OPENS, str(folder), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    opened = json.loads(done.stdout.strip().splitlines()[-1])
    files = [
        str(p.relative_to(folder))
        for sub in ("handouts", "slides")
        for p in sorted((folder / sub).iterdir())
    ]
    assert len(files) >= 5
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
