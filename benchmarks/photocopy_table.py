#!/usr/bin/env python3
"""How many QR codes of each module size still scan after 0-3 photocopies.

Run: `.venv/bin/python benchmarks/photocopy_table.py` (about 15 seconds on
one core; `--seeds N` for more or fewer trials). Prints a Markdown table:
module size x copy generations -> codes that decoded / codes tried.

One Letter page holds a code for every module size (0.5, 0.6, 0.7, 0.8 and
1.0 mm) and link length: a short link (29 characters, QR version 3) and a
long one (92 characters, version 6), each URL different so that every
decoded code says which one it is. The page is laid out by WeasyPrint at the
exact module size and drawn by PDFium at 300 dpi, as `packetgen verify` draws
pages; then, for every seed, it is photocopied three times with
:mod:`packetgen.tools._photocopy`, and after each copy (and before the first) it is
captured at 150 dpi as a JPEG and read with zxing-cpp the way `packetgen
verify` reads it. The README's section "Why the codes are the size they
are" shows the table this prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import weasyprint

from packetgen.content.qr import make_qr
from packetgen.tools import _photocopy
from packetgen.tools.verify import decode_image

MODULE_SIZES_MM = (0.5, 0.6, 0.7, 0.8, 1.0)
LINK_LENGTHS = (29, 92)
"""A short link (a link shortener's) and a long one (an article's address)."""
GENERATIONS = 3
DEFAULT_SEEDS = 9
"""9 seeds x 2 links = 18 codes per cell, as many as the issue measured."""


def url(length: int, module_mm: float) -> str:
    """A URL of exactly ``length`` characters, naming its module size."""
    base = f"https://example.org/{round(module_mm * 10):02d}/"
    return base + ("abcdefghijklmnopqrstuvwxyz0123456789" * 3)[: length - len(base)]


def test_page(folder: Path) -> tuple[Path, dict[str, tuple[int, float]]]:
    """A one-page PDF with every code, and each code's (link length, module size)."""
    codes: dict[str, tuple[int, float]] = {}
    figures = []
    for length in LINK_LENGTHS:
        for module_mm in MODULE_SIZES_MM:
            link = url(length, module_mm)
            qr = make_qr(link)
            svg = qr.svg(title=link, element_id=f"c{len(codes)}", size_mm=qr.modules * module_mm)
            figures.append(f'<div style="display: inline-block; margin: 4mm">{svg}</div>')
            codes[link] = (length, module_mm)
    html = (
        "<html><head><style>@page { size: letter; margin: 10mm }</style></head>"
        f"<body>{''.join(figures)}</body></html>"
    )
    pdf = folder / "codes.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    return pdf, codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="trials per code")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        pdf, codes = test_page(Path(folder))
        doc = pdfium.PdfDocument(str(pdf))
        try:
            if len(doc) != 1:
                sys.exit(f"the codes took {len(doc)} pages; they must fit on one")
            page = doc[0].render(scale=_photocopy.PRINT_DPI / 72).to_pil().convert("L")
        finally:
            doc.close()
    versions = {length: make_qr(url(length, 1.0)).version for length in LINK_LENGTHS}

    decoded: Counter[tuple[float, int]] = Counter()
    copy_seconds: list[float] = []
    for seed in range(args.seeds):
        chain = _photocopy.copies(page, GENERATIONS, seed=seed)
        for generation in range(GENERATIONS + 1):
            before = time.perf_counter()
            copy = next(chain)
            if generation:
                copy_seconds.append(time.perf_counter() - before)
            found = set(decode_image(_photocopy.scan(copy)))
            for link, (_length, module_mm) in codes.items():
                decoded[module_mm, generation] += link in found
    elapsed = time.perf_counter() - started

    tried = args.seeds * len(LINK_LENGTHS)
    header = ["module", "as printed", *(_copies(g) for g in range(1, GENERATIONS + 1))]
    print(f"{dt.date.today().isoformat()}, `.venv/bin/python benchmarks/photocopy_table.py`")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    for module_mm in MODULE_SIZES_MM:
        cells = [f"{decoded[module_mm, g]}/{tried}" for g in range(GENERATIONS + 1)]
        print(f"| {module_mm:.1f} mm | " + " | ".join(cells) + " |")
    print()
    short, long = LINK_LENGTHS
    print(
        f"Codes that decoded / codes tried: {args.seeds} seeds x 2 links ({short} characters,"
        f" QR version {versions[short]}; {long} characters, version {versions[long]})."
    )
    print(
        f"Model: {_photocopy.PRINT_DPI} dpi; per copy a blur of {_photocopy.BLUR_MM} mm, grain"
        f" of +-{_photocopy.GRAIN}, threshold at {_photocopy.THRESHOLD}, skew up to"
        f" {_photocopy.MAX_SKEW_DEGREES:g} deg, scale +-{_photocopy.MAX_SCALE_JITTER:.0%};"
        f" captured at {_photocopy.SCAN_DPI} dpi, JPEG quality {_photocopy.JPEG_QUALITY}."
    )
    mean = sum(copy_seconds) / len(copy_seconds)
    width, height = page.size
    print(
        f"One copy of the {width} x {height} page took {mean:.2f} s on average"
        f" ({min(copy_seconds):.2f}-{max(copy_seconds):.2f} s); the run {elapsed:.0f} s."
    )
    return 0


def _copies(generation: int) -> str:
    return {1: "1 copy", 2: "copy of a copy"}.get(generation, f"{generation} copies")


if __name__ == "__main__":
    sys.exit(main())
