"""Office documents through a real LibreOffice: tagged output, fonts that keep the lines.

The deck is the corpus's csec-deck.pptx (Calibri, from PowerPoint's default
theme); its presenter's own export is csec-deck.pdf. A title that wraps onto
one more line than intended covers the first bullet, which is what a
substituted font of other widths does, so the checks measure the lines.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest

from packetgen.handouts._office_fonts import embedded_fonts, named_fonts
from packetgen.handouts.open import OpenedHandout, open_handout

from ..conftest import CORPUS, ExampleBuild

UNTAGGED = "is not tagged"
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed (make office-deps)"
)


def _installed(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return any(family in line.split(",") for line in listed.splitlines())


needs_carlito = pytest.mark.skipif(
    not _installed("Carlito"), reason="the Carlito font is not installed (make system-deps)"
)


def _open(path: Path) -> OpenedHandout:
    return open_handout(path, item="Slides")


@dataclass
class _Slide:
    title: list[float]
    """Baselines of the title's lines (the slide's largest text), top first."""
    title_size: float
    first_body: float
    """Baseline of the first line of other text."""
    body_size: float

    def title_clears_body(self) -> bool:
        # Descenders reach about a quarter of the size below the baseline,
        # capitals about three quarters above it.
        return self.title[-1] - 0.25 * self.title_size > self.first_body + 0.75 * self.body_size


def _text_runs(page: pypdf.PageObject) -> list[tuple[float, float]]:
    """(font size in points, baseline height) of every piece of text on the page."""
    runs: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            runs.append((round(size * (tm[3] or 1) * (cm[3] or 1), 1), tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return runs


def _slides(pages: list[pypdf.PageObject]) -> list[_Slide]:
    slides = []
    for page in pages:
        runs = _text_runs(page)
        title_size = max(size for size, _ in runs)
        body = [(size, y) for size, y in runs if size < title_size]
        slides.append(
            _Slide(
                title=sorted({round(y, 1) for size, y in runs if size == title_size}, reverse=True),
                title_size=title_size,
                first_body=max(y for _, y in body),
                body_size=max(size for size, _ in body),
            )
        )
    return slides


def _title_lines(pages: list[pypdf.PageObject]) -> list[int]:
    return [len(slide.title) for slide in _slides(pages)]


@needs_soffice
@pytest.mark.parametrize("name", ["faq.docx", "csec-deck.pptx"])
def test_converted_office_files_are_tagged(name: str) -> None:
    handout = _open(CORPUS / name)
    assert handout.tagged is True
    assert not any(UNTAGGED in warning for warning in handout.warnings)
    assert bool(handout.reader.trailer["/Root"]["/MarkInfo"]["/Marked"]) is True


@needs_soffice
@needs_carlito
def test_deck_keeps_its_title_lines_with_metric_compatible_fonts() -> None:
    converted = _open(CORPUS / "csec-deck.pptx")
    presenter = pypdf.PdfReader(CORPUS / "csec-deck.pdf")
    assert "Carlito" in embedded_fonts(converted.reader).values()
    assert converted.warnings == []
    ours = _title_lines(converted.pages)
    theirs = _title_lines(list(presenter.pages))
    assert len(ours) == len(theirs) == 8
    # The presenter's export was itself made with Noto Sans standing in for
    # Calibri (see its fonts), which is wider than Calibri: no title may take
    # more lines than there, and none may run into the bullets.
    assert all(mine <= presenters for mine, presenters in zip(ours, theirs, strict=True)), (
        ours,
        theirs,
    )
    assert all(slide.title_clears_body() for slide in _slides(converted.pages))
    assert all(slide.title_clears_body() for slide in _slides(list(presenter.pages)))


@needs_soffice
def test_missing_font_is_named_with_the_package_that_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine with only DejaVu fonts: what a fresh Debian or a minimal container has.
    dejavu = [p for p in ("/usr/share/fonts/truetype/dejavu",) if Path(p).is_dir()]
    if not dejavu:
        pytest.skip("the DejaVu fonts are not installed")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        + "".join(f"  <dir>{d}</dir>\n" for d in dejavu)
        + f"  <cachedir>{tmp_path / 'fc-cache'}</cachedir>\n"
        # The system's rules (aliases such as sans-serif), without its font folders.
        + '  <include ignore_missing="yes">/etc/fonts/conf.d</include>\n</fontconfig>\n'
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    # This font configuration lives in the test's folder, which the sandbox hides.
    monkeypatch.setenv("PACKETGEN_SANDBOX", "none")
    handout = _open(CORPUS / "csec-deck.pptx")
    (warning,) = [w for w in handout.warnings if "LibreOffice ran without" not in w]
    assert warning.startswith(
        "uses the font Calibri, which is not installed on this computer, so LibreOffice "
        "drew its text in DejaVu Sans, whose letters have other widths"
    )
    assert "sudo apt-get install fonts-crosextra-carlito" in warning
    assert "brew install --cask font-carlito" in warning
    # And this is why it matters: the first title now covers its first bullet.
    assert _title_lines(handout.pages)[0] == 3
    assert _slides(handout.pages)[0].title_clears_body() is False


@needs_soffice
def test_font_no_computer_has_is_reported() -> None:
    # The corpus's Word file names "Liberation Sans Unicode MS" for its heading,
    # a font that does not exist; LibreOffice draws the heading in DejaVu Sans.
    handout = _open(CORPUS / "faq.docx")
    (warning,) = handout.warnings
    assert warning.startswith("uses the font Liberation Sans Unicode MS, which is not installed")
    assert "install the font Liberation Sans Unicode MS on this computer" in warning


def test_named_fonts_of_word_powerpoint_and_opendocument_files() -> None:
    assert named_fonts((CORPUS / "csec-deck.pptx").read_bytes()) == {"calibri": "Calibri"}
    assert named_fonts((CORPUS / "faq.docx").read_bytes()) == {
        "liberationserif": "Liberation Serif",
        "liberationsansunicodems": "Liberation Sans Unicode MS",
        "liberationsans": "Liberation Sans",
        "opensymbol": "OpenSymbol",
    }
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            '<office:document-content><office:font-face-decls><style:font-face style:name="A" '
            "svg:font-family=\"'Gill Sans &amp; Co'\"/></office:font-face-decls>"
            "</office:document-content>",
        )
    assert named_fonts(odt.getvalue()) == {"gillsansco": "Gill Sans & Co"}


@pytest.mark.parametrize(
    "data", [b"", b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old .doc"]
)
def test_named_fonts_of_unreadable_files_is_empty(data: bytes) -> None:
    assert named_fonts(data) == {}


@needs_soffice
@pytest.mark.slow
def test_example_deck_converts_without_warnings(example_build: ExampleBuild) -> None:
    # The example's slides are the presenter's .pptx, converted at build time.
    warnings = example_build.result.warnings
    assert any("csec-understanding" in str(o.path) for o in example_build.result.outputs)
    assert not [w for w in warnings if "csec-deck.pptx" in w], warnings
    # The untagged PDFs the trainer was handed are still reported: the check is live.
    (untagged,) = [w for w in warnings if "not tagged for screen readers" in w]
    assert "handouts/faq.pdf" in untagged
    assert "csec-deck.pptx" not in untagged
