"""Which kind of packet item a link on a program's resource page is.

A small rule table read from top to bottom: the first rule that matches
decides. Each rule says why it is where it is; the order matters more than
any one rule, because a page's words and its addresses often disagree (a
"documentary" on YouTube, "slides" saved as a PDF).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["LinkFacts", "classify", "same_site"]


@dataclass(frozen=True)
class LinkFacts:
    """What is known about one link when its kind is decided."""

    url: str
    text: str
    """The link's own words (its title)."""
    context: str
    """The sentence around the link and the heading above it."""
    page_host: str | None
    """The host of the page being imported, when known (``--base``, ``<base href>``)."""

    @property
    def host(self) -> str:
        return _bare_host(urlsplit(self.url).hostname or "")

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.lower()

    @property
    def extension(self) -> str:
        last = self.path.rstrip("/").rpartition("/")[2]
        return last.rpartition(".")[2] if "." in last else ""


def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    for prefix in ("www.", "m.", "mobile."):
        host = host.removeprefix(prefix)
    return host


def same_site(host: str, page_host: str | None) -> bool:
    """Whether ``host`` belongs to the page's own site (a subdomain counts)."""
    if not page_host:
        return False
    page = _bare_host(page_host)
    return host == page or host.endswith("." + page) or page.endswith("." + host)


def _host_in(host: str, names: frozenset[str]) -> bool:
    return any(host == name or host.endswith("." + name) for name in names)


def _words(*names: str) -> re.Pattern[str]:
    # Whole words only: "filmmaker" is not a film, "briefly" not a brief.
    return re.compile(r"(?<![\w-])(?:" + "|".join(names) + r")(?![\w-])", re.IGNORECASE)


_DECK_FILES = frozenset({"ppt", "pptx", "pps", "ppsx", "odp", "key"})
_DOCUMENT_FILES = frozenset({"pdf", "doc", "docx", "odt", "rtf"})
_VIDEO_AUDIO_HOSTS = frozenset(
    {
        "youtube.com",
        "youtu.be",
        "youtube-nocookie.com",
        "vimeo.com",
        "wistia.com",
        "brightcove.com",
        "soundcloud.com",
        "podcasts.apple.com",
        "podbean.com",
        "buzzsprout.com",
        "libsyn.com",
        "anchor.fm",
        "spreaker.com",
        "ted.com",
    }
)
_STREAMING_HOSTS = frozenset(
    {
        "netflix.com",
        "hulu.com",
        "kanopy.com",
        "primevideo.com",
        "disneyplus.com",
        "max.com",
        "hbomax.com",
        "peacocktv.com",
        "tubitv.com",
        "imdb.com",
        "justwatch.com",
    }
)
_BOOK_HOSTS = frozenset({"bookshop.org", "goodreads.com", "worldcat.org", "books.google.com"})
_NEWS_AND_JOURNAL_HOSTS = frozenset(
    {
        "nytimes.com",
        "washingtonpost.com",
        "wsj.com",
        "usatoday.com",
        "latimes.com",
        "chicagotribune.com",
        "bostonglobe.com",
        "theguardian.com",
        "theatlantic.com",
        "npr.org",
        "cnn.com",
        "nbcnews.com",
        "cbsnews.com",
        "abcnews.go.com",
        "apnews.com",
        "reuters.com",
        "bbc.com",
        "bbc.co.uk",
        "propublica.org",
        "time.com",
        "patch.com",
        "thehour.com",
        "ctpost.com",
        "courant.com",
        "ctmirror.org",
        "medium.com",
        "substack.com",
        "ncbi.nlm.nih.gov",
        "pubmed.ncbi.nlm.nih.gov",
        "doi.org",
        "sciencedirect.com",
        "springer.com",
        "wiley.com",
        "tandfonline.com",
        "sagepub.com",
        "jstor.org",
        "researchgate.net",
        "scholar.google.com",
    }
)

