"""``packetgen import``: a program's resource web page becomes a draft packet.

The page's headings become in-services and its links items of the kind their
address and words suggest (:mod:`packetgen.content._link_kinds`); the page's chrome
(menus, sidebars, footers, share buttons) is left out
(:mod:`packetgen.tools._page_content`). The draft is valid as written, so
``packetgen check`` passes on it, and says at its top what to review.
The in-services and the YAML are written by :mod:`packetgen.tools._import_draft`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import yaml
from pydantic import TypeAdapter, ValidationError

from packetgen.content._link_kinds import LinkFacts, classify
from packetgen.errors import DocumentError, OutputError
from packetgen.spec.models import Item, url_problem
from packetgen.support._atomic import write_text_atomic
from packetgen.tools._import_draft import (
    MAX_TITLE,
    Section,
    draft_yaml,
    inservice_entry,
    summary_line,
)
from packetgen.tools._page_content import HEADINGS, Block, LinkSpan, decode_page, parse_page
from packetgen.tools._page_text import (
    _MAX_PROSE,
    _access,
    _capital,
    _clean,
    _cut,
    _language,
    _minutes,
    _one_line,
    _prose,
    _remove,
    _sentence,
)

__all__ = [
    "MAX_IMPORT_ITEMS",
    "MAX_PAGE_BYTES",
    "ImportResult",
    "SkippedLink",
    "import_page",
    "write_import",
]

MAX_PAGE_BYTES = 10 * 1024 * 1024
"""A saved resource page is well under 1 MB; past 10 MB it is not one."""
MAX_IMPORT_ITEMS = 500
"""Items in one draft: more than any program's page lists, far below the spec's limit."""
MAX_INSERVICES = 100
"""In-services in one draft: the spec's own limit."""

_ITEM = TypeAdapter(Item)


@dataclass(frozen=True)
class SkippedLink:
    """A link of the page that did not become an item, and why."""

    url: str
    text: str
    reason: str
    navigation: bool = False
    """Part of the page's menus, header, footer or sidebar (counted together)."""


@dataclass(frozen=True)
class ImportResult:
    """The draft packet and what the import did."""

    data: dict[str, Any]
    """The draft spec as data (what ``packet_from_data`` takes)."""
    yaml_text: str
    """The draft as ``packet.yaml``: a comment on what to review, then the spec."""
    summary: str
    """One line: links → in-services and kinds; what was skipped."""
    skipped: tuple[SkippedLink, ...]
    warnings: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str, str], ...] = ()
    """(url, kind, why) of every item, for ``import -v``."""


_GENERIC_TEXT = re.compile(
    r"(?:click\s+here|here|this(?:\s+link)?|link|read\s+more|more|learn\s+more|download|view|"
    r"watch|read|go|pdf|website|web\s+site|aqu[ií]|haga\s+clic\s+aqu[ií]|haz\s+clic\s+aqu[ií]|"
    r"m[aá]s|leer\s+m[aá]s|descargar)",
    re.IGNORECASE,
)


def import_page(html: bytes, *, base_url: str | None, source_name: str) -> ImportResult:
    """Turn a saved resource page into a draft packet spec.

    ``base_url`` is where the page lives (relative links resolve against it; a
    ``<base href>`` in the page wins); ``source_name`` is what the draft's
    comment says it came from. Raises :class:`DocumentError` for a page too
    large to be a resource page or one with no links at all.
    """
    if len(html) > MAX_PAGE_BYTES:
        raise DocumentError(
            f"{source_name} is {len(html):,} bytes; a resource page is far smaller, so packetgen"
            f" reads at most {MAX_PAGE_BYTES // (1024 * 1024)} MB: save only the page itself"
            ' (in the browser: Save Page As, "Web Page, HTML only")'
        )
    text, _encoding = decode_page(html)
    page = parse_page(text)
    return _Importer(page, base_url=base_url, source_name=source_name).run()


def document_urls(result: ImportResult) -> list[str]:
    """The addresses of the draft's handouts and slide decks (``import --download``)."""
    return [
        item["url"]
        for inservice in result.data["inservices"]
        for item in inservice["items"]
        if item["kind"] in ("handout", "presentation") and "file" not in item and "url" in item
    ]


