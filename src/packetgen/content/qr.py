"""QR codes for printed packets, as compact inline SVG.

Volunteers scan these codes from black-and-white photocopies of photocopies
with whatever phone they have, so the conventions in DESIGN.md apply to every
code: vector output, error correction M by default, a 4-module quiet zone,
and **sized by module**: every module is printed at the packet's module size
(0.8 mm by default), so a code grows with its URL. Measured on copies of
copies, modules of 0.5 to 0.6 mm are lost and 0.7 mm and up survive, whatever
the URL's length; a higher error correction grows the code and never
shrinks its modules.

The SVG is written here rather than by qrcode's own SVG factories: those emit
one sub-path per module and repeat ``id="qr-path"`` in every code, which makes
ids collide on a page and roughly doubles WeasyPrint's render time. Here every
code is a single ``<path>`` built from horizontal runs of dark modules (runs
identical on consecutive rows are merged into one rectangle), with relative
integer commands: about 2 KB of path data for a 40-character URL, half of
what qrcode's path factory writes.
"""

from __future__ import annotations

import bisect
import functools
import html
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

import qrcode
import qrcode.constants
import qrcode.exceptions
import qrcode.main
import qrcode.util

from packetgen.errors import QRCapacityError

__all__ = ["ErrorCorrection", "QRCode", "make_qr", "max_bytes", "symbol_size"]

ErrorCorrection = Literal["L", "M", "Q", "H"]

QUIET_ZONE: Final = 4
"""Modules of light margin on each side; the QR standard requires 4, and
phone scanners fail noticeably more often with less."""

DEFAULT_MODULE_MM: Final = 0.8
"""Printed module size: 0.7 mm is the smallest that survived a photocopy of a
photocopy scanned at 150 dpi; 0.8 mm leaves headroom."""

_EC_LEVELS: Final[dict[ErrorCorrection, int]] = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}

_ELEMENT_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

# Characters XML 1.0 forbids even when escaped; a title from an untrusted spec
# could carry them and would otherwise make the whole page unparsable.
_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class QRCode:
    """One encoded URL, ready to be embedded in a page at print size."""

    data: str
    """The encoded text (a URL)."""
    version: int
    """QR version 1..40; the symbol is ``4 * version + 17`` modules wide."""
    error_correction: ErrorCorrection
    modules: int
    """Modules per side, including the quiet zone on both sides."""
    path: str
    """SVG path data in module units, quiet zone included (the symbol starts at 4,4)."""
    rects: tuple[tuple[int, int, int, int], ...] = ()
    """The dark modules as rectangles (x, y from the top left, width, height), in module units."""

    def size_mm(self, module_mm: float = DEFAULT_MODULE_MM) -> float:
        """Printed side length, quiet zone included, with modules of ``module_mm``."""
        _check_positive("module_mm", module_mm)
        return self.modules * module_mm

    def svg(self, *, title: str, element_id: str, size_mm: float | None = None) -> str:
        """Inline SVG for an HTML page.

        ``element_id`` must be unique on the page (it also names the title
        element that screen readers and PDF tags use as the accessible name).
        ``title`` may come from an untrusted spec and is escaped here.
        """
        if not _ELEMENT_ID.fullmatch(element_id):
            raise ValueError(
                f"QR element id must be a letter followed by letters, digits, '-' or '_';"
                f" got {element_id!r}"
            )
        size = self.size_mm() if size_mm is None else size_mm
        _check_positive("size_mm", size)
        n = self.modules
        mm = _format_mm(size)
        safe_title = html.escape(_XML_INVALID.sub("", title), quote=True)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"'
            f' width="{mm}mm" height="{mm}mm" role="img"'
            f' aria-labelledby="{element_id}-t" id="{element_id}"'
            f' shape-rendering="crispEdges">'
            f'<title id="{element_id}-t">{safe_title}</title>'
            f'<rect width="{n}" height="{n}" fill="#fff"/>'
            f'<path fill="#000" d="{self.path}"/>'
            f"</svg>"
        )


def make_qr(data: str, error_correction: ErrorCorrection = "M") -> QRCode:
    """Encode ``data`` as a QR code.

    The same URL often appears several times in a packet (on the item and in
    the links appendix), so results are cached; equal arguments return the very
    same object.

    Raises :class:`QRCapacityError` when the data does not fit in the largest
    QR code at this error correction.
    """
    if error_correction not in _EC_LEVELS:
        raise ValueError(
            f"error correction must be one of {', '.join(get_args(ErrorCorrection))};"
            f" got {error_correction!r}"
        )
    # Always call with both arguments positionally so that make_qr(url) and
    # make_qr(url, "M") share one cache entry.
    return _make_qr_cached(data, error_correction)


