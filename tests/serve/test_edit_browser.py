"""``packetgen edit`` in a real browser: the form a trainer fills instead of writing YAML.

Headless Debian Chromium through Playwright, against the real editor server
(:class:`packetgen.serve.edit.EditorServer`) in this process. What is checked is what
a trainer sees and what lands in ``packet.yaml``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from packetgen import check
from packetgen.errors import SpecError
from packetgen.serve.edit import EditorServer
from packetgen.serve.run import editor_spec
from packetgen.spec.loader import load_packet

from ..chromium import launched_chromium
from ..conftest import CORPUS, EXAMPLE

TIMEOUT_MS = 15_000
DATA = Path(__file__).parents[1] / "data"
EXPECTED = DATA / "edit" / "expected-packet.yaml"
AXE = DATA / "vendor" / "axe.min.js"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def open_editor(browser: Any, server: EditorServer, **options: Any) -> Any:
    """A fresh page on the editor, once its form is built; page errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.editor_url)
    page.wait_for_selector("body[data-ready]")
    page.errors = errors
    return page


def close(page: Any) -> None:
    errors = page.errors
    page.context.close()
    assert errors == [], errors


def field(page: Any, path: str) -> Any:
    """The one control the editor shows for the spec field ``path`` (check's dotted form)."""
    return page.locator(f'[data-field="{path}"]')


def inservice(page: Any, index: int) -> Any:
    return page.locator(f'[data-card="inservice"][data-path="inservices[{index}]"]')


def item_titles(page: Any, index: int) -> list[str]:
    cards = inservice(page, index).locator('[data-card="item"]')
    return [t.strip() for t in cards.locator("[data-card-title]").all_inner_texts()]


def drag(page: Any, handle: Any, target: Any) -> None:
    """Drag ``handle`` with the mouse and drop it on the top half of ``target``."""
    target.evaluate("el => el.scrollIntoView({block: 'start'})")
    start, end = handle.bounding_box(), target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 10, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 10, steps=5)
    page.mouse.up()


def drop(page: Any, target: Any, path: Path) -> None:
    """Drop the file ``path`` on ``target`` (dragenter, dragover, drop with its DataTransfer)."""
    transfer = page.evaluate_handle(
        """([b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, {type: "application/pdf"}));
            return data;
        }""",
        [base64.b64encode(path.read_bytes()).decode("ascii"), path.name],
    )
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": transfer})


def save(page: Any) -> None:
    from playwright.sync_api import expect

    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_have_text(re.compile(r"^Saved at \d{1,2}:\d\d [ap]m"))


@pytest.fixture
def editor_for() -> Iterator[Any]:
    servers: list[EditorServer] = []

    def start(spec: Path) -> EditorServer:
        server = EditorServer(spec, debounce_ms=50)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# -- 1. a packet made from nothing ---------------------------------------------


