"""QR codes must scan from paper, so the main test goes through the real chain.

Codes are rendered by WeasyPrint into a PDF, rasterised by PDFium at 150 dpi
(roughly a cheap scan or a phone photo of a photocopy) and decoded by
zxing-cpp, once sharp and once blurred. The other tests pin down the
conventions from DESIGN.md that the round trip alone would not catch.
"""

from __future__ import annotations

import random
import re
import string
from functools import cache

import pypdfium2 as pdfium
import pytest
import qrcode
import weasyprint
import zxingcpp
from PIL import Image, ImageFilter

from packetgen.content import qr
from packetgen.content.qr import ErrorCorrection, QRCode, make_qr, max_bytes, symbol_size
from packetgen.errors import PacketgenError, QRCapacityError

URL_40 = "https://example.org/resources/csec-2018x"
URL_100 = (
    "https://example.org/webinars/advocating-for-trafficked-youth"
    "?utm_source=packet&utm_medium=print&id=12"
)
URL_UNICODE = (
    "https://example.org/ressources/%C3%A9t%C3%A9-2024/%E5%84%BF%E7%AB%A5%E4%BF%9D%E6%8A%A4?lang=fr"
)
URL_SHORT = "https://casa.example/s/Xy7"

ROUND_TRIP: list[tuple[str, ErrorCorrection]] = [
    (URL_SHORT, "M"),
    (URL_40, "M"),
    (URL_100, "M"),
    (URL_UNICODE, "M"),
    (URL_100 + "&ec=q", "Q"),
    (URL_40 + "?ec=q", "Q"),
]

EC_LEVELS: list[ErrorCorrection] = ["L", "M", "Q", "H"]

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

_RECT = re.compile(r"[mM](-?\d+) (-?\d+)h(\d+)v(\d+)h-(\d+)z")


# --- helpers ---------------------------------------------------------------


def reference_matrix(data: str, error_correction: ErrorCorrection) -> list[list[bool]]:
    """The module matrix qrcode itself produces, quiet zone included."""
    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(version=None, error_correction=levels[error_correction], border=4)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(m) for m in row] for row in code.get_matrix()]


def path_to_matrix(path: str, modules: int) -> list[list[bool]]:
    """Paint the path's rectangles onto a grid; fails on anything that is not
    the documented ``m dx dy h w v h h -w z`` form or that overlaps or leaves
    the grid, so the path is checked exactly, not just its rendering."""
    grid = [[False] * modules for _ in range(modules)]
    assert _RECT.sub("", path) == "", "path contains commands other than rectangles"
    x = y = 0
    for match in _RECT.finditer(path):
        dx, dy, w, h, back = (int(g) for g in match.groups())
        assert w == back
        x, y = x + dx, y + dy
        for row in range(y, y + h):
            for col in range(x, x + w):
                assert 0 <= row < modules
                assert 0 <= col < modules
                assert not grid[row][col], f"module {col},{row} painted twice"
                grid[row][col] = True
    return grid


def page_html(codes: list[tuple[QRCode, str]]) -> str:
    figures = "".join(
        f'<figure style="margin: 6mm; display: inline-block">'
        f"{code.svg(title=title, element_id=f'qr-{i}')}</figure>"
        for i, (code, title) in enumerate(codes)
    )
    return (
        "<!doctype html><html><head><style>@page { size: letter; margin: 15mm }"
        "</style></head><body>" + figures + "</body></html>"
    )


def render(html: str, dpi: int = 150) -> Image.Image:
    pdf = pdfium.PdfDocument(weasyprint.HTML(string=html).write_pdf())
    try:
        assert len(pdf) == 1
        image: Image.Image = pdf[0].render(scale=dpi / 72).to_pil()
        return image
    finally:
        pdf.close()


def decode(image: Image.Image) -> set[str]:
    found = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    return {barcode.text for barcode in found}


@cache
def rendered_page() -> Image.Image:
    """One page with every round-trip code, rendered once for all tests."""
    codes = [(make_qr(url, ec), f"Link {i}") for i, (url, ec) in enumerate(ROUND_TRIP)]
    return render(page_html(codes))


# --- round trip through WeasyPrint, PDFium and zxing-cpp -------------------


def test_round_trip_sharp() -> None:
    assert decode(rendered_page()) == {url for url, _ in ROUND_TRIP}


def test_round_trip_blurred() -> None:
    blurred = rendered_page().filter(ImageFilter.GaussianBlur(1))
    assert decode(blurred) == {url for url, _ in ROUND_TRIP}


def test_round_trip_uses_requested_error_correction() -> None:
    found = zxingcpp.read_barcodes(rendered_page(), formats=QR_ONLY)
    levels = {barcode.text: barcode.ec_level for barcode in found}
    assert levels == dict(ROUND_TRIP)


