"""External references in office documents, removed before LibreOffice sees them.

A Word, PowerPoint or OpenDocument file can show a picture, an object or a
whole section that lives *outside* the file: ``file:///home/…/photo.png`` or
``http://server/…``. LibreOffice loads those while converting, which in a
service that converts uploaded handouts is a file disclosure (the picture is
embedded into the PDF) and a request to any server the uploader names.

packetgen removes them and converts the rest, with a warning that says what
was left out and how to put it back (insert the picture instead of linking
it). Hyperlinks stay: they are printed and clicked, never fetched. The old
binary formats (.doc, .ppt, .xls) cannot be inspected this way; the
conversion sandbox (see ``_sandbox``) is what keeps them from reaching files
and the network.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from packetgen.errors import HandoutError

__all__ = ["Stripped", "strip_external_references"]

_MAX_MEMBER = 256 * 1024 * 1024
"""Largest part of the archive that is unpacked (a picture, a slide)."""
_MAX_TOTAL = 1024 * 1024 * 1024
"""Everything in the archive, unpacked: beyond this it is a zip bomb."""
_MAX_MEMBERS = 20_000

_HYPERLINK = "/relationships/hyperlink"
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]{0,4000}>")
_ATTRIBUTE = re.compile(rb'\b(Type|Target|TargetMode)\s*=\s*"([^"]{0,4000})"')

# ODF: every xlink:href of an element that is not a hyperlink. Package-internal
# references are relative paths inside the archive ("Pictures/1.png",
# "./Object 1"); anything with a scheme, an absolute path or a "../" is outside.
_ODF_HREF = re.compile(
    rb'<([A-Za-z][\w.-]{0,40}:[\w.-]{1,60})\b([^>]{0,4000}?)\bxlink:href="([^"]{0,4000})"'
)
_ODF_LINKS = {b"text:a", b"draw:a", b"form:button"}
_EXTERNAL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|/|\\|\.\./|\.\.\\)")

# Word fields that pull content from a file or a server when they are updated.
_WORD_FIELD = re.compile(
    rb"(<w:instrText\b[^>]{0,200}>|\bw:instr=\")(\s*(?:INCLUDEPICTURE|INCLUDETEXT|LINK|DDEAUTO|DDE|IMPORT)\b)",
    re.IGNORECASE,
)


@dataclass
class Stripped:
    """The document as LibreOffice may see it, and what was taken out."""

    data: bytes
    removed: list[str] = field(default_factory=list)
    """The external targets removed (file paths and addresses), in document order."""

    def warning(self) -> str | None:
        """A sentence whose subject is the handout, or None when nothing was removed."""
        if not self.removed:
            return None
        shown = ", ".join(_short(target) for target in self.removed[:3])
        more = f" and {len(self.removed) - 3} more" if len(self.removed) > 3 else ""
        things = "a picture or object" if len(self.removed) == 1 else "pictures or objects"
        return (
            f"links {things} from outside the file ({shown}{more}); packetgen never "
            "fetches those, so they were left out of the printed pages. To include "
            "them, insert the picture into the document itself (not as a link) and save it again"
        )


def _short(target: str) -> str:
    # The start says where (a file, a server), the end which picture.
    return target if len(target) <= 60 else target[:12] + "…" + target[-45:]


def _external(target: str) -> bool:
    return bool(_EXTERNAL.match(target.strip()))


def _strip_relationships(part: bytes, removed: list[str]) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        tag = match.group(0)
        attributes = {m.group(1): m.group(2) for m in _ATTRIBUTE.finditer(tag)}
        if attributes.get(b"TargetMode", b"").lower() != b"external":
            return tag
        if attributes.get(b"Type", b"").endswith(_HYPERLINK.encode()):
            return tag
        target = html.unescape(attributes.get(b"Target", b"").decode("utf-8", "replace"))
        removed.append(target)
        # An internal target that does not exist: the picture becomes an empty
        # frame, where an empty external target could mean "this folder".
        tag = _ATTRIBUTE.sub(
            lambda m: (
                b'Target="packetgen-removed-link"'
                if m.group(1) == b"Target"
                else (b"" if m.group(1) == b"TargetMode" else m.group(0))
            ),
            tag,
        )
        return tag

    return _RELATIONSHIP.sub(replace, part)


def _strip_odf(part: bytes, removed: list[str]) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        element, _attrs, href = match.group(1), match.group(2), match.group(3)
        target = html.unescape(href.decode("utf-8", "replace"))
        if element in _ODF_LINKS or not _external(target):
            return match.group(0)
        removed.append(target)
        return match.group(0)[: -len(href) - 1] + b'"'

    return _ODF_HREF.sub(replace, part)


def _strip_word_fields(part: bytes, removed: list[str]) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        removed.append(match.group(2).decode("utf-8", "replace").strip() + " field")
        # A field code of spaces: Word and LibreOffice show the field's last result.
        return match.group(1) + b" " * len(match.group(2))

    return _WORD_FIELD.sub(replace, part)


def _rewrite(name: str, part: bytes, removed: list[str]) -> bytes:
    if name.endswith(".rels"):
        return _strip_relationships(part, removed)
    if name in ("content.xml", "styles.xml") or name.endswith("/content.xml"):
        return _strip_odf(part, removed)
    if name.startswith("word/") and name.endswith(".xml"):
        return _strip_word_fields(part, removed)
    return part


def _bomb(file: str, item: str, detail: str) -> HandoutError:
    return HandoutError(
        file,
        f"the document {detail}, more than packetgen unpacks for one handout; "
        "open it in its program, export it to PDF and point `file:` at the PDF",
        item=item,
    )


def strip_external_references(data: bytes, *, file: str, item: str) -> Stripped:
    """Remove every reference to content outside an OOXML or OpenDocument file.

    Files that are not zip archives (the old binary formats) come back
    unchanged. Raises :class:`HandoutError` for an archive that is damaged or
    unpacks to more than packetgen allows.
    """
    if not data.startswith(b"PK\x03\x04"):
        return Stripped(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > _MAX_MEMBERS:
                raise _bomb(file, item, f"holds {len(members):,} parts")
            if sum(info.file_size for info in members) > _MAX_TOTAL:
                raise _bomb(file, item, "unpacks to more than 1 GB")
            removed: list[str] = []
            changed: dict[str, bytes] = {}
            for info in members:
                if not info.filename.endswith((".rels", ".xml")):
                    continue
                if info.file_size > _MAX_MEMBER:
                    raise _bomb(file, item, f"has a part ({info.filename}) larger than 256 MB")
                part = archive.read(info)
                rewritten = _rewrite(info.filename, part, removed)
                if rewritten != part:
                    changed[info.filename] = rewritten
            if not changed:
                return Stripped(data, removed)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as rebuilt:
                for info in members:
                    body = changed.get(info.filename)
                    if body is None:
                        body = archive.read(info)
                    # The mimetype entry of OpenDocument files must stay first and stored.
                    rebuilt.writestr(info, body, compress_type=info.compress_type)
            return Stripped(out.getvalue(), removed)
    except HandoutError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError,
            NotImplementedError, RuntimeError) as exc:  # fmt: skip
        raise HandoutError(
            file,
            "the document is damaged (its zip container cannot be read: "
            f"{exc}); open it in its program, save it again or export it to PDF",
            item=item,
        ) from exc
