"""A photocopy of a photocopy, simulated: what a volunteer's phone sees on paper.

Packets are printed, then copied, and the copies copied again; volunteers scan
the last copy with an ordinary phone. ``photocopy(page, generations=2)`` turns
a page rendered at print resolution into what such a phone reads: each copy
is laid a little crooked on the glass (skew, scale), loses sharpness (blur),
gains toner grain (noise) and comes out black and white (threshold); the last
copy is then captured at phone resolution and JPEG-compressed.

The steps are those of the simulation in the issue "QR codes that survive a
photocopy of a photocopy"; the blur is calibrated so that the model loses
what the trainers' copies of copies lost (codes with 0.5 and 0.6 mm modules)
and keeps what they kept (0.7 mm and up). ``benchmarks/photocopy_table.py``
measures what it does to codes of every size; the README has the table.

Only Pillow is used (no numpy): each step is one C-level image operation, so a
Letter page at 300 dpi (2550 x 3300 pixels) takes about half a second per
generation on one core. Randomness comes from :class:`random.Random` seeded
with the seed and the generation number, so a seed always gives the same
copy, and the first two copies of a three-copy chain are a two-copy chain.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator

from PIL import Image, ImageChops, ImageFilter

__all__ = [
    "BLUR_MM",
    "GRAIN",
    "JPEG_QUALITY",
    "MAX_SCALE_JITTER",
    "MAX_SKEW_DEGREES",
    "PRINT_DPI",
    "SCAN_DPI",
    "THRESHOLD",
    "copies",
    "photocopy",
    "scan",
]

PRINT_DPI = 300
"""Resolution pages are printed and copied at. Office printers and copiers
resolve about this much once toner has spread, whatever their nominal 600 dpi.
The image given to :func:`photocopy` must be rendered at this resolution."""

BLUR_MM = 0.22
"""Spread of one copy: the standard deviation of a Gaussian blur, 2.6 pixels
at PRINT_DPI. It stands for the copier's optics, toner scatter and a sheet
not quite flat on the glass. Calibrated: with this value the model loses 0.5
and 0.6 mm modules after two copies and keeps 0.7 mm, as the trainers' copies
did. The first guess, 1 pixel (0.085 mm), let every size through three
copies, so a check with it would have passed the packets that failed."""

GRAIN = 40
"""Largest grain, in grey levels of 255, added to each pixel before the
threshold: toner and paper texture make edges ragged. 40 moves a blurred edge
by a pixel or so, and stays far from putting specks into flat white or black
(which would take 127 levels, the distance to the threshold)."""

THRESHOLD = 128
"""Grey level from which a copy is white: copiers print toner or none. Mid-grey
keeps a straight edge where it was, so copies neither fatten nor thin dark
modules; what they lose is corners and the smallest light and dark spots."""

MAX_SKEW_DEGREES = 2.0
"""Largest turn of a sheet laid on the glass or fed by hand; more than that and
people straighten it and copy again. Drawn anew for every copy."""

MAX_SCALE_JITTER = 0.01
"""Largest change of size per copy (1 %): a copier set to 100 % is rarely
exact, and a sheet that is not flat on the glass comes out a little smaller."""

SCAN_DPI = 150
"""Resolution of the final capture: a phone held to take in a whole Letter page
resolves about 150 dpi of paper, and so does a quick scan."""

JPEG_QUALITY = 45
"""Quality of the final JPEG: phone camera frames and messaging apps compress
this hard, smearing the edges of small modules into their neighbours."""


def photocopy(image: Image.Image, generations: int = 1, *, seed: int | str = 0) -> Image.Image:
    """``image`` (a page at PRINT_DPI) copied ``generations`` times, captured at SCAN_DPI.

    With ``generations=0`` the page is only captured: the original print in a
    phone's hands. The result is a greyscale image; the same seed always
    gives the same result.
    """
    *_, last = copies(image, generations, seed=seed)
    return scan(last)


def copies(image: Image.Image, generations: int, *, seed: int | str = 0) -> Iterator[Image.Image]:
    """The page itself, then each of ``generations`` copies in turn, all at PRINT_DPI."""
    if generations < 0:
        raise ValueError(f"generations must be 0 or more, got {generations}")
    page = image if image.mode == "L" else image.convert("L")
    yield page
    for generation in range(1, generations + 1):
        page = _copy_once(page, random.Random(f"packetgen-photocopy/{seed}/{generation}"))
        yield page


def scan(page: Image.Image) -> Image.Image:
    """``page`` (at PRINT_DPI) captured at SCAN_DPI and compressed as a JPEG at JPEG_QUALITY."""
    factor = PRINT_DPI // SCAN_DPI
    # reduce() averages each factor x factor block, as a sensor pixel
    # integrates the light that falls on it.
    small = page.reduce(factor) if factor > 1 else page
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=JPEG_QUALITY)
    buffer.seek(0)
    with Image.open(buffer) as jpeg:
        return jpeg.convert("L")


_BLUR_PX = BLUR_MM * PRINT_DPI / 25.4
_GRAIN_LUT = [round(128 + (v - 127.5) * GRAIN / 127.5) for v in range(256)]
_TONER = [0 if v < THRESHOLD else 255 for v in range(256)]


def _copy_once(page: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES)
    zoom = 1 + rng.uniform(-MAX_SCALE_JITTER, MAX_SCALE_JITTER)
    placed = _place(page, math.radians(angle), zoom)
    blurred = placed.filter(ImageFilter.GaussianBlur(_BLUR_PX))
    # add() computes blurred + grain - 128 and clips: grain is centred on 128.
    grainy = ImageChops.add(blurred, _grain(placed.size, rng), scale=1.0, offset=-128)
    return grainy.point(_TONER)


def _place(image: Image.Image, angle: float, zoom: float) -> Image.Image:
    """``image`` turned by ``angle`` and scaled by ``zoom`` about its centre in one
    resampling (two would blur it twice). The canvas grows to hold every
    corner, white where the sheet was not, as the copy of a crooked sheet is."""
    width, height = image.size
    cos, sin = math.cos(angle), math.sin(angle)
    new_width = math.ceil((abs(width * cos) + abs(height * sin)) * zoom)
    new_height = math.ceil((abs(width * sin) + abs(height * cos)) * zoom)
    # Pillow wants the inverse map, from a pixel of the result to one of the
    # source: a turn by -angle and a scale by 1/zoom about both centres.
    a, b = cos / zoom, sin / zoom
    d, e = -sin / zoom, cos / zoom
    cx, cy = new_width / 2, new_height / 2
    return image.transform(
        (new_width, new_height),
        Image.Transform.AFFINE,
        (a, b, width / 2 - a * cx - b * cy, d, e, height / 2 - d * cx - e * cy),
        resample=Image.Resampling.BILINEAR,
        fillcolor=255,
    )


def _grain(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Noise centred on 128 reaching +-GRAIN: the mean of two uniform noises, so
    that small deviations are common and the largest rare, as with real grain."""
    width, height = size
    first = Image.frombytes("L", size, rng.randbytes(width * height))
    second = Image.frombytes("L", size, rng.randbytes(width * height))
    return Image.blend(first, second, 0.5).point(_GRAIN_LUT)