_DECK_WORDS = _words(
    r"slides?", r"slide\s+deck", r"power\s?point", r"presentaci[oó]n", r"diapositivas"
)
_FILM_WORDS = _words(r"documentar(?:y|ies|io)", r"films?", r"movies?", r"pel[ií]culas?")
_CAMPAIGN_WORDS = _words(r"campaigns?", r"campaña", r"#\w+")
_RECORDING_WORDS = _words(
    r"webinars?",
    r"recordings?",
    r"recorded",
    r"watch",
    r"videos?",
    r"podcasts?",
    r"episodes?",
    r"listen",
    r"learning\s+experiences?",
    r"e-?learning",
    r"online\s+(?:course|training)s?",
    r"grabaci[oó]n",
    r"seminario\s+web",
    r"v[ií]deos?",
)
_ARTICLE_WORDS = _words(
    r"articles?",
    r"stud(?:y|ies)",
    r"reports?",
    r"briefs?",
    r"research",
    r"journal",
    r"news",
    r"snapshot",
    r"books?",
    r"art[ií]culos?",
    r"estudios?",
    r"informes?",
    r"libros?",
)
# Paths news sites and blogs give their stories: /2019/06/..., /news/..., /article/...
_ARTICLE_PATH = re.compile(r"/(?:19|20)\d\d/\d\d?/|/(?:news|article|articles|story|blog|blogs)/")


@dataclass(frozen=True)
class _Rule:
    kind: str
    why: str
    test: Callable[[LinkFacts], bool]


RULES: tuple[_Rule, ...] = (
    # A slide file is a deck whatever the page calls it.
    _Rule("presentation", "a slide deck file", lambda f: f.extension in _DECK_FILES),
    # The trainer's own word for the link wins over where it points: "slides
    # (PDF)" is a deck even though it is a PDF.
    _Rule("presentation", "its text says slides", lambda f: bool(_DECK_WORDS.search(f.text))),
    _Rule("film", "its text says film", lambda f: bool(_FILM_WORDS.search(f.text))),
    # A document on the program's own site is something it hands out; the same
    # file on another organization's site is that organization's report.
    _Rule(
        "handout",
        "a document on the page's own site",
        lambda f: f.extension in _DOCUMENT_FILES and same_site(f.host, f.page_host),
    ),
    _Rule(
        "article",
        "a document published on another site",
        lambda f: f.extension in _DOCUMENT_FILES,
    ),
    _Rule(
        "recording",
        "a video or podcast site",
        lambda f: (
            _host_in(f.host, _VIDEO_AUDIO_HOSTS)
            or (f.host.endswith("zoom.us") and "/rec/" in f.path)
        ),
    ),
    _Rule("film", "a streaming or film site", lambda f: _host_in(f.host, _STREAMING_HOSTS)),
    _Rule("article", "a book site", lambda f: _host_in(f.host, _BOOK_HOSTS)),
    # Then the link's words, then the words around it: "campaign" first, as a
    # campaign page often has a video ("watch") on it too.
    _Rule("campaign", "its text says campaign", lambda f: bool(_CAMPAIGN_WORDS.search(f.text))),
    _Rule(
        "recording",
        "its text says webinar or recording",
        lambda f: bool(_RECORDING_WORDS.search(f.text)),
    ),
    _Rule(
        "article",
        "its text says article, study or report",
        lambda f: bool(_ARTICLE_WORDS.search(f.text)),
    ),
    _Rule(
        "presentation", "the sentence says slides", lambda f: bool(_DECK_WORDS.search(f.context))
    ),
    _Rule("film", "the sentence says film", lambda f: bool(_FILM_WORDS.search(f.context))),
    _Rule(
        "campaign", "the sentence says campaign", lambda f: bool(_CAMPAIGN_WORDS.search(f.context))
    ),
    _Rule(
        "recording",
        "the sentence says webinar or recording",
        lambda f: bool(_RECORDING_WORDS.search(f.context)),
    ),
    _Rule(
        "article",
        "the sentence says article, study or report",
        lambda f: bool(_ARTICLE_WORDS.search(f.context)),
    ),
    _Rule(
        "article",
        "a news or journal site",
        lambda f: _host_in(f.host, _NEWS_AND_JOURNAL_HOSTS) or bool(_ARTICLE_PATH.search(f.path)),
    ),
    # Nothing said otherwise: a web page worth visiting, most often an
    # organization's home page.
    _Rule("link", "a web page", lambda f: True),
)


def classify(facts: LinkFacts) -> tuple[str, str]:
    """The item kind for a link, and the rule's reason (for ``import -v``)."""
    for rule in RULES:
        if rule.test(facts):
            return rule.kind, rule.why
    raise AssertionError("the last rule matches every link")  # pragma: no cover
