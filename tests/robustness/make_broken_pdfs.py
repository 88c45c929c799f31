"""Make hostile and broken handout PDFs, in memory, for the robustness suite.

Nothing here is committed as a binary: every file is written by this script,
byte by byte (for structural damage pypdf would refuse to write) or with
pypdf (for encryption and active content), so a reviewer can read exactly
what each case contains.

    python tests/robustness/make_broken_pdfs.py OUTDIR    # write every case as OUTDIR/<name>.pdf

From Python: ``make(name)`` returns the bytes of one case; ``CASES`` lists them.
"""

from __future__ import annotations

import io
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["BOMB_BYTES", "CASES", "ENCRYPTIONS", "make", "raw_pdf"]

PAGE_CONTENT = b"BT /F1 24 Tf 72 700 Td (Broken handout) Tj ET"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
    b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
)

BOMB_BYTES = 2 * 1024**3
"""What the Flate bomb inflates to: 2 GiB of zeros from about 2 MB of data."""


def _stream(dictionary: bytes, data: bytes, *, length: int | None = None) -> bytes:
    declared = len(data) if length is None else length
    inner = dictionary.strip()
    assert inner.startswith(b"<<")
    assert inner.endswith(b">>")
    return inner[:-2] + b" /Length %d >>\nstream\n" % declared + data + b"\nendstream"


def raw_pdf(
    objects: list[bytes],
    *,
    root: int = 1,
    xref: bool = True,
    startxref_offset: int | None = None,
    shift_offsets: int = 0,
) -> bytes:
    """A classic PDF whose objects are numbered 1..n in the order given.

    ``xref=False`` leaves the cross-reference table out; ``startxref_offset``
    points ``startxref`` somewhere else; ``shift_offsets`` makes every xref
    entry wrong by that many bytes.
    """
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    where = out.tell()
    if xref:
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % (offset + shift_offsets))
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(
        b"startxref\n%d\n%%%%EOF\n" % (where if startxref_offset is None else startxref_offset)
    )
    return out.getvalue()


def _one_page(
    *, catalog: bytes = b"<< /Type /Catalog /Pages 2 0 R >>", extra: list[bytes] | None = None
) -> list[bytes]:
    return [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE,
        _FONT,
        _stream(b"<< >>", PAGE_CONTENT),
        *(extra or []),
    ]


# --------------------------------------------------------------- structural damage


