"""``packetgen init``: a starter packet a trainer can edit, valid as written."""

from __future__ import annotations

from pathlib import Path

from packetgen.errors import OutputError
from packetgen.support._atomic import write_text_atomic

STARTER = """\
# A packetgen packet spec. Check it with:  packetgen check packet.yaml
# Every field is described by `packetgen schema`.
title: Child Trafficking In-service Materials
subtitle: Resources for volunteer advocates
organization: Your CASA/GAL Program
paper: letter            # letter | a4
theme: default           # default | ink-saver | large-print
advisory: >-
  This packet discusses the sexual exploitation of children. Take breaks as you
  need them, and talk with your supervisor about anything that stays with you.

inservices:
  - id: first-in-service             # names the output files: first-in-service.pdf
    title: Understanding Child Trafficking
    date: 2026-01-15
    time: 6:30pm-8:00pm                # or 18:30-20:00
    presenter: Your presenter's name and role
    location: Training room
    contact: {name: Your name, email: training@example.org}
    hours: 1.5
    summary: |
      What volunteers will learn, in a sentence or two. **Markdown** works here.
    objectives:                        # what volunteers will be able to do afterwards
      - Recognize the warning signs of child trafficking
      - Respond to a child's disclosure with support
    agenda:
      - {time: 6:30pm, title: Welcome and introductions}
      - {time: 6:40pm, title: The recorded webinar}
      - {time: 7:40pm, title: Questions and discussion}
    signin: {}                         # a sign-in sheet in the facilitator's kit
    evaluation: {}                     # an evaluation form in every binder
    items:
      - kind: recording
        title: Title of the recorded webinar
        url: https://nationalcasagal.org/
        access: Registration required. Enter your contact information to watch.
        minutes: 60
      - kind: article
        title: Title of an article
        source: Name of the publication
        url: https://example.org/
        excerpt: |
          A short passage from the article.
      - kind: note
        title: Before the session
        description: Read the article and watch the recording.
      # A handout merged into the binder (copy the PDF into this folder first):
      # - kind: handout
      #   title: Session handout
      #   file: handouts/session-handout.pdf
"""


def write_starter(directory: Path, *, force: bool = False) -> Path:
    """Create ``directory/packet.yaml``; refuse to overwrite unless ``force``."""
    target = directory / "packet.yaml"
    if target.exists() and not force:
        raise OutputError(f"{target} already exists; use --force to overwrite it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "handouts").mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}") from None
    write_text_atomic(target, STARTER)
    return target