def test_a_packet_made_in_the_browser_from_an_empty_folder(
    browser: Any, editor_for: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    folder = tmp_path / "new-packet"
    folder.mkdir()
    spec, started = editor_spec(folder)
    assert started
    assert spec == folder / "packet.yaml"
    page = open_editor(browser, editor_for(spec))
    expect(page.locator("h1#packet-title")).to_have_text("Child Trafficking In-service Materials")

    # Packet settings.
    field(page, "title").fill("Recognizing Trafficking")
    field(page, "organization").fill("Example County CASA")
    expect(page.locator("h1#packet-title")).to_have_text("Recognizing Trafficking")

    # First in-service (the starter's): its id and title; the article goes.
    first = inservice(page, 0)
    field(page, "inservices[0].id").fill("warning-signs")
    field(page, "inservices[0].title").fill("Warning Signs")
    expect(first.locator("h3")).to_contain_text("Warning Signs")
    first.get_by_role("button", name="Remove item 2").click()
    assert item_titles(page, 0) == [
        "Recording: Title of the recorded webinar",
        "Note: Before the session",
    ]

    # An item from a pasted web address: kind and title guessed by the server.
    first.get_by_label("Paste a link").fill("https://polarisproject.org/human-trafficking/")
    first.get_by_role("button", name="Add link").click()
    expect(first.locator('[data-card="item"]')).to_have_count(3)
    expect(field(page, "inservices[0].items[2].url")).to_have_value(
        "https://polarisproject.org/human-trafficking/"
    )
    expect(field(page, "inservices[0].items[2].kind")).to_have_value("link")
    expect(field(page, "inservices[0].items[2].title")).to_be_focused()

    # Reorder by dragging: the link goes above the note.
    cards = first.locator('[data-card="item"]')
    drag(page, cards.nth(2).locator(".drag-handle"), cards.nth(1))
    assert item_titles(page, 0) == [
        "Recording: Title of the recorded webinar",
        "Link: Human trafficking",
        "Note: Before the session",
    ]

    # A second in-service.
    page.get_by_role("button", name="Add an in-service").click()
    second = inservice(page, 1)
    expect(field(page, "inservices[1].title")).to_be_focused()
    page.keyboard.type("Supporting Survivors")
    field(page, "inservices[1].id").fill("supporting-survivors")

    # A handout by dropping the corpus PDF on the drop zone: a real drop event
    # carrying the file, as a file manager sends it.
    drop(page, second.locator(".drop-zone"), CORPUS / "redflags.pdf")
    expect(second.locator('[data-card="item"]')).to_have_count(1)
    expect(field(page, "inservices[1].items[0].file")).to_have_value("handouts/redflags.pdf")
    expect(second.get_by_text("The file has 1 page.")).to_be_visible()
    # The server offers `pages` for a PDF: shown on the card, not hidden in "More fields".
    expect(field(page, "inservices[1].items[0].pages")).to_be_visible()
    field(page, "inservices[1].items[0].title").fill("Red flags")
    assert (folder / "handouts" / "redflags.pdf").read_bytes() == (
        CORPUS / "redflags.pdf"
    ).read_bytes()

    # A film, added by kind; its running time is one of its "More fields".
    second.get_by_label("Kind of item to add").select_option("film")
    second.get_by_role("button", name="Add item").click()
    expect(field(page, "inservices[1].items[1].title")).to_be_focused()
    page.keyboard.type("Very Young Girls")
    film = second.locator('[data-card="item"]').nth(1)
    film.locator("summary", has_text="More fields").click()
    field(page, "inservices[1].items[1].minutes").fill("83")

    # Reorder by the keyboard's buttons: the film goes first.
    film.get_by_role("button", name="Move up, item 2").click()
    assert item_titles(page, 1) == ["Film: Very Young Girls", "Handout: Red flags"]
    expect(second.get_by_role("button", name="Move down, item 1")).to_be_focused()

    # An agenda for the second in-service.
    second.locator('details.more-fields[data-path="inservices[1]#more"] > summary').click()
    second.get_by_role("button", name="Add agenda entry").click()
    expect(field(page, "inservices[1].agenda[0].time")).to_be_focused()
    page.keyboard.type("9:00am")
    field(page, "inservices[1].agenda[0].title").fill("Welcome")
    second.get_by_role("button", name="Add agenda entry").click()
    field(page, "inservices[1].agenda[1].time").fill("9:15am")
    field(page, "inservices[1].agenda[1].title").fill("Watching the film together")

    save(page)
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.locator("#undo-button")).to_be_enabled()
    close(page)

    assert check(spec).problems == []
    written = spec.read_text(encoding="utf-8")
    if os.environ.get("PACKETGEN_WRITE_EXPECTED"):
        EXPECTED.write_text(written, encoding="utf-8")
    assert written == EXPECTED.read_text(encoding="utf-8")


# -- 2. the trainer's comments survive ------------------------------------------

COMMENTED = """\
# Spring training. Dana approves changes to the agenda.
title: Spring Training
inservices:
  - id: spring
    title: Spring In-service   # keep the season in the title
    # The film is long: schedule a break.
    items:
      - kind: film
        title: Very Young Girls
        minutes: 83
      - kind: note
        title: Before the session
"""


