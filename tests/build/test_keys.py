"""Cache invalidation at the job-key level: what changes which output's key.

An output is laid out again exactly when its key changes (see
packetgen.build.keys), so these tests compute every key of the example packet
the way a build does, edit one input, and compare: no PDF is laid out. The
one end-to-end cache test, which builds, is in test_build.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from packetgen.build._cache import BuildCache
from packetgen.build.inputs import as_packet, with_overrides
from packetgen.build.jobs import Context
from packetgen.build.keys import book_key, inservice_key, kit_key
from packetgen.build.results import Reporter
from packetgen.build.scan import scan_handouts
from packetgen.build.staging import kits_of
from packetgen.content.links import collect_links
from packetgen.render.themes import load_theme
from packetgen.support._budget import decoding_budget

from ..conftest import EXAMPLE

Keys = dict[tuple[str, str | None], str]

KEPT = ("advocating-webinar", "csec-understanding", "unlocking-the-narrative")


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """The example packet cut down to three in-services (one with handouts, one with
    a kit and certificates), as test_build.py's builds use it, less its slide deck."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "packet")
    spec = tmp_path / "packet" / "packet.yaml"
    data = yaml.safe_load(spec.read_text())
    data["inservices"] = [s for s in data["inservices"] if s["id"] in KEPT]
    for inservice in data["inservices"]:
        # Without the slide deck: LibreOffice takes seconds to convert it, and
        # a deck is keyed by its bytes as the PDFs are.
        if "items" in inservice:
            inservice["items"] = [
                i for i in inservice["items"] if not str(i.get("file", "")).endswith(".pptx")
            ]
    spec.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return spec


def _keys(spec: Path, *, paper: str | None = None) -> Keys:
    """Every output's key, made as a build makes them: links numbered, handouts
    scanned (their links numbered too), themes loaded."""
    packet = with_overrides(as_packet(spec), paper, None)
    themes = {name: load_theme(name, packet.folder) for name in packet.theme_names()}
    with decoding_budget():
        _scans, links = scan_handouts(
            packet, collect_links(packet), BuildCache(None), Reporter(None, 0)
        )
    context = Context(packet, links, themes, spec.parent / "out")
    keys: Keys = {("book", None): book_key(context)}
    for inservice in packet.inservices:
        keys["binder", inservice.id] = inservice_key(context, inservice.id, "binder")
        keys["html", inservice.id] = inservice_key(context, inservice.id, "html")
        for kind in kits_of(packet, inservice.id):
            keys[kind, inservice.id] = kit_key(context, inservice.id, kind)
    return keys


def _changed(before: Keys, after: Keys) -> set[tuple[str, str | None]]:
    assert before.keys() == after.keys()
    return {output for output in before if before[output] != after[output]}


def test_the_same_inputs_make_the_same_keys(spec: Path) -> None:
    keys = _keys(spec)
    assert len(keys) == 3 * 2 + 2 + 1  # binders, pages, csec's kit and certificates, book
    assert len(set(keys.values())) == len(keys)  # no two outputs share a key
    assert _keys(spec) == keys


def test_a_changed_handout_changes_only_its_inservice(spec: Path) -> None:
    before = _keys(spec)
    handout = spec.parent / "handouts" / "stages-of-change.pdf"
    handout.write_bytes(handout.read_bytes() + b"\n% edited\n")
    assert _changed(before, _keys(spec)) == {
        ("binder", "advocating-webinar"),
        ("html", "advocating-webinar"),
        ("book", None),
    }


def test_a_packet_wide_text_changes_every_key(spec: Path) -> None:
    # The advisory is on every cover.
    before = _keys(spec)
    spec.write_text(spec.read_text().replace("Read it at your own pace", "Read it slowly"))
    assert _changed(before, _keys(spec)) == set(before)


def test_a_changed_item_text_changes_its_inservice_kit_and_certificates(spec: Path) -> None:
    # The kit and the certificates are keyed as their binder is: on the whole in-service.
    before = _keys(spec)
    spec.write_text(spec.read_text().replace("The Boston program", "The program"))
    assert _changed(before, _keys(spec)) == {
        ("binder", "csec-understanding"),
        ("html", "csec-understanding"),
        ("facilitator", "csec-understanding"),
        ("certificates", "csec-understanding"),
        ("book", None),
    }


def test_the_attendee_list_changes_only_the_kit_and_certificates(spec: Path) -> None:
    before = _keys(spec)
    attendees = spec.parent / "attendees.csv"
    attendees.write_text(attendees.read_text() + "Someone New\n")
    assert _changed(before, _keys(spec)) == {
        ("facilitator", "csec-understanding"),
        ("certificates", "csec-understanding"),
    }


def test_the_paper_changes_every_key(spec: Path) -> None:
    before = _keys(spec, paper="letter")
    assert _changed(before, _keys(spec, paper="a4")) == set(before)


def test_a_picture_in_a_summary_is_keyed_by_its_bytes(spec: Path) -> None:
    data = yaml.safe_load(spec.read_text())
    data["inservices"][2]["summary"] = "![A chart](chart.png)"
    spec.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    chart = spec.parent / "chart.png"
    chart.write_bytes(_png(1))
    before = _keys(spec)
    chart.write_bytes(_png(2))
    changed = _changed(before, _keys(spec))
    inservice = data["inservices"][2]["id"]
    assert changed == {("binder", inservice), ("html", inservice), ("book", None)}


def _png(shade: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (4, 4), shade).save(buffer, format="PNG")
    return buffer.getvalue()