@functools.lru_cache(maxsize=4096)
def _make_qr_cached(data: str, error_correction: ErrorCorrection) -> QRCode:
    level = _EC_LEVELS[error_correction]
    version = _best_fit(data, level)
    if version > 40:
        raise QRCapacityError(_capacity_message(data, error_correction))
    code = qrcode.QRCode(version=version, error_correction=level, border=QUIET_ZONE)
    code.add_data(data)
    code.makeImpl(False, _best_mask(code))
    matrix: list[list[bool]] = [[bool(m) for m in row] for row in code.get_matrix()]
    rects = _rects(matrix)
    return QRCode(
        data=data,
        version=int(code.version),
        error_correction=error_correction,
        modules=len(matrix),
        path=_path_data(rects),
        rects=tuple((x0, y0, w, h) for y0, x0, w, h in rects),
    )


@functools.lru_cache(maxsize=4096)
def symbol_size(data: str, error_correction: ErrorCorrection = "M") -> tuple[int, int]:
    """(version, modules per side with the quiet zone) of the code for ``data``.

    Found without drawing the code (choosing its mask pattern is nine
    drawings): layouts need only its size, and a rebuild served from the
    cache needs nothing more. Raises :class:`QRCapacityError` as :func:`make_qr`.
    """
    if error_correction not in _EC_LEVELS:
        raise ValueError(f"error correction must be one of L, M, Q, H; got {error_correction!r}")
    version = _best_fit(data, _EC_LEVELS[error_correction])
    if version > 40:
        raise QRCapacityError(_capacity_message(data, error_correction))
    return version, 4 * version + 17 + 2 * QUIET_ZONE


def _best_fit(data: str, level: int) -> int:
    """The version qrcode's ``best_fit`` chooses (41: too long), from bit counts alone.

    qrcode finds it by writing the data into a bit buffer bit by bit, version
    after version; the sizes are arithmetic, and a cached rebuild asks for
    every code's size.
    """
    chunks = list(qrcode.util.optimal_data_chunks(data, minimum=20))
    limits = qrcode.util.BIT_LIMIT_TABLE[level]
    start = 1
    while True:
        sizes = qrcode.util.mode_sizes_for_version(start)
        needed = sum(4 + sizes[c.mode] + _data_bits(c.mode, len(c)) for c in chunks)
        version = bisect.bisect_left(limits, needed, start)
        if version > 40 or qrcode.util.mode_sizes_for_version(version) is sizes:
            return version
        start = version


def _best_mask(code: qrcode.QRCode) -> int:
    """The mask qrcode's ``best_mask_pattern`` picks, scored on rows of bits.

    qrcode draws the whole symbol eight times, once per mask, and scores each
    drawing module by module: nine tenths of the time a code takes. Here the
    symbol is drawn once (mask 0, format areas light as qrcode scores them);
    the other masks differ only on data modules, so each is a few operations
    per row and column, and the penalty rules are counted with bit operations.
    """
    code.makeImpl(True, 0)
    n = code.modules_count
    drawn = [_bits(row) for row in code.modules]
    # Data modules: those the symbol's fixed patterns and format areas leave empty.
    blank = [list(row) for row in qrcode.main.precomputed_qr_blanks[code.version]]
    code.modules = blank
    code.setup_type_info(True, 0)
    if code.version >= 7:
        code.setup_type_number(True)
    free = [_bits(m is None for m in row) for row in blank]
    fixed = [row & ~f for row, f in zip(drawn, free, strict=True)]
    plain = [(row ^ m) & f for row, m, f in zip(drawn, _mask_lines(0, n, False), free, strict=True)]
    # The same, column by column, for the rules that read down the columns.
    fixed_t, plain_t, free_t = (_transposed(lines, n) for lines in (fixed, plain, free))
    best, lowest = 0, -1
    for mask in range(8):
        rows = _masked(fixed, plain, free, _mask_lines(mask, n, False))
        columns = _masked(fixed_t, plain_t, free_t, _mask_lines(mask, n, True))
        score = _penalty(rows, columns, n)
        if lowest < 0 or score < lowest:
            best, lowest = mask, score
    return best


def _masked(
    fixed: Sequence[int], plain: Sequence[int], free: Sequence[int], mask: Sequence[int]
) -> list[int]:
    return [x | ((d ^ m) & f) for x, d, m, f in zip(fixed, plain, mask, free, strict=True)]


def _transposed(lines: Sequence[int], n: int) -> list[int]:
    return [_bits((line >> c) & 1 for line in lines) for c in range(n)]


def _bits(row: Iterable[object]) -> int:
    """A row of modules as an integer, bit c for column c."""
    return sum(1 << c for c, dark in enumerate(row) if dark)


@functools.lru_cache(maxsize=1024)
def _mask_lines(mask: int, n: int, columns: bool) -> tuple[int, ...]:
    """Where ``mask`` flips data modules, by row (or by column)."""
    flips = qrcode.util.mask_func(mask)
    if columns:
        return tuple(_bits(flips(r, c) for r in range(n)) for c in range(n))
    return tuple(_bits(flips(r, c) for c in range(n)) for r in range(n))