def test_comments_written_by_hand_stay_after_a_save(
    browser: Any, editor_for: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    spec = tmp_path / "packet.yaml"
    spec.write_text(COMMENTED, encoding="utf-8")
    page = open_editor(browser, editor_for(spec))
    field(page, "inservices[0].title").fill("Spring In-service 2026")
    field(page, "inservices[0].items[1].title").fill("Before you come")
    save(page)

    edited = COMMENTED.replace("Spring In-service ", "Spring In-service 2026 ").replace(
        "title: Before the session", "title: Before you come"
    )
    assert spec.read_text(encoding="utf-8") == edited
    assert (tmp_path / "packet.yaml.bak").read_text(encoding="utf-8") == COMMENTED

    # A mistake can be undone: the file and the form go back to the version before.
    page.get_by_role("button", name="Undo last save").click()
    expect(field(page, "inservices[0].title")).to_have_value("Spring In-service")
    expect(page.locator("#status")).to_contain_text("undone")
    assert spec.read_text(encoding="utf-8") == COMMENTED
    close(page)


# -- 3. a bad value is shown where it was typed, and not saved ------------------


def test_a_bad_value_shows_checks_message_at_its_field_and_is_not_saved(
    browser: Any, editor_for: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    spec = tmp_path / "packet.yaml"
    spec.write_text(COMMENTED, encoding="utf-8")
    bad = tmp_path / "bad" / "packet.yaml"
    bad.parent.mkdir()
    bad.write_text(COMMENTED.replace("id: spring", "id: spring 2026"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_packet(bad)
    (problem,) = caught.value.problems
    assert problem.field == "inservices[0].id"

    page = open_editor(browser, editor_for(spec))
    box = field(page, "inservices[0].id")
    box.fill("spring 2026")
    # Checked as the trainer types: the message check gives, at the field.
    expect(box).to_have_attribute("aria-invalid", "true")
    message = page.locator("#" + box.get_attribute("id") + "-error")
    expect(message).to_be_visible()
    expect(message).to_contain_text(problem.message)
    assert message.get_attribute("id") in (box.get_attribute("aria-describedby") or "").split()

    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_have_text(
        "1 problem — not saved: fix the fields marked below"
    )
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link")
    expect(link).to_contain_text(problem.message)
    link.click()
    expect(box).to_be_focused()
    close(page)
    assert spec.read_text(encoding="utf-8") == COMMENTED
    assert not (tmp_path / "packet.yaml.bak").exists()


# -- 4. accessible, and readable at 200 % zoom ----------------------------------


def test_the_editor_passes_axe_and_reflows_at_200_percent(
    browser: Any, editor_for: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE.parent, folder)
    server = editor_for(folder / "packet.yaml")
    # The editor's Content-Security-Policy forbids inline scripts, axe's among them.
    page = open_editor(browser, server, bypass_csp=True)
    page.locator("details.more-fields").first.evaluate("d => d.open = true")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
        " first: v.nodes[0] && v.nodes[0].target.join(' ')}))"
    )
    serious = [v for v in results if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    close(page)

    # 200 % zoom on a 1280-pixel window: half the CSS width, twice the pixels.
    page = open_editor(browser, server, device_scale_factor=2)
    page.set_viewport_size({"width": 640, "height": 400})
    page.wait_for_timeout(100)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.getElementById('form-pane').scrollWidth,"
        " document.getElementById('form-pane').clientWidth]"
    )
    page_width, page_room, form_width, form_room = widths
    assert page_width <= page_room, widths
    assert form_width <= form_room, widths
    # Stacked: the preview comes after the form, not beside it.
    form_box = page.locator("#form-pane").bounding_box()
    preview_box = page.locator(".preview-pane").bounding_box()
    assert preview_box["y"] >= form_box["y"] + form_box["height"] - 1
    close(page)


# -- 5. the keyboard alone -------------------------------------------------------


def _tab_to(page: Any, target: Any, *, key: str = "Tab", limit: int = 400) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"Tab never reached {target}")


def test_a_keyboard_alone_reorders_edits_and_saves(
    browser: Any, editor_for: Any, tmp_path: Path
) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text(COMMENTED, encoding="utf-8")
    page = open_editor(browser, editor_for(spec))
    card = inservice(page, 0).locator('[data-card="item"]').nth(1)
    move_up = card.get_by_role("button", name=re.compile("^Move up"))
    _tab_to(page, move_up)
    # The focus ring is visible where the keyboard is.
    assert move_up.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert item_titles(page, 0) == ["Note: Before the session", "Film: Very Young Girls"]
    title = field(page, "inservices[0].title")
    _tab_to(page, title, key="Shift+Tab")  # back up the page to the in-service's title
    page.keyboard.press("End")
    page.keyboard.type(" 2026")
    save(page)
    saved = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert saved["inservices"][0]["title"] == "Spring In-service 2026"
    assert [i["title"] for i in saved["inservices"][0]["items"]] == [
        "Before the session",
        "Very Young Girls",
    ]
    assert "# keep the season in the title" in spec.read_text(encoding="utf-8")
    close(page)