def test_rendered_size_matches_size_mm() -> None:
    """A lone 22 mm code on a white page: its dark bounding box is the symbol
    without the quiet zone, so its width in pixels pins down the mm size."""
    code = make_qr(URL_40)
    dpi = 300
    image = render(page_html([(code, "x")]), dpi=dpi).convert("L")
    box = image.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    symbol_mm = code.size_mm() * (code.modules - 8) / code.modules
    width_px = box[2] - box[0]
    assert abs(width_px - symbol_mm / 25.4 * dpi) <= 2


# --- the path --------------------------------------------------------------


@pytest.mark.parametrize(("url", "ec"), ROUND_TRIP)
def test_path_paints_exactly_the_dark_modules(url: str, ec: ErrorCorrection) -> None:
    code = make_qr(url, ec)
    assert path_to_matrix(code.path, code.modules) == reference_matrix(url, ec)


def test_path_is_compact() -> None:
    assert len(URL_40) == 40
    code = make_qr(URL_40)
    assert len(code.path) < 3000
    svg = code.svg(title="Article", element_id="qr-1")
    assert svg.count("<path") == 1
    assert svg.count("<") == 6  # <svg>, <title>, </title>, <rect/>, <path/>, </svg>
    assert re.fullmatch(r"[Mmhvz0-9 -]+", code.path)


def test_path_starts_at_the_quiet_zone() -> None:
    # The top-left finder pattern's first row is 7 dark modules at (4, 4).
    assert make_qr(URL_SHORT).path.startswith("M4 4h7v1h-7z")


# --- determinism and caching -----------------------------------------------


def test_same_input_same_object() -> None:
    assert make_qr(URL_100, "Q") is make_qr(URL_100, "Q")
    assert make_qr(URL_100) is make_qr(URL_100, "M")


def test_output_is_deterministic_without_the_cache() -> None:
    from packetgen.content import qr

    first = make_qr(URL_UNICODE).svg(title="t", element_id="a")
    qr._make_qr_cached.cache_clear()
    fresh = make_qr(URL_UNICODE)
    assert fresh.svg(title="t", element_id="a") == first


def test_error_correction_changes_the_code() -> None:
    m, h = make_qr(URL_40, "M"), make_qr(URL_40, "H")
    assert (m.error_correction, h.error_correction) == ("M", "H")
    assert h.version > m.version


def test_unknown_error_correction_is_rejected() -> None:
    with pytest.raises(ValueError, match="L, M, Q, H"):
        make_qr(URL_40, "X")  # type: ignore[arg-type]


# --- geometry --------------------------------------------------------------


@pytest.mark.parametrize(("url", "ec"), ROUND_TRIP)
def test_quiet_zone_and_module_count(url: str, ec: ErrorCorrection) -> None:
    code = make_qr(url, ec)
    assert code.modules == 4 * code.version + 17 + 8
    grid = path_to_matrix(code.path, code.modules)
    n = code.modules
    for i in range(n):
        for j in [*range(4), *range(n - 4, n)]:
            assert not grid[j][i], f"row {j} not light at column {i}"
            assert not grid[i][j], f"column {j} not light at row {i}"
    # ...and the symbol itself reaches the edge of the quiet zone on every side.
    assert any(grid[4])
    assert any(grid[n - 5])
    assert any(row[4] for row in grid)
    assert any(row[n - 5] for row in grid)


@pytest.mark.parametrize(("url", "ec"), ROUND_TRIP)
def test_codes_are_sized_by_module(url: str, ec: ErrorCorrection) -> None:
    code = make_qr(url, ec)
    # Every module at 0.8 mm by default: the code grows with its content.
    assert code.size_mm() == pytest.approx(code.modules * 0.8)
    assert code.size_mm(1.0) == pytest.approx(code.modules * 1.0)


def test_higher_error_correction_grows_the_code_not_shrinks_the_modules() -> None:
    url = "https://example.org/resources/a-report-with-a-long-address.pdf"
    m, q, h = (make_qr(url, ec) for ec in ("M", "Q", "H"))
    assert m.modules < q.modules < h.modules
    assert m.size_mm() < q.size_mm() < h.size_mm()
    for code in (m, q, h):
        assert code.size_mm() / code.modules == pytest.approx(0.8)


def test_long_urls_make_large_codes() -> None:
    short = make_qr(URL_SHORT)
    long = make_qr("https://example.org/?q=" + "x" * 300)
    assert long.size_mm() > 2 * short.size_mm()


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_size_arguments_must_be_positive(bad: float) -> None:
    code = make_qr(URL_SHORT)
    with pytest.raises(ValueError, match="positive"):
        code.size_mm(bad)
    with pytest.raises(ValueError, match="positive"):
        code.svg(title="t", element_id="a", size_mm=bad)


# --- capacity --------------------------------------------------------------


