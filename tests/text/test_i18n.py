"""Every printed word through the message catalog, and the Spanish catalog complete (issue 18)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from packetgen import SpecError, load_packet
from packetgen.build.pipeline import build, render_html
from packetgen.render.html import _environment
from packetgen.render.wording import _DEFAULT_QUESTION_MESSAGES
from packetgen.spec.models import Evaluation
from packetgen.text.i18n import LOCALE_DIR, fill, strings_for

from ..conftest import EXAMPLE, ROOT, page_texts

TEMPLATES = ROOT / "src" / "packetgen" / "render" / "templates"
POT = LOCALE_DIR / "packetgen.pot"
ES_PO = LOCALE_DIR / "es" / "LC_MESSAGES" / "packetgen.po"

_HOLE = "\x00"
"""Stands for a {{ … }} or {% … %} outside a {% trans %} block in the joined template text."""
_PROSE_ATTRIBUTES = re.compile(r'\b(?:aria-label|alt|title|placeholder)="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
_PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")

UNTRANSLATED_ALLOWED: dict[str, str] = {
    # text as it remains after tags are stripped → why it is not prose
}
"""Literal text the templates may print outside the catalog, each with its reason."""


def _untranslated(source: str) -> list[str]:
    """Words a template prints that do not pass through gettext."""
    env = _environment(())
    # lex() keeps the whitespace inside {{ }} and {% %} as tokens of its own.
    tokens = [t for t in env.lex(env.preprocess(source)) if t[1] != "whitespace"]
    pieces: list[str] = []
    found: list[str] = []
    in_trans = False
    previous: list[tuple[str, str]] = []
    for k, (_line, kind, value) in enumerate(tokens):
        if kind == "name" and k and tokens[k - 1][1] == "block_begin":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "data":
            if not in_trans:
                pieces.append(value)
        else:
            if not pieces or pieces[-1] != _HOLE:
                pieces.append(_HOLE)
            called = [v for _kind, v in previous[-2:]]
            if (
                kind == "string"
                # Prose has spaces; names ("base.html.j2", "wide") have none.
                and re.search(r"[A-Za-z].*\s.*[A-Za-z]", value)
                and not in_trans
                and called not in (["_", "("], ["gettext", "("], ["ngettext", "("])
            ):
                found.append(value)
        previous.append((kind, str(value)))
    text = "".join(pieces)
    for value in _PROSE_ATTRIBUTES.findall(text):
        if re.search(r"[A-Za-z]", value.replace(_HOLE, "")):
            found.append(value)
    for rest in _TAG.sub(_HOLE, text).split(_HOLE):
        words = re.sub(r"&\w+;", " ", rest).strip()
        if re.search(r"[A-Za-z]", words) and words not in UNTRANSLATED_ALLOWED:
            found.append(words)
    return found


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_templates_print_no_untranslated_words(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    assert _untranslated(source) == []


def test_the_template_check_finds_literal_words() -> None:
    source = (
        '<h2>Contents</h2><p aria-label="Content advisory">{{ _("Fine") }}</p>'
        '{{ link("Links in this packet") }}{% trans n=1 %}Link {{ n }}{% endtrans %}'
        '<div class="x {% if a %}wide{% endif %}">#</div>'
    )
    assert _untranslated(source) == ['"Links in this packet"', "Content advisory", "Contents"]


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _forms(value: object) -> tuple[str, ...]:
    """A catalog entry's id or string as a tuple (a plural entry has several)."""
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else (str(value),)


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def test_the_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    """`make catalog` was run: the committed .pot has every marked text, and no other."""
    out = tmp_path / "packetgen.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(out), "src/packetgen"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    fresh = {m.id for m in _catalog(out) if m.id}
    committed = {m.id for m in _catalog(POT) if m.id}
    assert fresh == committed, "run `make catalog`"


