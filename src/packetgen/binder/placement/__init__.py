"""Draw handout pages into the slots of placeholder pages.

WeasyPrint lays out one placeholder page per handout output page, leaving one
or more empty *slots*; this package draws a source PDF page into such a slot and
carries over what makes the page work on screen: its links (re-pointed into the
binder), its form fields (renamed so two copies of one form do not collide), and
its passive annotations.  Active content (JavaScript, launch actions, embedded
files, media) is dropped and reported, because handouts may come from anywhere
and a printed-packet tool has no business running code in the reader's viewer.

Each source page becomes one form XObject, stored once per writer however often
it is drawn, and is referenced from the target page's content with a ``cm`` that
rotates (as the page's ``/Rotate`` says, and a quarter further for a landscape
page printed sideways), scales and centres it.

The pieces, each using only those before it: ``values`` (reading PDF objects),
``geometry``, ``state`` (per-writer memory), ``content`` (streams and Form
XObjects), ``actions`` (what is active), ``destinations``, ``forms`` (the field
tree), ``annotations``, ``widgets``, ``placing`` and ``scrubbing``.
"""

from packetgen.binder.placement.content import (
    append_ops,
    as_artifact,
    draw_xobject,
    form_xobject,
    xobject_ops,
)
from packetgen.binder.placement.geometry import (
    Rect,
    displayed_size,
    fit_transform,
    quarter_turn,
    visible_box,
)
from packetgen.binder.placement.placing import place_page, uri_links
from packetgen.binder.placement.scrubbing import strip_active_content
from packetgen.binder.placement.state import PlacedPage, writer_memo

__all__ = [
    "PlacedPage",
    "Rect",
    "append_ops",
    "as_artifact",
    "displayed_size",
    "draw_xobject",
    "fit_transform",
    "form_xobject",
    "place_page",
    "quarter_turn",
    "strip_active_content",
    "uri_links",
    "visible_box",
    "writer_memo",
    "xobject_ops",
]