def with_files(result: ImportResult, files: Mapping[str, str]) -> ImportResult:
    """The draft with ``file:`` on each document that was downloaded (its ``url:``
    stays: the item keeps its code, and the binder now holds the pages)."""
    data = copy.deepcopy(result.data)
    for inservice in data["inservices"]:
        for index, item in enumerate(inservice["items"]):
            url = item.get("url")
            if url in files:
                # file: right after the title, where a trainer looks for it.
                ordered = {"kind": item["kind"], "title": item["title"], "file": files[url]}
                ordered.update({k: v for k, v in item.items() if k not in ordered})
                inservice["items"][index] = ordered
    header = "".join(line for line in result.yaml_text.splitlines(True) if line.startswith("#"))
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return dataclasses.replace(result, data=data, yaml_text=header + body)


def write_import(result: ImportResult, directory: Path, *, force: bool = False) -> Path:
    """Write ``directory/packet.yaml`` atomically; refuse to overwrite unless ``force``."""
    target = directory / "packet.yaml"
    if target.exists() and not force:
        raise OutputError(f"{target} already exists; use --force to overwrite it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}") from None
    write_text_atomic(target, result.yaml_text)
    return target


class _Importer:
    def __init__(self, page: Any, *, base_url: str | None, source_name: str) -> None:
        self.page = page
        self.source_name = _one_line(source_name)[:200]
        given = base_url.strip() if base_url else None
        # <base href> wins, as in a browser; it may itself be relative to --base.
        base = urljoin(given or "", page.base_href) if page.base_href else given
        if base and url_problem(base) is not None:
            base = given if given and url_problem(given) is None else None
        self.base = base
        site = base or (
            page.canonical if page.canonical and not url_problem(page.canonical) else None
        )
        self.page_url = _without_fragment(base) if base else None
        self.page_host = urlsplit(site).hostname if site else None
        self.skipped: list[SkippedLink] = []
        self.warnings: list[str] = []
        self.reasons: list[tuple[str, str, str]] = []
        self.seen: dict[str, dict[str, Any]] = {}
        self.repeats = 0
        self.over_cap = 0
        self.item_count = 0

    def run(self) -> ImportResult:
        blocks = self.page.blocks()
        self._skip_outside_content()
        level = _section_level(blocks)
        title = _page_title(self.page, blocks)
        sections: list[Section] = [Section(title)]
        last_item: dict[str, Any] | None = None
        last_alone = False
        subheading: str | None = None
        title_seen = False
        for block in blocks:
            if (
                block.tag == "h1"
                and not title_seen
                and _clean(block.text) == title
                and level != "h1"
            ):
                title_seen = True
                continue
            if block.tag == level:
                if len(sections) < MAX_INSERVICES:
                    sections.append(Section(_clean(block.text) or f"Part {len(sections)}"))
                elif not self.warnings or "headings" not in self.warnings[-1]:
                    self.warnings.append(
                        f"the page has more than {MAX_INSERVICES} headings; the links under the"
                        " rest are in the last in-service"
                    )
                last_item, subheading = None, None
            elif block.tag in HEADINGS:
                subheading = _clean(block.text)
            section = sections[-1]
            section.words.append(block.text)
            if not block.links:
                if block.tag in HEADINGS:
                    continue
                if not section.items:
                    section.intro.append(block.text)
                elif last_item is not None and last_alone:
                    _add_prose(last_item, block.text)
                continue
            for link in block.links:
                made = self._item(block, link, subheading, sections)
                if made is not None:
                    last_item = made
                    last_alone = _clean(block.text) == _clean(link.text)
        return self._result(title, sections)

    def _skip_outside_content(self) -> None:
        content = self.page.content
        inside = {id(n) for n in content.iter()}
        for node in self.page.root.iter():
            if node.tag != "a" or "href" not in node.attrs:
                continue
            href = node.attrs["href"].strip()
            text = _clean(node.text())
            if id(node) in inside:
                if any(self.page.is_chrome(a) for a in _up_to(node, content)):
                    self._skip(
                        href, text, "in the page's menus, header, footer or sidebar", nav=True
                    )
                continue
            if _scheme(href) in ("mailto", "tel", "javascript"):
                self._skip(href, text, _SCHEME_REASONS[_scheme(href)], nav=True)
            else:
                self._skip(href, text, "outside the page's main content", nav=True)

    def _skip(self, url: str, text: str, reason: str, *, nav: bool = False) -> None:
        self.skipped.append(SkippedLink(_one_line(url)[:300], text[:120], reason, nav))

    def _item(
        self, block: Block, link: LinkSpan, subheading: str | None, sections: list[Section]
    ) -> dict[str, Any] | None:
        href = link.href.strip()
        text = _clean(link.text)
        scheme = _scheme(href)
        if scheme in _SCHEME_REASONS:
            self._skip(href, text, _SCHEME_REASONS[scheme])
            return None
        if not href or href.startswith("#"):
            self._skip(href, text, "a place on this same page")
            return None
        if href.startswith("//"):
            href = "https:" + href
        if not scheme and not href.startswith("https:"):
            if self.base is None:
                self._skip(href, text, "relative link kept out: give --base")
                return None
            href = urljoin(self.base, href)
        if self.page_url and _without_fragment(href) == self.page_url:
            self._skip(href, text, "a place on this same page")
            return None
        problem = url_problem(href)
        if problem is not None:
            self._skip(href, text, f"not a web address packetgen can print: {problem}")
            return None
        key = _without_fragment(href)
        sentence = _sentence(block.text, link)
        if key in self.seen:
            self.repeats += 1
            first = self.seen[key]
            self._skip(href, text, f'the same address as "{first["title"]}": one item')
            return None
        if self.item_count >= MAX_IMPORT_ITEMS:
            self.over_cap += 1
            return None
        title = self._title(text, sentence, subheading, href)
        # The whole block speaks for the link only when the link is its one link.
        around = block.text[:300] if len(block.links) == 1 else ""
        context = " ".join(part for part in (sentence, subheading or "", around) if part)
        kind, why = classify(LinkFacts(href, text, context, self.page_host))
        item: dict[str, Any] = {"kind": kind, "title": title, "url": href}
        rest = _clean(_remove(sentence, link.text))
        access = _access(rest) or _access(text)
        if access:
            rest = _clean(
                re.sub(re.escape(access.rstrip(".")), " ", rest, flags=re.I).replace("()", "")
            )
        words = len(re.findall(r"[^\W\d_]{2,}", rest))
        # The words after a link describe it ("…, a 45 minute webinar"); words
        # around it only make sense as the whole sentence.
        leads = link.text and sentence.lstrip(' "“').startswith(link.text)
        if leads and words >= 2 and rest != title:
            item["description"] = _prose(_capital(rest))
        elif not leads and words >= 3 and not access and title == _capital(text):
            whole = _capital(_clean(sentence))
            item["description"] = _prose(whole if whole.endswith((".", "!", "?")) else whole + ".")
        if access:
            item["access"] = _prose(access)
        minutes = _minutes(f"{text} {sentence}")
        if minutes is not None:
            item["minutes"] = minutes
        try:
            _ITEM.validate_python(item)
        except ValidationError as exc:  # a text the spec refuses: the link stays out, said why
            self._skip(href, text, f"could not be made an item: {exc.errors()[0]['msg']}")
            return None
        self.seen[key] = item
        self.item_count += 1
        self.reasons.append((href, kind, why))
        sections[-1].items.append(item)
        return item

    def _title(self, text: str, sentence: str, subheading: str | None, href: str) -> str:
        if (
            text
            and not _GENERIC_TEXT.fullmatch(text)
            and not re.match(r"(?:https?://|www\.)", text)
        ):
            return _cut(_capital(text), MAX_TITLE)
        rest = _clean(_remove(sentence, text).rstrip(" ."))
        rest = _clean(re.sub(r"\b(?:click|clic)\s*$", "", rest, flags=re.I))
        if len(rest.split()) >= 2:
            return _cut(rest, MAX_TITLE)
        if subheading:
            return _cut(subheading, MAX_TITLE)
        parts = urlsplit(href)
        last = (
            parts.path.rstrip("/").rpartition("/")[2].rpartition(".")[0]
            or parts.path.rstrip("/").rpartition("/")[2]
        )
        words = re.sub(r"[-_+]+", " ", last).strip()
        return _cut(words.capitalize() if words else (parts.hostname or href), MAX_TITLE)

    def _result(self, title: str, sections: list[Section]) -> ImportResult:
        inservices: list[dict[str, Any]] = []
        ids: set[str] = set()
        left_out: list[str] = []
        for number, section in enumerate(sections):
            if not section.items:
                if number:
                    left_out.append(section.title)
                continue
            inservices.append(self._inservice(section, ids, len(inservices) + 1))
        if not inservices:
            raise DocumentError(
                f"{self.source_name}: no links to resources were found in the page's main"
                " content, so there is nothing to import"
                + (
                    f" ({len(self.skipped)} links were left out; run with -v to see why)"
                    if self.skipped
                    else ""
                )
            )
        if left_out:
            shown = ", ".join(f'"{t}"' for t in left_out[:3]) + (" …" if len(left_out) > 3 else "")
            self.warnings.append(
                f"{len(left_out)} heading{'s' if len(left_out) != 1 else ''} with no links left"
                f" out: {shown}"
            )
        if self.over_cap:
            self.warnings.append(
                f"the page has {self.over_cap:,} more links than the {MAX_IMPORT_ITEMS} a draft"
                " takes; only the first were imported: split the page or add the rest by hand"
            )
        if self.page.truncated:
            self.warnings.append("the page is too large to read whole; only its start was imported")
        data: dict[str, Any] = {"title": _cut(title, MAX_TITLE)}
        lang = _language(self.page.lang)
        if lang:
            data["language"] = lang
        data["inservices"] = inservices
        summary = self._summary(inservices)
        return ImportResult(
            data=data,
            yaml_text=self._yaml(data),
            summary=summary,
            skipped=tuple(self.skipped),
            warnings=tuple(self.warnings),
            reasons=tuple(self.reasons),
        )

    def _inservice(self, section: Section, ids: set[str], number: int) -> dict[str, Any]:
        return inservice_entry(section, ids, number, self.page.lang)

    def _summary(self, inservices: list[dict[str, Any]]) -> str:
        return summary_line(
            inservices,
            repeats=self.repeats,
            navigation=sum(1 for s in self.skipped if s.navigation),
            other_reasons=[s.reason for s in self.skipped if not s.navigation],
        )

    def _yaml(self, data: dict[str, Any]) -> str:
        where = self.source_name + (f" ({self.base})" if self.base else "")
        relative = any(s.reason.startswith("relative") for s in self.skipped)
        return draft_yaml(data, where=where, relative_skipped=relative)