# Finder-like runs, dark:light:dark:light:dark 1:1:3:1:1 beside 4 light modules,
# as (dark, light) positions in a window of 11.
_FINDER_LIKE = (
    ((0, 2, 3, 4, 6), (1, 5, 7, 8, 9, 10)),
    ((4, 6, 7, 8, 10), (0, 1, 2, 3, 5, 9)),
)


def _penalty(rows: list[int], columns: list[int], n: int) -> int:
    """qrcode's ``lost_point`` of a symbol given as rows (and columns) of bits."""
    pairs = (1 << (n - 1)) - 1
    windows = (1 << (n - 10)) - 1
    score = 0
    for line in (*rows, *columns):
        same = ~(line ^ (line >> 1)) & pairs
        # Runs of five or more of one colour score their length minus 2.
        fives = same & (same >> 1) & (same >> 2) & (same >> 3)
        score += fives.bit_count() + 2 * (fives & ~(fives << 1)).bit_count()
        for dark, light in _FINDER_LIKE:
            found = windows
            for k in dark:
                found &= line >> k
            for k in light:
                found &= ~line >> k
            score += 40 * found.bit_count()
    for top, bottom in itertools.pairwise(rows):
        level = ~(top ^ bottom)
        score += 3 * (~(top ^ (top >> 1)) & level & (level >> 1) & pairs).bit_count()
    dark_modules = sum(row.bit_count() for row in rows)
    return score + 10 * int(abs(float(dark_modules) / (n**2) * 100 - 50) / 5)


def _data_bits(mode: int, length: int) -> int:
    if mode == qrcode.util.MODE_NUMBER:
        return 10 * (length // 3) + (0, 4, 7)[length % 3]
    if mode == qrcode.util.MODE_ALPHA_NUM:
        return 11 * (length // 2) + 6 * (length % 2)
    return 8 * length


def max_bytes(error_correction: ErrorCorrection) -> int:
    """How many bytes of arbitrary text (byte mode) fit in a version 40 code.

    URLs are mostly lowercase, so qrcode encodes them in byte mode; runs of
    digits can squeeze in a little more, hence "about" in messages.
    """
    bits = qrcode.util.BIT_LIMIT_TABLE[_EC_LEVELS[error_correction]][40]
    # Byte mode costs a 4-bit mode indicator and a 16-bit length at version 40.
    return int((bits - 4 - 16) // 8)


def _capacity_message(data: str, error_correction: ErrorCorrection) -> str:
    size = f"{len(data)} characters long"
    n_bytes = len(data.encode("utf-8"))
    if n_bytes != len(data):
        size += f" ({n_bytes} bytes as UTF-8)"
    return (
        f"URL is {size}, more than a QR code can hold at error correction"
        f" {error_correction} (about {max_bytes(error_correction)} bytes); use a short link"
    )


def _rects(matrix: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """The dark modules as (top, left, width, height) rectangles, in (top, left) order.

    Each row is split into runs of dark modules; a run with the same start and
    end as one on the row above extends that rectangle downwards (finder
    patterns and timing patterns collapse nicely).
    """
    open_rects: dict[tuple[int, int], int] = {}  # (x0, x1) -> top row
    rects: list[tuple[int, int, int, int]] = []  # (y0, x0, width, height)
    for y, row in enumerate([*matrix, []]):  # the empty sentinel row closes everything
        runs = _dark_runs(row)
        continuing = set(runs)
        for run in [r for r in open_rects if r not in continuing]:
            top = open_rects.pop(run)
            rects.append((top, run[0], run[1] - run[0], y - top))
        for run in runs:
            open_rects.setdefault(run, y)
    rects.sort()
    return rects


def _path_data(rects: list[tuple[int, int, int, int]]) -> str:
    """The rectangles as one SVG path: each ``m dx dy h w v h h -w z``.

    After ``z`` the current point is back at the rectangle's corner, so every
    move is relative to the previous rectangle and all numbers stay small
    integers.
    """
    parts: list[str] = []
    cx = cy = 0
    for y0, x0, w, h in rects:
        parts.append(f"m{x0 - cx} {y0 - cy}h{w}v{h}h-{w}z")
        cx, cy = x0, y0
    path = "".join(parts)
    # The first move of a path is absolute regardless of case; use "M" so the
    # data reads as the absolute position it is.
    return "M" + path[1:] if path else ""


def _dark_runs(row: list[bool]) -> list[tuple[int, int]]:
    """Half-open column ranges [x0, x1) of consecutive dark modules."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for x, dark in enumerate([*row, False]):
        if dark and start is None:
            start = x
        elif not dark and start is not None:
            runs.append((start, x))
            start = None
    return runs


def _format_mm(value: float) -> str:
    """At most two decimals and no trailing zeros, so markup stays stable and short."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of millimetres; got {value!r}")
