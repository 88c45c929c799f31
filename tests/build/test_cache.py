"""The build cache on its own (packetgen.build._cache): entries round-trip, and
anything that does not verify is a miss the user is told about. No build runs
here; tests/robustness/test_orphans_and_cache.py attacks it through builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from packetgen.build._cache import CACHE_DIR_NAME, BuildCache, clean, digest

KEY = digest("binder", "one")
SECRET = b"k" * 32


def _cache(tmp_path: Path, secret: bytes = SECRET) -> BuildCache:
    # The build makes the output folder; the cache makes only its own inside it.
    (tmp_path / "out").mkdir(exist_ok=True)
    return BuildCache(tmp_path / "out" / CACHE_DIR_NAME, secret)


def _stored(tmp_path: Path, data: bytes = b"%PDF-1.7 pages") -> BuildCache:
    output = tmp_path / "one.pdf"
    output.write_bytes(data)
    cache = _cache(tmp_path)
    cache.put(KEY, {"pages": 4}, {"output": output})
    cache.flush()
    return cache


def _entry(tmp_path: Path) -> Path:
    return tmp_path / "out" / CACHE_DIR_NAME / KEY[:2] / KEY


def test_digest_is_stable_and_parts_cannot_run_together() -> None:
    assert digest("ab", "c") == digest("ab", "c")
    assert digest("ab", "c") != digest("a", "bc")
    assert digest("x") == digest(b"x")
    assert len(digest()) == 64


def test_an_entry_comes_back_with_its_output(tmp_path: Path) -> None:
    _stored(tmp_path)
    into = tmp_path / "copy.pdf"
    cache = _cache(tmp_path)
    assert cache.get(KEY, "one.pdf", into=into) == {"pages": 4}
    assert into.read_bytes() == b"%PDF-1.7 pages"
    assert cache.notes == []


def test_nothing_is_written_before_flush(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put_json(KEY, {"links": []})
    assert not (tmp_path / "out" / CACHE_DIR_NAME).exists()
    cache.flush()
    assert _cache(tmp_path).get_json(KEY, "the scan") == {"links": []}


def test_an_off_cache_stores_and_finds_nothing(tmp_path: Path) -> None:
    for cache in (BuildCache(None), BuildCache(tmp_path / CACHE_DIR_NAME, None)):
        assert not cache.enabled
        cache.put_json(KEY, 1)
        cache.flush()
        assert cache.get_json(KEY, "x") is None
    assert not (tmp_path / CACHE_DIR_NAME).exists()


def test_a_key_that_is_not_a_digest_is_a_miss(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put_json("../../etc", 1)
    cache.flush()
    assert not (tmp_path / "out" / CACHE_DIR_NAME).exists()
    assert cache.get_json("../../etc", "x") is None


@pytest.mark.parametrize("part", ["output", "record"])
def test_an_edited_entry_is_a_miss_and_said(tmp_path: Path, part: str) -> None:
    _stored(tmp_path)
    edited = _entry(tmp_path) / part
    # The page count in the record's body, or the stored PDF's bytes.
    before = edited.read_bytes()
    after = before.replace(b'"pages": 4', b'"pages": 5').replace(b"%PDF", b"%pdf")
    assert after != before
    edited.write_bytes(after)
    cache = _cache(tmp_path)
    assert cache.get(KEY, "one.pdf", into=tmp_path / "copy.pdf") is None
    assert cache.notes == ["the cached copy of one.pdf did not match its checksum and was rebuilt"]


def test_an_entry_made_with_another_key_is_not_used(tmp_path: Path) -> None:
    _stored(tmp_path)
    cache = _cache(tmp_path, secret=b"o" * 32)
    assert cache.get(KEY, "one.pdf", into=tmp_path / "copy.pdf") is None
    assert cache.get(KEY, "one.pdf", into=tmp_path / "copy.pdf") is None
    (note,) = cache.notes  # said once
    assert "made by another user" in note


def test_an_entry_of_another_format_is_a_plain_miss(tmp_path: Path) -> None:
    _stored(tmp_path)
    record = _entry(tmp_path) / "record"
    record.write_bytes(record.read_bytes().replace(b"packetgen-cache 2", b"packetgen-cache 9", 1))
    cache = _cache(tmp_path)
    assert cache.get(KEY, "one.pdf") is None
    assert cache.notes == []


def test_open_uses_the_users_key(tmp_path: Path) -> None:
    # conftest points XDG_CACHE_HOME at a folder of the test session's own.
    (tmp_path / "out").mkdir()
    folder = tmp_path / "out" / CACHE_DIR_NAME
    first = BuildCache.open(folder)
    assert first.enabled
    first.put_json(KEY, "kept")
    first.flush()
    assert BuildCache.open(folder).get_json(KEY, "x") == "kept"


def test_clean_removes_the_cache_and_says_whether_there_was_one(tmp_path: Path) -> None:
    _stored(tmp_path)
    out = tmp_path / "out"
    (out / "one.pdf").write_bytes(b"an output")
    assert clean(out) is True
    assert not (out / CACHE_DIR_NAME).exists()
    assert (out / "one.pdf").exists()
    assert clean(out) is False
