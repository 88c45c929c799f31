"""The items of an in-service: the eight kinds (article, recording, handout,
presentation, film, campaign, link, note), their translations, and the union
``Item`` that ``kind`` chooses from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from packetgen.spec.models._types import (
    Date,
    Language,
    Minutes,
    OptText,
    Pages,
    Prose,
    RelPath,
    Secret,
    ShortName,
    SpecModel,
    StartTime,
    Text,
    Url,
)

Orientation = Literal["fit", "turn"] | None
"""How a landscape page of a file prints one to a page: ``fit`` upright, ``turn``
sideways; None: sideways when that prints it larger (``binder.plan``)."""

ITEM_KINDS = (
    "article",
    "recording",
    "handout",
    "presentation",
    "film",
    "campaign",
    "link",
    "note",
)


class Translation(SpecModel):
    """The same resource in another language."""

    language: Language
    """Its language, e.g. ``es``."""
    title: Text | None = None
    """Its title in that language."""
    url: Url | None = None
    """Its web address; it gets a numbered QR code."""
    file: RelPath | None = None
    """Its file inside the packet folder, merged into the binder after the item's own."""


@dataclass(frozen=True)
class FileOptions:
    """How an item's own file is opened and printed: what handouts and slide decks
    may set, and what leaving it out means for every other kind."""

    pages: str | None = None
    """Pages to include (``"1-3,5"``); None: all."""
    password: str | None = None
    """The password written in the spec."""
    password_env: str | None = None
    """The environment variable holding the password."""
    tagged: Literal[False] | None = None
    """``False``: the trainer knows the file has no accessibility tags."""
    layout: str = "1-up"
    """Slides per page."""
    orientation: Orientation = None
    """How landscape pages print: ``fit`` upright, ``turn`` sideways; None: sideways
    when that prints them noticeably larger (the binder decides page by page)."""


class _ItemBase(SpecModel):
    title: Text
    """Title as printed on the page and in the table of contents."""
    url: Url | None = None
    """The resource's web address (http or https). It gets a numbered QR code."""
    description: Prose | None = None
    """What the volunteer will find there and why it matters (Markdown, no raw HTML)."""
    source: OptText | None = None
    """Publisher or organization, e.g. ``The Washington Post``."""
    date: Date | None = None
    """Publication or session date (YYYY-MM-DD)."""
    minutes: Minutes | None = None
    """Running or reading time in minutes."""
    access: Prose | None = None
    """How to get in, e.g. registration steps. Printed as a visible notice."""
    file: RelPath | None = None
    """A file inside the packet folder (PDF, PNG or JPEG; .docx/.pptx/.odt through
    LibreOffice) merged into the in-service's binder."""
    length_pages: Pages | None = None
    """Length in pages (of a book or report), for page-based credit rules. Items
    with a ``file`` count that file's pages when this is not given."""
    short: ShortName | None = None
    """With the packet's ``short_links``: the name of this item's short link
    (``casa-faq`` gives ``https://example-casa.org/go/casa-faq``). Default: made
    from the title, the same on every build."""
    language: Language | None = None
    """The language of this item's text and file, when it is not the in-service's
    (a Spanish handout in an English packet): screen readers then read it right."""
    translations: Annotated[list[Translation], Field(max_length=8)] = Field(default_factory=list)
    """The same resource in other languages, each printed beside the item with its
    own code ("También en español")."""

    # The fields only some kinds have, readable on any item of the union without
    # getattr: a kind without the field answers with what leaving it out means.

    @property
    def start_time(self) -> str | None:
        """Where to start watching: a recording's ``start``."""
        return None

    @property
    def byline_name(self) -> str | None:
        """Who made it: a recording's ``presenter`` or an article's ``author``."""
        return None

    @property
    def watch_on(self) -> tuple[str, ...]:
        """Where a film can be watched: its ``where_to_watch``."""
        return ()

    @property
    def file_options(self) -> FileOptions:
        """``pages``, the password and ``layout`` of the item's own file."""
        return FileOptions()

    def markdown_texts(self) -> dict[str, str | None]:
        """The item's Markdown texts by field name: ``description``, ``excerpt``
        (an article's) and ``access``; None where not given."""
        return {"description": self.description, "excerpt": None, "access": self.access}


class _FileItem(_ItemBase):
    pages: OptText | None = None
    """Pages of ``file`` to include, e.g. ``"1-3,5"``. Default: all."""
    password: Secret | None = None
    """Password that opens an encrypted PDF. Prefer ``password_env``."""
    password_env: OptText | None = None
    """Name of an environment variable holding the PDF's password."""
    tagged: Literal[False] | None = None
    """``false`` says you know this file has no accessibility tags (a scan, a
    photo, an old PDF): the build stops warning about it, and ``--strict``
    fails only on problems nobody has looked at yet."""
    orientation: Orientation = None
    """How a landscape page of ``file`` (wider than tall: a spreadsheet, a slide)
    prints on the binder's upright sheet. ``turn``: sideways, its top toward the
    binding edge, as large as the sheet allows; the running header and page
    number stay where they are on every page. ``fit``: upright, shrunk to the
    sheet's width (a landscape Letter page to about 70 %). Default: sideways when
    that prints it at least 5 % larger. Portrait pages always print upright, and
    so do slides printed several to a page."""

    @model_validator(mode="after")
    def _one_password(self) -> _FileItem:
        if self.password is not None and self.password_env is not None:
            raise ValueError("give either password or password_env, not both")
        return self

    @property
    def file_options(self) -> FileOptions:
        return FileOptions(
            self.pages, self.password, self.password_env, self.tagged, orientation=self.orientation
        )