@pytest.mark.parametrize(("ec", "capacity"), [("L", 2953), ("M", 2331), ("Q", 1663), ("H", 1273)])
def test_capacity_matches_the_qr_standard(ec: ErrorCorrection, capacity: int) -> None:
    assert max_bytes(ec) == capacity
    base = "https://example.org/?"
    fits = base + "x" * (capacity - len(base))
    assert make_qr(fits, ec).version == 40
    with pytest.raises(QRCapacityError):
        make_qr(fits + "x", ec)


def test_capacity_error_message() -> None:
    url = "https://example.org/?q=" + "x" * (3012 - 23)
    with pytest.raises(QRCapacityError) as info:
        make_qr(url)
    assert isinstance(info.value, PacketgenError)
    assert str(info.value) == (
        "URL is 3012 characters long, more than a QR code can hold at error correction M"
        " (about 2331 bytes); use a short link"
    )


def test_capacity_error_counts_utf8_bytes() -> None:
    url = "https://example.org/" + "é" * 1200
    with pytest.raises(QRCapacityError, match=r"1220 characters long \(2420 bytes as UTF-8\)"):
        make_qr(url)


# --- svg markup ------------------------------------------------------------


def test_svg_markup() -> None:
    code = make_qr(URL_SHORT)
    n = code.modules
    assert code.svg(title="Slides", element_id="qr-3") == (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"'
        f' width="{n * 0.8:g}mm" height="{n * 0.8:g}mm" role="img" aria-labelledby="qr-3-t" id="qr-3"'
        ' shape-rendering="crispEdges"><title id="qr-3-t">Slides</title>'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{code.path}"/></svg>'
    )


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "26.4"), (25.0, "25"), (24.5, "24.5"), (30.25, "30.25"), (1 / 3 * 100, "33.33")],
)
def test_svg_size_formatting(size: float | None, text: str) -> None:
    svg = make_qr(URL_SHORT).svg(title="t", element_id="a", size_mm=size)
    assert f'width="{text}mm" height="{text}mm"' in svg


def test_svg_title_is_escaped() -> None:
    title = """<script>alert("x")</script> & 'quoted'\x00\x1b"""
    svg = make_qr(URL_SHORT).svg(title=title, element_id="a")
    text = svg.split('<title id="a-t">', 1)[1].split("</title>", 1)[0]
    assert text == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;"
    assert "<script" not in svg


@pytest.mark.parametrize(
    "element_id", ["", "1qr", "-qr", "qr 1", 'qr"x', "qr\n", "qr.1", "qr:1", "é"]
)
def test_svg_rejects_bad_element_ids(element_id: str) -> None:
    with pytest.raises(ValueError, match="element id"):
        make_qr(URL_SHORT).svg(title="t", element_id=element_id)


@pytest.mark.parametrize("element_id", ["q", "qr-1", "QR_item_2-b"])
def test_svg_accepts_good_element_ids(element_id: str) -> None:
    svg = make_qr(URL_SHORT).svg(title="t", element_id=element_id)
    assert f'id="{element_id}"' in svg
    assert f'aria-labelledby="{element_id}-t"' in svg


def test_symbol_size_is_the_size_qrcode_draws() -> None:
    """symbol_size counts bits instead of writing them: it must pick qrcode's version."""
    rng = random.Random(7)
    alphabets = [
        string.digits,
        string.ascii_uppercase + string.digits + " $%*+-./:",
        string.ascii_letters + string.digits + "/:.-_?=&#",
        "é漢字abc123",
    ]
    for _ in range(150):
        alphabet = rng.choice(alphabets)
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3000)))
        for level in ("L", "H"):
            code = qrcode.QRCode(
                version=None, error_correction=qr._EC_LEVELS[level], border=qr.QUIET_ZONE
            )
            code.add_data(data)
            try:
                expected: int | None = int(code.best_fit())
            except (ValueError, qrcode.exceptions.DataOverflowError):
                expected = None
            try:
                version: int | None = symbol_size(data, level)[0]
            except QRCapacityError:
                version = None
            assert version == expected, (data[:40], level)


def test_codes_are_the_ones_qrcode_draws() -> None:
    """make_qr scores the eight masks on rows of bits instead of letting qrcode draw
    the symbol eight times: the mask it picks, and so every module, must be qrcode's."""
    rng = random.Random(11)
    alphabets = [
        string.digits,
        string.ascii_letters + string.digits + "/:.-_?=&#",
        "é漢字abc123",
    ]
    for _ in range(60):
        alphabet = rng.choice(alphabets)
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        level: ErrorCorrection = rng.choice(["L", "M", "Q", "H"])
        code = qrcode.QRCode(
            version=None, error_correction=qr._EC_LEVELS[level], border=qr.QUIET_ZONE
        )
        code.add_data(data)
        code.make(fit=True)
        expected = [[bool(m) for m in row] for row in code.get_matrix()]
        qr._make_qr_cached.cache_clear()
        ours = make_qr(data, level)
        assert ours.version == code.version
        assert ours.rects == tuple((x, y, w, h) for y, x, w, h in qr._rects(expected)), data