def test_spanish_translates_every_message_with_its_placeholders() -> None:
    spanish = _catalog(ES_PO, "es")
    missing, broken = [], []
    for message in _catalog(POT):
        if not message.id:
            continue
        entry = spanish.get(message.id)
        if entry is None or entry.fuzzy or not entry.string:
            missing.append(message.id)
            continue
        ids = _forms(message.id)
        strings = _forms(entry.string)
        if not all(strings):
            missing.append(message.id)
        # Each form keeps the placeholders of its English; the singular may
        # spell out "one" instead of {count} in some languages, not in Spanish.
        for k, text in enumerate(strings):
            english = ids[min(k, len(ids) - 1)]
            if not _placeholders(english) <= _placeholders(text):
                broken.append((english, text))
    assert missing == []
    assert broken == []


def test_the_default_questions_are_in_the_catalog() -> None:
    default = Evaluation()
    assert set(_DEFAULT_QUESTION_MESSAGES) == {*default.questions, *default.open_questions}
    spanish = strings_for("es")
    for question in _DEFAULT_QUESTION_MESSAGES:
        assert spanish.gettext(question) != question
    assert spanish.fallbacks == set()


def test_strings_formats() -> None:
    spanish = strings_for("es")
    import datetime as dt

    assert spanish.date(dt.date(2018, 3, 12)) == "12 de marzo de 2018"
    assert fill("{a} y {b} {c", a=1, b="dos") == "1 y dos {c"


# ---------------------------------------------------------------- packets


def _spanish_example(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE.parent, folder)
    spec = folder / EXAMPLE.name
    text = spec.read_text(encoding="utf-8")
    assert re.search(r"(?m)^language: en$", text)
    spec.write_text(re.sub(r"(?m)^language: en$", "language: es", text), encoding="utf-8")
    return spec


def _english_fragments() -> dict[str, str]:
    """Runs of two or more words of every catalog text (its placeholders cut out) →
    the text, leaving out those Spanish writes the same way."""
    spanish = _catalog(ES_PO, "es")
    fragments: dict[str, str] = {}
    for message in _catalog(POT):
        if not message.id:
            continue
        ids = _forms(message.id)
        entry = spanish.get(message.id)
        assert entry is not None
        translated = _forms(entry.string)
        for english in ids:
            if english in translated:
                continue
            pieces = _PLACEHOLDER.split(english)
            # A piece between placeholders is checked from three words: two
            # ("in all", "Signature of") are as likely the trainer's own words.
            least = 2 if len(pieces) == 1 else 3
            for piece in pieces:
                fragment = (piece or "").strip(" ().:,;·")
                if len(fragment.split()) >= least:
                    fragments[fragment] = english
    return fragments


def _no_english(texts: dict[str, str], fragments: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (where, fragment)
        for where, text in texts.items()
        for fragment in fragments
        if fragment in text
    ]


@pytest.mark.slow
def test_a_spanish_packet_prints_no_english_of_its_own(tmp_path: Path) -> None:
    """The example in Spanish: every binder, kit and certificate, packet.pdf, and two
    in-services' HTML pages hold no English text of packetgen's (the trainer's own
    text stays)."""
    spec = _spanish_example(tmp_path)
    out = tmp_path / "out"
    chosen = ["csec-understanding", "reading-and-viewing"]
    build(spec, out, format="pdf", cache=False)
    texts: dict[str, str] = {}
    for pdf in sorted(out.glob("*.pdf")):
        for number, text in enumerate(page_texts(pdf), start=1):
            texts[f"{pdf.name} page {number}"] = text
    for inservice in chosen:
        page = render_html(spec, inservice)
        # The stylesheet (its comments) and the codes' SVG are not text a reader sees.
        shown = re.sub(r"(?s)<(style|svg)\b.*?</\1>", " ", page)
        texts[f"{inservice}.html"] = " ".join(_TAG.sub(" ", shown).split())
        assert '<html lang="es">' in page
    assert {"packet.pdf", "csec-understanding.pdf", "csec-understanding-facilitator.pdf"} <= {
        p.name for p in out.glob("*.pdf")
    }
    assert _no_english(texts, _english_fragments()) == []
    everything = "\n".join(texts.values())
    assert "12 de marzo de 2018" in everything
    assert "1,5 horas" in everything
    assert "Enlaces de este paquete" in everything
    assert "Certificado de participación" in everything
    assert "Registro de crédito por estudio individual" in everything


