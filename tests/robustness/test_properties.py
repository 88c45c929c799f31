"""Properties: paths never leave the packet folder, URLs survive QR → PDF → scan,
and any spec document gives a Packet or a PacketgenError."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import weasyprint
import yaml
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packetgen.content.qr import make_qr
from packetgen.errors import PacketgenError
from packetgen.spec.loader import check_path, load_packet
from packetgen.spec.models import Packet

# ---------------------------------------------------------------- paths

PIECES = [
    "..",
    ".",
    "",
    "a",
    "b",
    "faq.pdf",
    "sub",
    "up",
    "loop",
    "in",
    "dev",
    "C:",
    "c:",
    "~",
    "\\",
    "//",
    "%2e%2e",
    "\x00",
    "ß",
    "a b",
    "...",
    "outside.pdf",
]


@pytest.fixture(scope="module")
def maze(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packet folder with files, folders and symbolic links pointing in, out and in circles."""
    base = tmp_path_factory.mktemp("maze")
    root = base / "packet"
    (root / "sub" / "a").mkdir(parents=True)
    (root / "faq.pdf").write_bytes(b"%PDF-1.4")
    (root / "sub" / "faq.pdf").write_bytes(b"%PDF-1.4")
    (base / "outside.pdf").write_bytes(b"%PDF-1.4")
    os.symlink(base, root / "up")
    os.symlink(base, root / "sub" / "up")
    os.symlink("sub", root / "in")
    os.symlink("loop", root / "loop")
    os.symlink("/dev", root / "dev")
    os.symlink("../outside.pdf", root / "sub" / "b")
    return root


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8), st.sampled_from(["/", "\\"]))
def test_random_paths_never_resolve_outside(maze: Path, parts: list[str], sep: str) -> None:
    relative = sep.join(parts)
    root = maze.resolve()
    problem = check_path(root, relative)
    if problem is None:
        target = (root / relative).resolve()
        assert target == root or target.is_relative_to(root), relative
        assert target.is_file(), relative


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(min_size=1, max_size=60))
def test_arbitrary_path_text_never_resolves_outside(maze: Path, relative: str) -> None:
    root = maze.resolve()
    problem = check_path(root, relative)
    if problem is None:
        target = (root / relative).resolve()
        assert target.is_relative_to(root)
    else:
        assert str(maze.parent) not in problem  # the machine's layout never shows


# ---------------------------------------------------------------- URLs through QR, PDF and a scanner

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
IDN_LABEL = st.text(alphabet="abcßäöüéñçøå", min_size=1, max_size=10)
PATH_TEXT = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/%äé\"<>",
    max_size=60,
)


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    labels = draw(st.lists(st.one_of(LABEL, IDN_LABEL), min_size=1, max_size=3))
    tld = draw(st.sampled_from(["org", "de", "example", "com"]))
    path = draw(PATH_TEXT)
    query = draw(st.one_of(st.just(""), PATH_TEXT.map(lambda q: "?" + q)))
    return f"{scheme}://{'.'.join([*labels, tld])}/{path}{query}"


@settings(max_examples=25, deadline=None)
@given(web_urls())
def test_random_urls_round_trip_through_qr_pdf_and_scanner(url: str) -> None:
    svg = make_qr(url).svg(title="random", element_id="q")
    pdf = pdfium.PdfDocument(
        weasyprint.HTML(string=f"<body style='margin:10mm'>{svg}</body>").write_pdf()
    )
    try:
        image = pdf[0].render(scale=150 / 72).to_pil()
    finally:
        pdf.close()
    assert [code.text for code in zxingcpp.read_barcodes(image, formats=QR_ONLY)] == [url]


# ---------------------------------------------------------------- random spec documents

KEYS = [
    "title",
    "subtitle",
    "organization",
    "language",
    "paper",
    "theme",
    "duplex",
    "advisory",
    "inservices",
    "id",
    "items",
    "kind",
    "url",
    "file",
    "pages",
    "password",
    "password_env",
    "layout",
    "summary",
    "description",
    "excerpt",
    "date",
    "hours",
    "minutes",
    "access",
    "where_to_watch",
    "handout_placement",
    "qr_error_correction",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "article",
            "note",
            "handout",
            "link",
            "https://example.org/x",
            "javascript:alert(1)",
            "faq.pdf",
            "../x",
            "2018-03-12",
            "letter",
            "a4",
            "3-up",
            "en",
            "one",
            "default",
            "M",
        ]
    ),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=30,
)


def _packet_like(draw: st.DrawFn) -> Any:
    item = st.dictionaries(st.sampled_from(KEYS), DOCUMENTS, max_size=5)
    inservice = st.fixed_dictionaries(
        {"id": st.sampled_from(["one", "two", "Bad Id", ""]), "title": SCALARS},
        optional={"items": st.lists(item, max_size=3), "summary": SCALARS},
    )
    return draw(
        st.one_of(
            DOCUMENTS,
            st.fixed_dictionaries(
                {"title": SCALARS, "inservices": st.lists(inservice, max_size=3)},
                optional=dict.fromkeys(("paper", "theme", "language", "duplex", "x"), DOCUMENTS),
            ),
        )
    )


@st.composite
def spec_documents(draw: st.DrawFn) -> tuple[str, str]:
    data = _packet_like(draw)
    fmt = draw(st.sampled_from(["yaml", "json"]))
    if fmt == "json":
        return "packet.json", json.dumps(data)
    return "packet.yaml", yaml.safe_dump(data, allow_unicode=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec_documents())
def test_random_spec_documents_give_a_packet_or_a_packetgen_error(
    tmp_path_factory: pytest.TempPathFactory, document: tuple[str, str]
) -> None:
    name, text = document
    folder = tmp_path_factory.mktemp("random-spec")
    (folder / "faq.pdf").write_bytes(b"%PDF-1.4")
    spec = folder / name
    spec.write_text(text, encoding="utf-8")
    try:
        packet = load_packet(spec)
    except PacketgenError as exc:
        message = str(exc)
    else:
        message = "loaded"
        assert isinstance(packet, Packet)
    assert message
