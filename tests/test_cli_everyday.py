"""The everyday commands end to end through the CLI: links --check, verify, preview."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from packetgen.build.pipeline import build
from packetgen.cli import main

from .conftest import EXAMPLE


class _Site(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if self.path == "/gone":
            self.send_response(404)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/new")
        else:
            self.send_response(200)
        self.end_headers()


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _spec(tmp_path: Path, *paths: str, base: str) -> Path:
    items = "".join(
        f"      - kind: link\n        title: Link {i}\n        url: {base}{p}\n"
        for i, p in enumerate(paths)
    )
    spec = tmp_path / "packet.yaml"
    spec.write_text(f"title: T\ninservices:\n  - id: one\n    title: One\n    items:\n{items}")
    return spec


def test_links_check_exit_codes(
    tmp_path: Path, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec(tmp_path, "/ok", "/moved", base=site)
    assert main(["links", str(spec), "--check", "--timeout", "2"]) == 0
    out = capsys.readouterr().out
    assert "redirected" in out
    assert f"redirects to {site}/new; update the spec" in out
    spec = _spec(tmp_path, "/ok", "/gone", base=site)
    assert main(["links", str(spec), "--check", "--timeout", "2", "--format", "csv"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("number,url")
    assert "broken" in out
    assert main(["links", str(spec)]) == 0  # without --check nothing is requested


@pytest.mark.slow
def test_verify_and_preview_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build(EXAMPLE, tmp_path / "out", only=["unlocking-the-narrative"], format="pdf")
    pdf = tmp_path / "out" / "unlocking-the-narrative.pdf"
    assert main(["verify", str(pdf), "--spec", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "https://love146.org/" in out
    assert out.rstrip().splitlines()[-1].startswith("OK:")
    other = tmp_path / "other.yaml"
    other.write_text(
        "title: T\ninservices:\n  - id: unlocking-the-narrative\n    title: U\n    items:\n"
        "      - kind: link\n        title: L\n        url: https://example.org/elsewhere\n"
    )
    assert main(["verify", str(pdf), "--spec", str(other)]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main(["preview", str(pdf), "-o", str(tmp_path / "png"), "--pages", "1-2"]) == 0
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [
        "unlocking-the-narrative-contact-sheet.png",
        "unlocking-the-narrative-page-1.png",
        "unlocking-the-narrative-page-2.png",
    ]
    assert (
        main(
            [
                "build",
                str(EXAMPLE),
                "-o",
                str(tmp_path / "out"),
                "--only",
                "unlocking-the-narrative",
                "--verify",
                "-q",
            ]
        )
        == 0
    )
