"""Markdown in the spec's texts: raw HTML stays text, links carry their number,
images go through the caller's check, and everything else is escaped."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from markupsafe import Markup

from packetgen.errors import LimitError
from packetgen.text.markdown import (
    MAX_MARKDOWN_CHARS,
    images_in,
    is_web_url,
    links_in,
    render_markdown,
)


def test_raw_html_is_printed_as_text() -> None:
    html = render_markdown("<b>x</b> <script>alert(1)</script>")
    assert html == "<p>&lt;b&gt;x&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_the_result_is_safe_markup_and_nothing_is_empty() -> None:
    assert isinstance(render_markdown("*a*"), Markup)
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_special_characters_are_escaped_and_quotes_are_curly() -> None:
    assert (
        render_markdown('a & b < c "q" it\'s')
        == "<p>a &amp; b &lt; c \u201cq\u201d it\u2019s</p>\n"
    )


def test_a_web_link_is_followed_by_its_number() -> None:
    numbers = {"https://x.org/": 7}
    html = render_markdown("[a](https://x.org/) and [b](mailto:x@y.org)", link_number=numbers.get)
    assert html == (
        '<p><a href="https://x.org/">a</a><sup class="ref" aria-label="link 7">[7]</sup>'
        ' and <a href="mailto:x@y.org">b</a></p>\n'
    )


def test_a_link_without_a_number_is_a_plain_link() -> None:
    html = render_markdown('[a](https://x.org/ "t")', link_number=lambda _url: None)
    assert html == '<p><a href="https://x.org/" title="t">a</a></p>\n'


def test_a_javascript_link_is_not_a_link() -> None:
    assert "<a" not in render_markdown("[a](javascript:alert(1))")


def test_links_in_are_web_links_in_order_each_once() -> None:
    text = "[a](https://x.org/) [b](http://y.org) [again](https://x.org/) [m](mailto:q@r.org)"
    assert links_in(text + " <https://z.org>") == [
        "https://x.org/",
        "http://y.org",
        "https://z.org",
    ]
    assert links_in(None) == []
    assert links_in("") == []


def test_images_go_through_the_callers_check() -> None:
    assert images_in("![a](one.png) text ![b](two.jpg)") == ["one.png", "two.jpg"]
    seen: list[str] = []

    def allowed(src: str) -> str:
        seen.append(src)
        return f"file:///packet/{src}"

    html = render_markdown('![the "alt"](one.png)', image_src=allowed)
    assert html == '<p><img src="file:///packet/one.png" alt="the &#34;alt&#34;"></p>\n'
    assert seen == ["one.png"]


def test_without_an_image_check_an_image_is_its_alt_text() -> None:
    assert render_markdown("![alt <b>](img.png)") == "<p>alt &lt;b&gt;</p>\n"


@pytest.mark.parametrize("read", [render_markdown, links_in, images_in])
def test_a_text_over_the_limit_is_refused(read: Callable[[str], object]) -> None:
    with pytest.raises(LimitError, match="longer than the limit"):
        read("a" * (MAX_MARKDOWN_CHARS + 1))


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://example.org/a", True),
        ("HTTP://example.org", True),
        ("ftp://example.org", False),
        ("https://", False),
        ("mailto:a@b.org", False),
        ("page.html", False),
    ],
)
def test_is_web_url(url: str, web: bool) -> None:
    assert is_web_url(url) is web
