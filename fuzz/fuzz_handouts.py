"""atheris harness for packetgen.handouts.reading.open_handout (run by hand: `make fuzz`).

Every input is written to a file and opened as a handout; a HandoutError is
the expected way to fail. Anything else escaping — an exception of another
type, a hang past libFuzzer's -timeout, memory past -rss_limit_mb — is a bug:
libFuzzer saves the input as crash-*/timeout-*/oom-* in the current folder.
Turn each into a regression case in tests/robustness/test_fuzz_regressions.py.

    python fuzz/fuzz_handouts.py --seeds fuzz/corpus       # write the seed corpus
    python fuzz/fuzz_handouts.py fuzz/corpus -max_total_time=300 -timeout=20 -rss_limit_mb=2048

Not part of CI: it needs atheris (`pip install atheris`), which `make fuzz` installs.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["pypdf", "packetgen"]):
    from packetgen.errors import HandoutError
    from packetgen.handouts.reading import open_handout

ROOT = Path(__file__).resolve().parents[1]
_WORK = Path(tempfile.mkdtemp(prefix="packetgen-fuzz-"))
# The first byte of an input picks the file name (the content decides the kind,
# except for office documents, which are left out: LibreOffice is too slow to fuzz).
_NAMES = ("handout.pdf", "handout.png", "handout.jpg", "handout")


def one_input(data: bytes) -> None:
    if not data:
        return
    path = _WORK / _NAMES[data[0] % len(_NAMES)]
    path.write_bytes(data[1:])
    selection = (None, "1", "1-2", "2-", "1,1")[data[0] // len(_NAMES) % 5]
    try:
        opened = open_handout(
            path,
            item="Fuzz",
            pages=selection,
            password="casa2026" if data[0] & 0x80 else None,
            max_bytes=8 * 1024 * 1024,
            max_pages=200,
            max_image_pixels=4_000_000,
        )
    except HandoutError:
        return
    # What the binder reads next must work too.
    for page in opened.pages:
        _ = page.mediabox, page.rotation
    assert len(opened.pages) == len(opened.source_page_numbers)


def write_seeds(folder: Path) -> None:
    """Seeds: the generated broken PDFs, the handout corpus in tests/corpus, small pictures."""
    sys.path.insert(0, str(ROOT / "tests" / "robustness"))
    from make_broken_pdfs import CASES
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        if name == "flate-bomb":
            continue  # 2 MB: too big a seed to mutate usefully
        (folder / f"{name}.seed").write_bytes(b"\x00" + make())
    corpus = ROOT / "tests" / "corpus"
    if corpus.is_dir():
        for path in sorted(corpus.iterdir()):
            data = path.read_bytes()
            if len(data) <= 1024 * 1024 and path.suffix in (".pdf", ".png", ".jpg"):
                kind = {".pdf": 0, ".png": 1, ".jpg": 2}[path.suffix]
                (folder / f"corpus-{path.name}.seed").write_bytes(bytes([kind]) + data)
    for kind, fmt, mode in ((1, "PNG", "RGBA"), (2, "JPEG", "RGB"), (1, "PNG", "P")):
        buffer = io.BytesIO()
        Image.new(mode, (7, 5)).save(buffer, format=fmt)
        (folder / f"tiny-{fmt}-{mode}.seed").write_bytes(bytes([kind]) + buffer.getvalue())
    print(f"wrote {len(os.listdir(folder))} seeds to {folder}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        write_seeds(Path(sys.argv[2]))
        return
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
