"""Debian's Chromium driven by Playwright, for the browser tests (no `playwright install`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach
# Google's hosts, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def have_chromium() -> bool:
    return os.access(CHROMIUM, os.X_OK)


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    """A headless Chromium; the test is skipped, saying what to install, when there is none."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not have_chromium():
        pytest.skip(
            f"the browser tests need Debian's Chromium at {CHROMIUM}:"
            " apt-get install chromium (no `playwright install` needed)"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
