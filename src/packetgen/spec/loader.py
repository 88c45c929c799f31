"""load: spec file → validated :class:`Packet`, or one SpecError listing every problem.

The file is read (:func:`load_packet`) or the data taken as given
(:func:`packet_from_data`); :func:`validate` then checks the limits
(:mod:`.limits`), the files the spec names (:mod:`.files`), the models, and what
spans fields (unique ids, links in Markdown, ``strings:``), with pydantic's
errors translated into located problems (:mod:`.problems`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from packetgen.errors import Problem, SpecError, utf8_problem
from packetgen.spec._sources import Loc, SourceDoc, SourceProblems, parse, shallow
from packetgen.spec.files import check_files, check_path
from packetgen.spec.limits import (
    MARKDOWN_FIELDS,
    MAX_FILE_BYTES_TOTAL,
    MAX_FILES,
    MAX_INSERVICES,
    MAX_ITEMS,
    MAX_SPEC_BYTES,
    MAX_TEXT_CHARS,
    check_limits,
)
from packetgen.spec.models import Packet, url_problem
from packetgen.spec.problems import field_problem, kind_of, problem_at, suggest, translate
from packetgen.text.markdown import MAX_MARKDOWN_CHARS, links_in

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES_TOTAL",
    "MAX_INSERVICES",
    "MAX_ITEMS",
    "MAX_MARKDOWN_CHARS",
    "MAX_SPEC_BYTES",
    "MAX_TEXT_CHARS",
    "check_path",
    "load_packet",
    "packet_from_data",
]

# Fields whose Markdown links get numbered QR codes (links.collect_links) or
# are rendered as links: each link must be a usable web address.
_LINK_FIELDS = (*MARKDOWN_FIELDS, "access", "advisory")

_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


def load_packet(path: str | os.PathLike[str]) -> Packet:
    """Read, parse and validate a packet spec.

    Raises :class:`SpecError` listing every problem found, each located as
    ``file:line:col: field: message``.
    """
    spec_path = Path(path)
    name = str(path)
    text = _read_text(spec_path, name)
    fmt = _FORMATS.get(spec_path.suffix.lower(), "yaml")
    try:
        doc = parse(text, name=name, fmt=fmt)
    except SourceProblems as exc:
        raise SpecError(exc.problems) from None
    return validate(doc, name=name, folder=spec_path.parent, source=spec_path)


def packet_from_data(data: Mapping[str, Any], *, folder: str | os.PathLike[str]) -> Packet:
    """Validate spec data (as parsed from YAML, JSON or TOML) into a :class:`Packet`.

    Relative paths in ``data`` (handouts, images, a theme folder) resolve
    against ``folder``, and nothing outside it is read. Raises
    :class:`SpecError` listing every problem, each with its field path
    (``inservices[0].items[2].url``); ``data`` itself is not changed.
    """
    if not isinstance(data, Mapping):
        raise SpecError(
            [
                Problem(
                    _DATA_NAME,
                    None,
                    None,
                    "",
                    f"expected a mapping of fields (title, inservices, …), found {kind_of(data)}",
                )
            ]
        )
    try:
        doc = shallow(SourceDoc(data=copy.deepcopy(dict(data))), _DATA_NAME)
    except SourceProblems as exc:
        raise SpecError(exc.problems) from None
    except RecursionError:
        raise SpecError(
            [Problem(_DATA_NAME, None, None, "", "the data is nested too deeply")]
        ) from None
    return validate(doc, name=_DATA_NAME, folder=Path(folder), source=None)


_DATA_NAME = "<data>"


def _read_text(path: Path, name: str) -> str:
    try:
        if not path.is_file():
            what = (
                "is a folder"
                if path.is_dir()
                else "is not a regular file"
                if path.exists()
                else "does not exist"
            )
            raise SpecError([Problem(name, None, None, "", f"cannot read the spec: it {what}")])
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            too_big = (
                f"the file is {size:,} bytes; a packet spec may be at most"
                f" {MAX_SPEC_BYTES:,} bytes (1 MiB)"
            )
            raise SpecError([Problem(name, None, None, "", too_big)])
        raw = path.read_bytes()[: MAX_SPEC_BYTES + 1]
    except OSError as exc:
        raise SpecError(
            [Problem(name, None, None, "", f"cannot read the spec: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError([utf8_problem(raw, exc, name, "save the file as UTF-8")]) from None
    if "\x00" in text:
        raise SpecError([Problem(name, None, None, "", "expected a text file, found binary data")])
    if not text.strip():
        empty = "the file is empty; expected a packet with a title and inservices"
        raise SpecError([Problem(name, 1, 1, "", empty)])
    return text


def validate(doc: SourceDoc, *, name: str, folder: Path, source: Path | None) -> Packet:
    """Validate parsed data against the spec models and the packet folder."""
    problems: list[Problem] = []
    if not isinstance(doc.data, dict):
        raise SpecError(
            [
                problem_at(
                    doc,
                    name,
                    (),
                    "",
                    "expected a mapping of fields (title:, inservices: …),"
                    f" found {kind_of(doc.data)}",
                )
            ]
        )
    limits = check_limits(doc, name)
    if limits:
        # Past a count limit, validating every entry would itself be the attack.
        raise SpecError(_sorted(limits))
    # Files first: a name found on disk under another Unicode normalisation is
    # rewritten to the disk's spelling before the models see it.
    problems.extend(check_files(doc, name, folder))
    packet: Packet | None = None
    try:
        packet = Packet.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(translate(doc, name, err) for err in exc.errors() if _keep(err))
    problems.extend(_duplicate_ids(doc, name))
    problems.extend(_check_strings(doc, name))
    problems.extend(_check_markdown_links(doc, name))
    if problems:
        raise SpecError(_sorted(problems))
    assert packet is not None
    packet._source = source
    packet._folder = folder
    packet._positions = dict(doc.positions)
    return packet


def _keep(err: ErrorDetails) -> bool:
    return err["type"] != "duplicate_id"


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0))


def _check_markdown_links(doc: SourceDoc, name: str) -> list[Problem]:
    """Links inside Markdown get QR codes too: the same checks as ``url:``."""
    problems: list[Problem] = []

    def fields(mapping: Any, loc: Loc) -> None:
        if not isinstance(mapping, dict):
            return
        for key in _LINK_FIELDS:
            text = mapping.get(key)
            if not isinstance(text, str) or len(text) > MAX_MARKDOWN_CHARS:
                continue
            for url in links_in(text):
                problem = url_problem(url)
                if problem is not None:
                    shown = url if len(url) <= 80 else url[:77] + "..."
                    where = (*loc, key)
                    problems.append(field_problem(doc, name, where, f"the link {shown}: {problem}"))

    fields(doc.data, ())
    inservices = doc.data.get("inservices")
    for i, inservice in enumerate(inservices if isinstance(inservices, list) else []):
        fields(inservice, ("inservices", i))
        items = inservice.get("items") if isinstance(inservice, dict) else None
        for j, item in enumerate(items if isinstance(items, list) else []):
            fields(item, ("inservices", i, "items", j))
    return problems


def _check_strings(doc: SourceDoc, name: str) -> list[Problem]:
    """``strings:`` may only reword texts packetgen prints: a misspelt name would
    otherwise change nothing, silently."""
    given = doc.data.get("strings")
    if not isinstance(given, dict) or not given:
        return []
    from packetgen.text.i18n import (
        printed_texts,  # Babel reads the catalog only for specs that reword
    )

    texts = printed_texts()
    problems = []
    for key in given:
        if not isinstance(key, str) or key in texts or key in texts.values():
            continue
        loc: Loc = ("strings", key)
        hint = suggest(key, [*texts, *texts.values()])
        problems.append(
            field_problem(
                doc,
                name,
                loc,
                f"packetgen prints no text called {key!r}{hint} (give a text's short name,"
                ' like registration_required, or its English words, like "Registration'
                ' required"; docs/strings.md lists them)',
                key=True,
            )
        )
    return problems


def _duplicate_ids(doc: SourceDoc, name: str) -> list[Problem]:
    inservices = doc.data.get("inservices")
    if not isinstance(inservices, list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, inservice in enumerate(inservices):
        ident = inservice.get("id") if isinstance(inservice, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in seen:
            loc: Loc = ("inservices", index, "id")
            first = doc.positions.get(("inservices", seen[ident], "id"), (None, None))[0]
            problems.append(
                field_problem(
                    doc,
                    name,
                    loc,
                    f"in-service id {ident!r} is already used by inservices[{seen[ident]}]"
                    f" (line {first}); each in-service needs its own id, it names the output files",
                )
            )
        else:
            seen[ident] = index
    return problems
