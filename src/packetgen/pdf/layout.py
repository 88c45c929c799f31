"""pdf: HTML → laid-out pages → PDF bytes, through WeasyPrint.

Layout and writing are separate steps because the binder needs the layout
(where each placeholder landed, the bookmark tree) before it draws handouts.
"""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packetgen.errors import BuildError

__all__ = ["NO_MARGIN_BOXES", "Layout", "layout_html"]

PDF_VARIANT = "pdf/ua-1"
ARCHIVAL_VARIANT = "pdf/a-2b"
"""With ``archival``: WeasyPrint's PDF/A-2b (output intent, printable links, XMP),
tagged as for PDF/UA-1, whose identification is added to the XMP (``_archival_xmp``)."""

# Margin boxes are switched off: packetgen's documents get their running
# header and footer as stamps after layout (see ``_stamps``).
NO_MARGIN_BOXES = "\n".join(
    f"@page {{ @{box} {{ content: none !important }} }}"
    for box in (
        "top-left",
        "top-center",
        "top-right",
        "bottom-left",
        "bottom-center",
        "bottom-right",
    )
)


@dataclass
class Layout:
    """A laid-out WeasyPrint document."""

    document: Any

    @property
    def page_count(self) -> int:
        return len(self.document.pages)

    def anchor_pages(self) -> dict[str, tuple[int, float, float]]:
        """Every element id → (0-based page index, x, y in CSS px from the top left)."""
        found: dict[str, tuple[int, float, float]] = {}
        for index, page in enumerate(self.document.pages):
            for name, (x, y, *_rest) in page.anchors.items():
                found.setdefault(name, (index, x, y))
        return found

    def anchor_rects(self) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
        """Every element id → (0-based page index, (x1, y1, x2, y2) in CSS px)."""
        found: dict[str, tuple[int, tuple[float, float, float, float]]] = {}
        for index, page in enumerate(self.document.pages):
            for name, box in page.anchors.items():
                found.setdefault(name, (index, tuple(box)))
        return found

    def write(self, *, identifier: bytes, tagged: bool = True, archival: bool = False) -> bytes:
        """The PDF: tagged PDF/UA-1, or untagged (stamps); with ``archival`` also PDF/A-2b."""
        options: dict[str, Any] = {"pdf_identifier": identifier}
        if archival:
            options["pdf_variant"] = ARCHIVAL_VARIANT
            options["pdf_tags"] = tagged
        elif tagged:
            options["pdf_variant"] = PDF_VARIANT
        metadata = self.document.metadata
        if archival and tagged:
            self.document.metadata = _archival_xmp(metadata)
        try:
            data = self.document.write_pdf(**options)
        finally:
            self.document.metadata = metadata
        assert isinstance(data, bytes)
        return data


def _archival_xmp(metadata: Any) -> Any:
    """A copy of WeasyPrint's document metadata whose XMP declares PDF/UA-1 beside
    PDF/A-2b: WeasyPrint writes one identification per variant, and a file that is
    both must say both (with the extension schema PDF/A wants for ``pdfuaid``)."""
    import copy
    from xml.etree.ElementTree import SubElement, fromstring, register_namespace, tostring

    from packetgen.pdf.metadata import PDFUA_EXTENSION, XMP_EXTENSION_NAMESPACES

    for prefix, uri in XMP_EXTENSION_NAMESPACES.items():
        # The prefixes PDF/A names for its extension schemas, not ElementTree's ns0…
        register_namespace(prefix, uri)

    class ArchivalXmp(type(metadata)):  # type: ignore[misc]  # WeasyPrint is untyped
        def generate_rdf_metadata(self, variant: str, version: int, conformance: Any) -> bytes:
            rdf = super().generate_rdf_metadata(variant, version, conformance)
            assert isinstance(rdf, bytes)
            ns = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
            tree = fromstring(rdf)
            identification = SubElement(tree, f"{{{ns}}}Description")
            identification.set(f"{{{ns}}}about", "")
            SubElement(identification, "{http://www.aiim.org/pdfua/ns/id/}part").text = "1"
            tree.append(fromstring(PDFUA_EXTENSION))
            return bytes(tostring(tree))

    archival = copy.copy(metadata)
    archival.__class__ = ArchivalXmp
    return archival


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@functools.cache
def _font_config() -> Any:
    """One font configuration per process, shared by every layout.

    WeasyPrint unpacks each ``@font-face`` font (the bundled fonts are woff2)
    and registers it with fontconfig once per configuration: a fresh one per
    document spent a quarter of a build unpacking the same eight fonts again.
    Fonts are keyed by their descriptors, so different themes' fonts coexist.
    """
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    atexit.register(_remove_unpacked_fonts, config)
    return config


def _remove_unpacked_fonts(config: Any) -> None:
    """Remove the folder of unpacked fonts at exit, while ``shutil`` still exists:
    WeasyPrint's own clean-up runs too late at interpreter exit, fails, and leaves
    the folder in the temporary directory."""
    folder = getattr(config, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        config._folder = None


@functools.lru_cache(maxsize=16)
def _stylesheet(css: str) -> Any:
    """A stylesheet parsed once per process (a theme's is about 150 KB with its fonts).

    Theme stylesheets hold no URLs but ``data:`` ones (``themes`` inlines the
    rest or refuses them), so the fetcher allows no file at all.
    """
    import weasyprint

    from packetgen.pdf.fetcher import PacketFetcher

    return weasyprint.CSS(string=css, url_fetcher=PacketFetcher(()), font_config=_font_config())


def layout_html(
    html: str,
    *,
    base: Path,
    roots: tuple[Path, ...],
    what: str,
    stylesheets: Sequence[str] = (),
) -> Layout:
    """Lay out ``html``; fail when any resource was refused or could not be loaded.

    ``base`` is where relative URLs resolve (the packet folder); ``roots`` are
    the folders resources may come from. ``what`` names the document in errors.
    ``stylesheets`` (a theme's print stylesheet) are parsed once per process
    and come before the document's own ``<style>``, which can override them.
    """
    # Imported here: loading WeasyPrint costs half a second, which a build whose
    # outputs all come from the cache should not pay.
    import weasyprint

    from packetgen.pdf.fetcher import PacketFetcher

    fetcher = PacketFetcher(roots)
    collector = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        sheets = [_stylesheet(css) for css in stylesheets]
        document = weasyprint.HTML(
            string=html, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher
        ).render(font_config=_font_config(), stylesheets=sheets)
    except OSError as exc:
        # WeasyPrint writes font files to the temporary folder: a full disk ends here.
        raise BuildError(f"{what}: cannot lay out the pages: {exc.strerror or exc}") from None
    except (ValueError, TypeError, AssertionError, RecursionError) as exc:
        raise BuildError(f"{what}: WeasyPrint could not lay out the pages: {exc}") from None
    finally:
        logger.removeHandler(collector)
    if fetcher.refused:
        raise BuildError(f"{what}: refused to load " + "; ".join(dict.fromkeys(fetcher.refused)))
    failed = [m for m in collector.messages if "Failed to load" in m or "Error fetching" in m]
    if failed:
        raise BuildError(f"{what}: " + "; ".join(failed))
    return Layout(document)
