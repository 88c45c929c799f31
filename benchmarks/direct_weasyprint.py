"""The baseline of ``render_overhead``: WeasyPrint called directly, in a fresh process.

    python direct_weasyprint.py PAGE.html BASE_URL OUT.pdf [--variant V] [--stylesheet F ...]

PAGE.html is the print HTML packetgen produced for one in-service, and each
``--stylesheet`` a user stylesheet packetgen hands WeasyPrint with it (the
theme's print CSS), both written by run.py with packetgen's own functions;
nothing else of packetgen is imported. The PDF is written tagged, as packetgen
writes its own (``pdf_variant`` V, default ``pdf/ua-1``; run.py passes
``packetgen.pdf.layout.PDF_VARIANT``), so the baseline pays for the structure tree as
packetgen does. One font configuration serves the stylesheets and the
document, as WeasyPrint's documentation has it for ``@font-face`` rules.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration

DEFAULT_VARIANT = "pdf/ua-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("base_url")
    parser.add_argument("target", type=Path)
    parser.add_argument("--variant", default=DEFAULT_VARIANT)
    parser.add_argument("--stylesheet", type=Path, action="append", default=[])
    args = parser.parse_args()
    fonts = FontConfiguration()
    sheets = [
        weasyprint.CSS(string=path.read_text(encoding="utf-8"), font_config=fonts)
        for path in args.stylesheet
    ]
    html = args.html.read_text(encoding="utf-8")
    weasyprint.HTML(string=html, base_url=args.base_url).write_pdf(
        args.target, stylesheets=sheets, font_config=fonts, pdf_variant=args.variant
    )


if __name__ == "__main__":
    main()
