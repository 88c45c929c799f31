"""The certificate's signature image, as a ``data:`` URL: a PNG or JPEG whose size
and declared pixels are checked before a byte of it is decoded.

Certificates and the facilitator's kit print it; ``packetgen check`` reads it
as they do.
"""

from __future__ import annotations

import base64
import io
import os
import stat
import warnings
from pathlib import Path

from PIL import Image

from packetgen.errors import CertificateError
from packetgen.spec.models import InService, Packet

__all__ = ["MAX_SIGNATURE_BYTES", "MAX_SIGNATURE_PIXELS", "signature_data_url", "signature_url"]

MAX_SIGNATURE_BYTES = 5 * 1024 * 1024
"""The signature image: a scan or photo of a signature is tens of KB."""
MAX_SIGNATURE_PIXELS = 25_000_000
"""Pixels of the signature image as its header declares them (a 12 MP phone photo fits)."""

_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def signature_url(packet: Packet, inservice: InService) -> str | None:
    """The in-service's signature image as a ``data:`` URL, or None without one."""
    if inservice.certificate is None or not inservice.certificate.signature:
        return None
    return signature_data_url(packet, inservice.certificate.signature)


def signature_data_url(packet: Packet, relative: str) -> str:
    """The signature image as a ``data:`` URL, its size and pixels checked before use.

    The size is taken from the open file before a byte is read, and the
    pixels from the picture's header before it is decoded (WeasyPrint decodes
    it later), so a huge or sparse file is refused without being loaded.
    """
    shown = str(packet.folder / relative)
    data = _read_signature(packet.folder / relative, shown)
    mime = next((m for magic, m in _MIME.items() if data.startswith(magic)), None)
    if mime is None:  # the loader checks this too, but the file may have changed since
        raise CertificateError(f"{shown}: expected a PNG or JPEG signature image")
    resize = "resize it (600 pixels wide is plenty) and try again"
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a large picture; here it is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads the header only; nothing is decoded here.
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CertificateError(
            f"{shown}: the signature image declares more than {MAX_SIGNATURE_PIXELS:,} pixels,"
            f" the limit; {resize}"
        ) from None
    except (OSError, SyntaxError, ValueError):
        # Pillow's reason names its own objects (<_io.BytesIO object at 0x…>), not the file.
        raise CertificateError(
            f"{shown}: the signature image is damaged and cannot be read; open it in an image"
            " editor and save it again as PNG or JPEG"
        ) from None
    if width * height > MAX_SIGNATURE_PIXELS:
        raise CertificateError(
            f"{shown}: the signature image is {width:,} x {height:,} pixels, more than the limit"
            f" of {MAX_SIGNATURE_PIXELS:,}; {resize}"
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _read_signature(path: Path, shown: str) -> bytes:
    too_big = (
        f"{shown}: the signature image is {{size}} bytes, more than the limit of"
        f" {MAX_SIGNATURE_BYTES // (1024 * 1024)} MiB; save a smaller picture (a signature needs"
        " only tens of KB)"
    )
    # O_NONBLOCK: a FIFO put in the file's place must not hang the run.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise CertificateError(
            f"{shown}: cannot read the signature image: {exc.strerror}"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CertificateError(f"{shown}: the signature image is not a regular file")
        if info.st_size > MAX_SIGNATURE_BYTES:
            raise CertificateError(too_big.format(size=f"{info.st_size:,}"))
        try:
            data = handle.read(MAX_SIGNATURE_BYTES + 1)
        except OSError as exc:
            raise CertificateError(
                f"{shown}: cannot read the signature image: {exc.strerror}"
            ) from None
    if len(data) > MAX_SIGNATURE_BYTES:  # it grew after the check
        raise CertificateError(too_big.format(size=f"more than {MAX_SIGNATURE_BYTES:,}"))
    return data
