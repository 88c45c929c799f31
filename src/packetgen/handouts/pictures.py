"""A photo or screenshot (PNG or JPEG) made into a one-page PDF, deterministically.

The picture becomes the whole page, fitted to the paper turned its way; an
upright JPEG is embedded as it is, other pictures are flattened onto white
paper (JPEG for photos, lossless for screenshots). Decompression bombs and
truncated files are refused with a message a trainer can act on.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib

from PIL import Image, ImageFile, ImageOps

from packetgen.errors import HandoutError
from packetgen.handouts.pdfs import error_details

__all__ = ["picture_to_pdf"]

_IMAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)

_EXIF_ORIENTATION = 0x0112


def _bomb(file: str, item: str, detail: str) -> HandoutError:
    return HandoutError(
        file,
        f"the picture is too large to place safely ({detail}); "
        "resize it (for example to 3000 pixels on the long side) and try again",
        item=item,
    )


def _flatten(img: Image.Image) -> Image.Image:
    """Return an RGB or L image; transparent areas become white paper."""
    grey = img.mode in ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")
    has_alpha = img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        paper.alpha_composite(rgba)
        return paper.convert("L" if grey else "RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # Wide greyscale samples do not convert to 8 bits by clipping sensibly.
        return img.point(lambda value: value / 256).convert("L")
    return img.convert("L" if grey else "RGB")


def _page_size(width: int, height: int, paper: tuple[float, float]) -> tuple[float, float]:
    # The picture becomes the whole page: fit it to the paper turned the same
    # way as the picture, so its aspect ratio is kept exactly.
    short, long = sorted(paper)
    box_w, box_h = (long, short) if width > height else (short, long)
    scale = min(box_w / width, box_h / height)
    return round(width * scale, 3), round(height * scale, 3)


def _number(value: float) -> bytes:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text.encode("ascii")


def _image_pdf(
    *,
    width: int,
    height: int,
    colour_space: str,
    filter_name: str,
    image_data: bytes,
    page_size: tuple[float, float],
) -> bytes:
    """Write a one-page PDF showing one image; nothing in it depends on time or chance."""
    page_w, page_h = (_number(v) for v in page_size)
    content = b"q " + page_w + b" 0 0 " + page_h + b" 0 0 cm /Im0 Do Q\n"
    image_dict = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s "
        b"/BitsPerComponent 8 /Filter /%s /Length %d >>"
        % (width, height, colour_space.encode(), filter_name.encode(), len(image_data))
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 "
        + page_w
        + b" "
        + page_h
        + b"] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        image_dict + b"\nstream\n" + image_data + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def load_whole(img: Image.Image) -> None:
    """Load ``img``'s pixels, refusing a file that is cut off.

    WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES`` globally on import,
    which would let a half-downloaded photo through as a grey-bottomed page;
    a handout (or a photo to verify) must load completely.
    """
    truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        img.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok


def picture_to_pdf(
    data: bytes,
    kind: str,
    *,
    file: str,
    item: str,
    paper: tuple[float, float],
    max_image_pixels: int,
) -> bytes:
    fmt = "PNG" if kind == "png" else "JPEG"
    try:
        # Pillow's own bomb check only warns below twice its global limit; make
        # it an error here, scoped to this block, instead of changing the global.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # A corrupt EXIF block only means the orientation is unknown; the
            # picture is still placed, as stored.
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                if width < 1 or height < 1:
                    raise ValueError(f"the picture is {width} x {height} pixels")
                if width * height > max_image_pixels:
                    raise _bomb(
                        file,
                        item,
                        f"{width} x {height} pixels, more than the limit of "
                        f"{max_image_pixels:,} pixels",
                    )
                load_whole(img)
                orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
                upright = ImageOps.exif_transpose(img)
                mode = img.mode
        if fmt == "JPEG" and orientation in (None, 1) and mode in ("L", "RGB"):
            # An upright JPEG goes in as it is: PDF can show JPEG data directly,
            # so the photo is not compressed a second time.
            width, height = upright.size
            colour_space = "DeviceGray" if mode == "L" else "DeviceRGB"
            return _image_pdf(
                width=width,
                height=height,
                colour_space=colour_space,
                filter_name="DCTDecode",
                image_data=data,
                page_size=_page_size(width, height, paper),
            )
        flat = _flatten(upright)
        width, height = flat.size
        colour_space = "DeviceGray" if flat.mode == "L" else "DeviceRGB"
        if fmt == "JPEG":
            # Photos stay JPEG (a lossless copy would be many times larger); the
            # encoder is deterministic for fixed settings.
            buffer = io.BytesIO()
            flat.save(buffer, format="JPEG", quality=92, optimize=False, progressive=False)
            encoded, filter_name = buffer.getvalue(), "DCTDecode"
        else:
            # Screenshots hold text, which JPEG would blur: keep them lossless.
            encoded, filter_name = zlib.compress(flat.tobytes(), 6), "FlateDecode"
        return _image_pdf(
            width=width,
            height=height,
            colour_space=colour_space,
            filter_name=filter_name,
            image_data=encoded,
            page_size=_page_size(width, height, paper),
        )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses before the size can be read back; its message has the count.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        detail = (
            f"{int(found.group(1)):,} pixels, more than the limit of {max_image_pixels:,} pixels"
            if found
            else error_details(exc)
        )
        raise _bomb(file, item, detail) from exc
    except _IMAGE_ERRORS as exc:
        raise HandoutError(
            file,
            f"the {kind.upper()} picture is damaged or incomplete, so it cannot be read; "
            f"save or export it again (details: {error_details(exc)})",
            item=item,
        ) from exc
