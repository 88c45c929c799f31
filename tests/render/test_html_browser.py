"""The example's HTML pages in a real browser, at a phone's, a tablet's and a desktop's width.

Headless Debian Chromium through Playwright, over the example build's output
served by a real HTTP server on 127.0.0.1 (as a trainer's web host serves it):
every in-page link lands somewhere, every handout and deck opens, nothing
overlaps, axe-core finds nothing serious, and the QR codes show only where a
camera can use them.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import pytest

from packetgen.build.pipeline import render_html

from ..chromium import launched_chromium
from ..conftest import ExampleBuild

TIMEOUT_MS = 15_000
AXE = Path(__file__).parents[1] / "data" / "vendor" / "axe.min.js"
WIDTHS = (390, 768, 1280)
PAGES = ("csec-understanding", "unlocking-the-narrative")
"""The pages with the most to check: a handout, a converted deck, codes, the
evaluation, a contact (csec-understanding); the Love146 deck alone (unlocking)."""

# Boxes that may not cross: text blocks, headings, list items and pictures
# (a QR code is an <svg>). Nested boxes are compared with neither.
_OVERLAPS = """
() => {
  const selector = 'h1, h2, h3, h4, p, li, dt, dd, figure, img, svg, blockquote, .file-offer, .qr-label';
  const boxes = [...document.querySelectorAll(selector)]
    .map(el => [el, el.getBoundingClientRect()])
    .filter(([el, r]) => r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden');
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
    + ' "' + (el.textContent || '').trim().slice(0, 30) + '"';
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      // Half a pixel of slack: adjacent boxes share an edge, give or take rounding.
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 0.5 && h > 0.5) found.push(name(a) + ' over ' + name(b));
    }
  }
  return found;
}
"""

# Text past the right edge of its box: an address running out of its item,
# card or section (or its own box wider than it shows).
_OVERFLOWS = """
() => {
  const found = [];
  for (const el of document.querySelectorAll('a, span, p, div, h1, h2, h3, li, dd')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(el).display === 'none') continue;
    const box = el.parentElement.closest('.link-card, article, section, nav, header, main, body');
    const edge = box.getBoundingClientRect().right;
    const wide = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === 'visible'
      && getComputedStyle(el).display !== 'inline';
    if (r.right > edge + 1 || wide) {
      found.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 40) + '"');
    }
  }
  return found;
}
"""

# From the contents' last line to the heading after the contents (touching read as one).
_CONTENTS_GAP = """
() => {
  const lines = document.querySelectorAll('.toc li');
  const next = document.querySelector('nav.contents ~ * h1, nav.contents ~ h1, nav.contents ~ h2');
  return next.getBoundingClientRect().top - lines[lines.length - 1].getBoundingClientRect().bottom;
}
"""

_DEAD_ANCHORS = """
() => [...document.querySelectorAll('a[href^="#"]')]
  .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
  .filter(id => !document.getElementById(id))
"""

_AXE = (
    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
    " first: v.nodes[0] && v.nodes[0].target.join(' ')}))"
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test output is for failures


@pytest.fixture(scope="module")
def site(example_build: ExampleBuild) -> Iterator[str]:
    """The example's output folder over HTTP on 127.0.0.1, as a web host would serve it."""
    handler = functools.partial(_Quiet, directory=str(example_build.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def _open(context: Any, url: str, width: int) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_load_state("load")
    assert errors == [], errors
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_id", PAGES)
def test_the_page_stands_on_its_own(
    context: Any, site: str, example_build: ExampleBuild, page_id: str, width: int
) -> None:
    url = urljoin(site, f"{page_id}.html")
    page = _open(context, url, width)
    try:
        assert page.evaluate(_DEAD_ANCHORS) == []

        # Every handout and deck opens, from the server, as the file beside the page.
        files = page.locator("a.file-link")
        assert files.count() >= 1
        for k in range(files.count()):
            link = files.nth(k)
            assert link.is_visible()
            href = link.get_attribute("href")
            assert href is not None
            assert href.startswith(f"{page_id}_files/")
            response = context.request.get(urljoin(url, href))
            assert response.status == 200, href
            assert response.body() == (example_build.out / unquote(href)).read_bytes(), href

        assert page.evaluate(_OVERLAPS) == []
        assert page.evaluate(_CONTENTS_GAP) >= 16
        assert page.evaluate(_OVERFLOWS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        codes = page.locator("a.qr-code svg, .link-card .code svg")
        assert codes.count() >= 1
        shown = [codes.nth(k).is_visible() for k in range(codes.count())]
        if width < 600:
            # A phone cannot scan its own screen: the address is the link there.
            assert not any(shown)
            assert page.locator("a.qr-label, .link-card a.url").first.is_visible()
        else:
            assert all(shown)

        page.add_script_tag(path=str(AXE))
        serious = [v for v in page.evaluate(_AXE) if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
    finally:
        page.close()


def test_printed_from_a_phone_the_codes_are_kept(context: Any, site: str) -> None:
    page = _open(context, urljoin(site, "csec-understanding.html"), 390)
    try:
        page.emulate_media(media="print")
        codes = page.locator("a.qr-code svg")
        assert codes.count() >= 1
        assert all(codes.nth(k).is_visible() for k in range(codes.count()))
    finally:
        page.close()


_LONG = "https://example.org/" + "resources-for-volunteer-advocates" * 4 + "?" + "x" * 120


@pytest.mark.parametrize("width", [390, 1280])
def test_a_long_address_stays_in_its_box(
    browser: Any, write_spec: Callable[..., Path], width: int
) -> None:
    spec = write_spec(f"""\
        title: T
        inservices:
          - id: one
            title: One
            items:
              - {{kind: article, title: A long address, url: "{_LONG}"}}
        """)
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_content(render_html(spec, "one"))
        assert page.evaluate(_OVERFLOWS) == []
        assert page.evaluate(_OVERLAPS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.close()
