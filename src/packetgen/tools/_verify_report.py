"""What ``verify`` found, and the report a trainer reads.

:class:`FoundCode` is one decoded QR code with its printed size;
:class:`VerifyReport` compares the codes of one PDF (or one set of photos)
with the links the spec requires and says whether they pass; and
:func:`format_verify` prints it as a table with a verdict on the last line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MIN_MODULE_MM",
    "MIN_SIZE_MM",
    "Box",
    "FoundCode",
    "VerifyReport",
    "copies_in_words",
    "format_verify",
]

MIN_SIZE_MM = 20.0
"""The floor of DESIGN.md for a printed code, quiet zone included."""
MIN_MODULE_MM = 0.7
"""The smallest module that survived a photocopy of a photocopy (README's table)."""
_MEASURE_SLACK_PX = 0.5
"""Measurement uncertainty allowed before a code is called too small."""

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FoundCode:
    """One QR code decoded from a rendered page."""

    page: int
    """1-based page number (1 for a photo or scan)."""
    url: str
    printed_mm: float | None
    """Side of the code as printed, quiet zone included; None in a photo or scan."""
    module_mm: float | None
    """Side of one module: what decides whether a phone can resolve the code;
    None in a photo or scan, which has no known scale."""
    in_spec: bool | None
    """Whether the code is one the spec (or a merged handout) accounts for; None without a spec."""
    qr_version: int = 0
    box_pt: Box | None = field(default=None, compare=False)
    """The symbol's box on the page in PDF points, (left, top, right, bottom) from the top left."""
    survived: bool | None = None
    """Whether the code still decodes after the photocopies the check
    simulated; None when none were."""
    file: Path | None = None
    """The photo or scan the code was read from; None in a PDF."""


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_pdf` found in one PDF."""

    pdf: Path
    """The PDF checked; for photos and scans, the first of :attr:`images`."""
    codes: list[FoundCode]
    missing: list[str]
    """Spec URLs without a decodable code, in link-number order."""
    unexpected: list[str]
    """Decoded URLs the spec does not account for, in order of appearance."""
    required: list[str] | None = None
    """The spec URLs this PDF must carry; None when verified without a spec."""
    min_size_mm: float = MIN_SIZE_MM
    min_module_mm: float = MIN_MODULE_MM
    dpi: int = 150
    photocopies: int = 0
    """Copy generations every code was put through before it had to decode."""
    images: tuple[Path, ...] = ()
    """The photos and scans checked together; empty for a PDF."""

    @property
    def too_small(self) -> list[FoundCode]:
        """Codes printed below the size a photocopy still scans, beyond measuring error."""
        slack_mm = _MEASURE_SLACK_PX * 25.4 / self.dpi
        return [
            c
            for c in self.codes
            if c.printed_mm is not None
            and c.module_mm is not None
            and (
                c.printed_mm < self.min_size_mm - slack_mm
                or c.module_mm < self.min_module_mm - slack_mm * c.module_mm / c.printed_mm
            )
        ]

    @property
    def lost(self) -> list[FoundCode]:
        """Codes that decode from the page but not after the simulated photocopies."""
        return [c for c in self.codes if c.survived is False]

    @property
    def ok(self) -> bool:
        """Every required link scans, nothing else does, and no code is too
        small or lost in copying.

        Without a spec, at least one code must be found: an empty result
        usually means the codes do not scan at all.
        """
        if self.too_small or self.lost:
            return False
        if self.required is None:
            return bool(self.codes)
        return not self.missing and not self.unexpected


def format_verify(report: VerifyReport) -> str:
    """A table of the codes found, what is wrong, and a verdict on the last line."""
    lines = [_title(report)]
    if report.codes:
        rows = _image_rows(report) if report.images else _pdf_rows(report)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines += [
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
    else:
        lines.append("  no QR codes found")
    where = (
        "the PDF" if not report.images else "the images" if len(report.images) > 1 else "the image"
    )
    after = f" after {copies_in_words(report.photocopies)}" if report.photocopies else ""
    for url in report.missing:
        lines.append(f"  missing: {url} (in the spec, but no code in {where} scans to it{after})")
    for url in report.unexpected:
        lines.append(f"  unexpected: {url} ({_places(report, url)}; not a link of the spec)")
    for c in report.too_small:
        lines.append(
            f"  too small: the code on page {c.page} for {c.url} is {c.printed_mm:.1f} mm"
            f" with {c.module_mm:.2f} mm modules; at least {report.min_size_mm:g} mm and"
            f" {report.min_module_mm:g} mm scan from a photocopy of a photocopy"
        )
    for c in report.lost:
        lines.append(
            f"  lost in copying: the code on page {c.page} for {c.url} ({c.module_mm:.2f} mm"
            f" modules) does not scan after {copies_in_words(report.photocopies)}; print it"
            " with bigger modules (qr_module_mm: 0.8 in the spec) or a shorter link"
            " (short_links in the spec), which makes fewer, bigger modules"
        )
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


def copies_in_words(photocopies: int) -> str:
    """``one photocopy``, ``two photocopies``…: how messages name a number of copies."""
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    noun = "photocopy" if photocopies == 1 else "photocopies"
    return f"{words.get(photocopies, str(photocopies))} {noun}"


def _title(report: VerifyReport) -> str:
    if len(report.images) > 1:
        return f"{len(report.images)} images, checked together:"
    return f"{report.pdf}:"


def _pdf_rows(report: VerifyReport) -> list[list[str]]:
    small = {id(c) for c in report.too_small}
    n = report.photocopies
    copied = [f"after {n} cop{'y' if n == 1 else 'ies'}"] if n else []
    rows = [["page", "size", "module", "in spec", *copied, "URL"]]
    for c in report.codes:
        flag = "" if c.in_spec is None else ("yes" if c.in_spec else "NO")
        size = f"{c.printed_mm or 0:.1f} mm" + (" !" if id(c) in small else "")
        survived = ["scans" if c.survived else "LOST"] if n else []
        rows.append([str(c.page), size, f"{c.module_mm or 0:.2f} mm", flag, *survived, c.url])
    return rows


def _image_rows(report: VerifyReport) -> list[list[str]]:
    several = len(report.images) > 1
    rows = [[*(["file"] if several else []), "in spec", "URL"]]
    for c in report.codes:
        flag = "" if c.in_spec is None else ("yes" if c.in_spec else "NO")
        rows.append([*([str(c.file)] if several else []), flag, c.url])
    return rows


def _places(report: VerifyReport, url: str) -> str:
    """Where ``url``'s codes are: pages of the PDF, or the images that show it."""
    if report.images:
        files = list(dict.fromkeys(str(c.file) for c in report.codes if c.url == url))
        return ", ".join(files) if len(report.images) > 1 else "in the image"
    pages = sorted({c.page for c in report.codes if c.url == url})
    return "page " + ", ".join(str(p) for p in pages)


def _verdict(report: VerifyReport) -> str:
    n = len(report.codes)
    codes = f"{n} code{'' if n == 1 else 's'}"
    if report.ok:
        if report.photocopies:
            codes += f" {'scans' if n == 1 else 'scan'} after {copies_in_words(report.photocopies)}"
        if report.required is None:
            if report.images:
                return f"OK: {codes} read (no spec given, so nothing to compare them with)"
            checked = "sizes and copies were" if report.photocopies else "sizes were"
            return f"OK: {codes} (no spec given, so only {checked} checked)"
        k = len(report.required)
        found = "the spec link found" if k == 1 else f"all {k} spec links found"
        return f"OK: {codes}, {found}"
    problems: list[str] = []
    if report.required is None and not report.codes:
        problems.append("no QR code could be read")
    if report.missing:
        total = len(report.required or [])
        problems.append(
            f"{len(report.missing)} of {total} spec link{'' if total == 1 else 's'} not found"
        )
    if report.unexpected:
        k = len(report.unexpected)
        problems.append(f"{k} code{'' if k == 1 else 's'} not in the spec")
    if report.too_small:
        k = len(report.too_small)
        problems.append(f"{k} code{'' if k == 1 else 's'} too small")
    if report.lost:
        k = len(report.lost)
        problems.append(
            f"{k} code{'' if k == 1 else 's'} did not survive {copies_in_words(report.photocopies)}"
        )
    return f"FAILED: {codes}; " + "; ".join(problems)