_SCHEME_REASONS = {
    "mailto": "an email address, not a resource",
    "tel": "a phone number, not a resource",
    "sms": "a phone number, not a resource",
    "javascript": "a script, never followed",
    "data": "data written into the page, not a web address",
    "file": "a file on someone's computer, not a web address",
}


def _scheme(href: str) -> str:
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", href)
    return match.group(1).lower() if match else ""


def _up_to(node: Any, top: Any) -> list[Any]:
    chain = []
    for ancestor in node.ancestors():
        if ancestor is top:
            break
        chain.append(ancestor)
    return chain


def _without_fragment(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(parts._replace(fragment="", scheme=parts.scheme.lower(),
                                     netloc=parts.netloc.lower()))  # fmt: skip


def _section_level(blocks: list[Block]) -> str | None:
    tags = Counter(b.tag for b in blocks if b.tag in HEADINGS)
    for level in ("h2", "h3"):
        if tags[level]:
            return level
    return "h1" if tags["h1"] > 1 else None


def _page_title(page: Any, blocks: list[Block]) -> str:
    for block in blocks:
        if block.tag == "h1" and _clean(block.text):
            return _clean(block.text)
    for node in page.root.iter():
        if node.tag == "h1" and _clean(node.text()):
            return _clean(node.text())
    # "Resources - Example CASA": the page's own name comes first.
    title = re.split(r"\s+[|\u2013\u2014-]\s+", page.title.strip())[0] if page.title.strip() else ""
    return _clean(title) or "Imported resources"


def _add_prose(item: dict[str, Any], text: str) -> None:
    now = item.get("description", "")
    if len(now) < _MAX_PROSE:
        item["description"] = (
            _prose((now.replace("\\", "") + "\n\n" + text).strip()) if now else _prose(text)
        )