def pages_cycle() -> bytes:
    """The page tree's only kid is a /Pages node whose kid is the root again."""
    objects = _one_page()
    objects[1] = b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>"
    objects.append(b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>")
    return raw_pdf(objects)


def pages_self_kid() -> bytes:
    """A /Pages node that lists itself among its kids, before a real page."""
    objects = _one_page()
    objects[1] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"
    return raw_pdf(objects)


def huge_count() -> bytes:
    """/Count claims two billion pages; the tree has one."""
    objects = _one_page()
    objects[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>"
    return raw_pdf(objects)


def wide_page_tree(pages: int = 3000) -> bytes:
    """A real tree with more pages than a handout may have (all share one content)."""
    kids = b" ".join(b"%d 0 R" % (6 + i) for i in range(pages))
    objects = _one_page()
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages
    objects.extend(_PAGE for _ in range(pages))
    return raw_pdf(objects)


def _zeros_deflated(total: int) -> bytes:
    """zlib data inflating to ``total`` zero bytes, made in well under a second.

    After a full flush the compressor forgets its history, so every further
    chunk of zeros compresses to the very same bytes: compress one, repeat it.
    The Adler-32 of n zeros is ((n mod 65521) << 16) | 1.
    """
    chunk = 1 << 24
    assert total % chunk == 0
    compressor = zlib.compressobj(9)
    head = compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    # The final empty block, closing the stream, then the checksum.
    tail = b"\x03\x00"
    adler = ((total % 65521) << 16) | 1
    return head + again * (total // chunk - 1) + tail + adler.to_bytes(4, "big")


def flate_bomb() -> bytes:
    """The page's content stream is 2 MB of Flate data that inflates to 2 GiB."""
    objects = _one_page()
    objects[4] = _stream(b"<< /Filter /FlateDecode >>", _zeros_deflated(BOMB_BYTES))
    return raw_pdf(objects)


def lying_length() -> bytes:
    """The content stream's /Length says 10 MB; the data is 45 bytes."""
    objects = _one_page()
    objects[4] = _stream(b"<< >>", PAGE_CONTENT, length=10_000_000)
    return raw_pdf(objects)


def negative_length() -> bytes:
    objects = _one_page()
    objects[4] = _stream(b"<< >>", PAGE_CONTENT, length=-5)
    return raw_pdf(objects)


def outline_cycle() -> bytes:
    """Bookmarks whose /Next runs in a circle, and whose child is its own parent."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>"
    extra = [
        b"<< /Type /Outlines /First 7 0 R /Last 8 0 R /Count 2 >>",
        b"<< /Title (One) /Parent 6 0 R /Next 8 0 R /First 7 0 R /Last 7 0 R /Count 1"
        b" /Dest [3 0 R /Fit] >>",
        b"<< /Title (Two) /Parent 6 0 R /Prev 7 0 R /Next 7 0 R /Dest [3 0 R /Fit] >>",
    ]
    return raw_pdf(_one_page(catalog=catalog, extra=extra))


def broken_xref() -> bytes:
    """Every xref offset is wrong and startxref points past the end of the file."""
    return raw_pdf(_one_page(), shift_offsets=7, startxref_offset=99_999_999)


def no_xref() -> bytes:
    return raw_pdf(_one_page(), xref=False)


def deep_nesting() -> bytes:
    """An array nested 100 000 levels deep in the page's resources."""
    objects = _one_page()
    objects[2] = _PAGE[:-2] + b" /Junk " + b"[" * 100_000 + b"]" * 100_000 + b" >>"
    return raw_pdf(objects)


def self_referencing_contents() -> bytes:
    """/Contents is an indirect reference to itself."""
    objects = _one_page()
    objects[2] = _PAGE.replace(b"/Contents 5 0 R", b"/Contents 6 0 R")
    objects.append(b"6 0 R")
    return raw_pdf(objects)


def huge_mediabox() -> bytes:
    objects = _one_page()
    objects[2] = _PAGE.replace(b"[0 0 612 792]", b"[0 0 1e308 1e308]")
    return raw_pdf(objects)


# --------------------------------------------------------------- made with pypdf


def _base_writer() -> object:
    from pypdf import PdfReader, PdfWriter

    return PdfWriter(clone_from=PdfReader(io.BytesIO(raw_pdf(_one_page()))))


def _to_bytes(writer: object) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


ENCRYPTIONS = ("RC4-40", "RC4-128", "AES-128", "AES-256-R5", "AES-256")
"""Every algorithm pypdf can write."""


def encrypted(
    algorithm: str, *, user: str = "", owner: str = "owner-secret", restrict: bool = False
) -> bytes:
    """The one-page handout encrypted with ``algorithm``; ``restrict`` forbids printing
    and copying (an owner-only restriction: it opens without a password)."""
    from pypdf.constants import UserAccessPermissions as P

    writer = _base_writer()
    permissions = P.all()
    if restrict:
        permissions &= ~(P.PRINT | P.EXTRACT | P.MODIFY | P.PRINT_TO_REPRESENTATION)
    writer.encrypt(  # type: ignore[attr-defined]
        user_password=user, owner_password=owner, algorithm=algorithm, permissions_flag=permissions
    )
    return _to_bytes(writer)


def active_content() -> bytes:
    """JavaScript (document and page level), an /OpenAction, a /Launch link, a
    /GoToR link, an embedded file and a file-attachment annotation."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    writer = _base_writer()
    writer.add_attachment("payload.exe", b"MZ not really a program")  # type: ignore[attr-defined]
    root = writer._root_object  # type: ignore[attr-defined]
    names = root["/Names"].get_object()
    doc_js = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('document JavaScript');"),
        }
    )
    names[NameObject("/JavaScript")] = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [TextStringObject("hello"), writer._add_object(doc_js)]  # type: ignore[attr-defined]
            )
        }
    )
    js = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('open');"),
        }
    )
    root[NameObject("/OpenAction")] = writer._add_object(js)  # type: ignore[attr-defined]
    page = writer.pages[0]  # type: ignore[attr-defined]
    page[NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert('page');"),
                }
            )
        }
    )

    def rect(y: float) -> ArrayObject:
        return ArrayObject([FloatObject(72), FloatObject(y), FloatObject(300), FloatObject(y + 20)])

    launch = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): rect(600),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/Launch"),
                    NameObject("/F"): TextStringObject("C:\\Windows\\System32\\calc.exe"),
                }
            ),
        }
    )
    gotor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): rect(560),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/GoToR"),
                    NameObject("/F"): TextStringObject("file:///etc/passwd"),
                    NameObject("/D"): ArrayObject([]),
                }
            ),
        }
    )
    attachment = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): rect(520),
            NameObject("/FS"): DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Filespec"),
                    NameObject("/F"): TextStringObject("x.exe"),
                }
            ),
        }
    )
    page[NameObject("/Annots")] = ArrayObject(
        [writer._add_object(a) for a in (launch, gotor, attachment)]  # type: ignore[attr-defined]
    )
    return _to_bytes(writer)


CASES: dict[str, Callable[[], bytes]] = {
    "pages-cycle": pages_cycle,
    "pages-self-kid": pages_self_kid,
    "huge-count": huge_count,
    "too-many-pages": wide_page_tree,
    "flate-bomb": flate_bomb,
    "lying-length": lying_length,
    "negative-length": negative_length,
    "outline-cycle": outline_cycle,
    "broken-xref": broken_xref,
    "no-xref": no_xref,
    "deep-nesting": deep_nesting,
    "self-referencing-contents": self_referencing_contents,
    "huge-mediabox": huge_mediabox,
    "active-content": active_content,
    **{f"encrypted-{alg.lower()}": (lambda alg=alg: encrypted(alg)) for alg in ENCRYPTIONS},
    **{
        f"encrypted-{alg.lower()}-user-password": (lambda alg=alg: encrypted(alg, user="casa2026"))
        for alg in ENCRYPTIONS
    },
    **{
        f"encrypted-{alg.lower()}-owner-restrictions": (
            lambda alg=alg: encrypted(alg, restrict=True)
        )
        for alg in ENCRYPTIONS
    },
}


def make(name: str) -> bytes:
    """The bytes of the case called ``name`` (see ``CASES``)."""
    return CASES[name]()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[4].strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, factory in CASES.items():
        (out / f"{name}.pdf").write_bytes(factory())
        print(out / f"{name}.pdf")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