def test_strings_override_by_key_and_by_english_text(
    write_spec: Callable[..., Path],
) -> None:
    spec = write_spec(
        """\
        title: T
        strings:
          registration_required: Sign up first
          "Links in this packet": Web pages
          in_service: Training
        inservices:
          - id: one
            title: One
            items:
              - kind: link
                title: A site
                url: https://example.org/a
                access: Registration required. Make an account with your work email.
        """
    )
    page = render_html(spec, "one")
    assert "<strong>Sign up first</strong>Make an account" in page
    assert "<h2>Web pages</h2>" in page
    assert ">Training</div>" in page
    assert "Links in this packet" not in page


def test_an_override_cannot_inject_markup_or_break_a_template(
    write_spec: Callable[..., Path],
) -> None:
    spec = write_spec(
        """\
        title: T
        strings:
          contents: <script>alert(1)</script> "Índice"
          "Link %(number)s": "Enlace %(numero)s 100%"
        inservices:
          - id: one
            title: One
            items:
              - kind: link
                title: A site
                url: https://example.org/a
        """
    )
    page = render_html(spec, "one")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;Índice&#34;" in page
    # A misspelt placeholder prints the English text, whose placeholder is right.
    assert "Link 1" in page


def test_item_language_and_translations(write_spec: Callable[..., Path]) -> None:
    spec = write_spec(
        """\
        title: T
        inservices:
          - id: one
            title: One
            items:
              - kind: article
                title: Lo que hay que saber
                language: es
                url: https://example.org/es
              - kind: article
                title: What to know
                url: https://example.org/en
                translations:
                  - language: es
                    title: Qué saber
          - id: dos
            title: Dos
            language: es
            items:
              - kind: article
                title: What to know
                language: en
                url: https://example.org/en
                translations:
                  - language: es
                    title: Qué saber
        """
    )
    page = render_html(spec, "one")
    assert '<html lang="en">' in page
    assert '<h3 lang="es">' in page
    assert '<strong>Also in Spanish:</strong> <span lang="es">Qué saber</span>' in page
    dos = render_html(spec, "dos")
    assert '<html lang="es">' in dos
    assert '<h3 lang="en">' in dos
    assert '<strong>También en español:</strong> <span lang="es">Qué saber</span>' in dos
    assert "Artículo" in dos


def test_the_list_of_printed_texts_is_current() -> None:
    from packetgen.text.i18n import strings_markdown

    listed = (ROOT / "docs" / "strings.md").read_text(encoding="utf-8")
    assert listed == strings_markdown(), "run `make catalog`"
    assert "| registration_required | Registration required | Inscripción necesaria |" in listed


def test_a_misspelt_string_name_is_located_with_a_suggestion(
    write_spec: Callable[..., Path],
) -> None:
    spec = write_spec(
        "title: T\nstrings:\n  registration_requird: Sign up\n  Registration required: x\n"
        "inservices:\n  - id: one\n    title: One\n"
    )
    with pytest.raises(SpecError) as info:
        load_packet(spec)
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.field) == (3, 3, "strings.registration_requird")
    assert problem.message.startswith(
        "packetgen prints no text called 'registration_requird'; did you mean"
        " 'registration_required'?"
    )


def test_check_verbose_says_what_prints_in_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from packetgen.cli import main

    spec = _spanish_example(tmp_path)
    french = spec.read_text(encoding="utf-8").replace("language: es", "language: fr")
    spec.write_text(french, encoding="utf-8")
    assert main(["check", "-v", str(spec), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "Note: packetgen has no translation into 'fr' yet" in out
    spec.write_text(french.replace("language: fr", "language: es"), encoding="utf-8")
    assert main(["check", "-v", str(spec), "-o", str(tmp_path / "out")]) == 0
    assert "no translation" not in capsys.readouterr().out
