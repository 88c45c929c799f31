"""The baseline of ``render_overhead``: WeasyPrint called directly, in a fresh process.

    python direct_weasyprint.py PAGE.html BASE_URL OUT.pdf

PAGE.html is the print HTML packetgen produced for one in-service (written by
run.py with packetgen's own functions); nothing else of packetgen is imported.
"""

import sys
from pathlib import Path

import weasyprint


def main() -> None:
    html_path, base_url, target = sys.argv[1:4]
    html = Path(html_path).read_text(encoding="utf-8")
    weasyprint.HTML(string=html, base_url=base_url).write_pdf(target)


if __name__ == "__main__":
    main()