def _require_file_or_url(item: _FileItem) -> None:
    # A document found on a web page (packetgen import) has an address but no
    # file yet; one with neither would print as a title with nothing behind it.
    if item.file is None and item.url is None:
        raise ValueError("give file: (a file in the packet folder) or url: (where to get it)")


class Article(_ItemBase):
    """A news story, study or web article."""

    kind: Literal["article"]
    """Always ``article``."""
    author: OptText | None = None
    """Author's name."""
    excerpt: Prose | None = None
    """A passage quoted from the article (Markdown, no raw HTML)."""

    @property
    def byline_name(self) -> str | None:
        return self.author

    def markdown_texts(self) -> dict[str, str | None]:
        return {**super().markdown_texts(), "excerpt": self.excerpt}


class Recording(_ItemBase):
    """A recorded webinar or session, often behind a registration page."""

    kind: Literal["recording"]
    """Always ``recording``."""
    presenter: OptText | None = None
    """Who presents the recording."""
    start: StartTime | None = None
    """Where to start watching, as ``"1:30"`` (minutes:seconds) or ``"1:02:03"``.
    YouTube and Vimeo links open there; the page says "starts at 1:30"."""

    @property
    def start_time(self) -> str | None:
        return self.start

    @property
    def byline_name(self) -> str | None:
        return self.presenter


class Handout(_FileItem):
    """A handout document merged into the binder."""

    kind: Literal["handout"]
    """Always ``handout``."""
    file: RelPath | None = None
    """The handout file inside the packet folder (PDF, PNG or JPEG; .docx/.odt
    through LibreOffice). Without it, give ``url``: the handout then prints with
    its QR code and "Not in this binder"."""

    @model_validator(mode="after")
    def _file_or_url(self) -> Handout:
        _require_file_or_url(self)
        return self


class Presentation(_FileItem):
    """A slide deck, printed one or several slides to a page."""

    kind: Literal["presentation"]
    """Always ``presentation``."""
    file: RelPath | None = None
    """The slide deck inside the packet folder (PDF; .pptx/.odp through LibreOffice).
    Without it, give ``url``: the deck then prints with its QR code and "Not in
    this binder"."""
    layout: Literal["1-up", "2-up", "3-up", "4-up", "6-up"] = "1-up"
    """Slides per page. ``3-up`` puts ruled note lines beside each slide."""

    @model_validator(mode="after")
    def _file_or_url(self) -> Presentation:
        _require_file_or_url(self)
        return self

    @model_validator(mode="after")
    def _orientation_one_up(self) -> Presentation:
        # Several slides a page are laid out upright in their cells; saying how
        # to turn them would be silently ignored, so it is a mistake to say it.
        if self.orientation is not None and self.layout != "1-up":
            raise ValueError(
                f"orientation applies to slides printed one to a page (layout: 1-up); with"
                f" layout: {self.layout} the slides always print upright: remove orientation"
            )
        return self

    @property
    def file_options(self) -> FileOptions:
        return replace(super().file_options, layout=self.layout)


class Film(_ItemBase):
    """A documentary or feature film."""

    kind: Literal["film"]
    """Always ``film``."""
    where_to_watch: list[Text] = Field(default_factory=list)
    """Services or media where the film can be watched, e.g. ``[Netflix, DVD]``."""

    @property
    def watch_on(self) -> tuple[str, ...]:
        return tuple(self.where_to_watch)


class Campaign(_ItemBase):
    """An awareness or prevention campaign."""

    kind: Literal["campaign"]
    """Always ``campaign``."""


class Link(_ItemBase):
    """A web page worth visiting."""

    kind: Literal["link"]
    """Always ``link``."""
    url: Url
    """The web address (http or https). It gets a numbered QR code."""


class Note(_ItemBase):
    """A free-text note to the reader (Markdown in ``description``)."""

    kind: Literal["note"]
    """Always ``note``."""


def _item_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("kind")
        return kind if isinstance(kind, str) else None
    return getattr(value, "kind", None)


Item = Annotated[
    Union[  # noqa: UP007 -- Annotated tagged unions read better with Union here
        Annotated[Article, Tag("article")],
        Annotated[Recording, Tag("recording")],
        Annotated[Handout, Tag("handout")],
        Annotated[Presentation, Tag("presentation")],
        Annotated[Film, Tag("film")],
        Annotated[Campaign, Tag("campaign")],
        Annotated[Link, Tag("link")],
        Annotated[Note, Tag("note")],
    ],
    Discriminator(_item_kind),
]
"""One resource in an in-service; ``kind`` chooses which fields apply."""


def item_fields(kind: str) -> tuple[str, ...]:
    """The field names an item of ``kind`` accepts (for "did you mean")."""
    model = _KIND_MODELS.get(kind)
    names = model.model_fields if model is not None else _ItemBase.model_fields
    return tuple(names)


_KIND_MODELS: dict[str, type[BaseModel]] = {
    "article": Article,
    "recording": Recording,
    "handout": Handout,
    "presentation": Presentation,
    "film": Film,
    "campaign": Campaign,
    "link": Link,
    "note": Note,
}
