"""Binders and the book: packet pages laid out once, handout pages placed,
running heads, page numbers and QR codes stamped after layout.

In: laid-out packet pages and opened handouts. Out: binder and packet.pdf bytes.

In the order a binder is made: ``plan`` (paper, margins, cells), ``opening``
(the in-service's handouts opened and planned), ``markers`` (what stands for a
handout in the HTML), ``bind`` (lay out, then ``merge`` the handout pages in
through ``placement``, stamp the ``furniture`` from ``_stamps``' atlas, write
the ``outline``), ``files`` (the same without a spec). ``book`` joins the
binders into packet.pdf, its own objects kept in a ``volume``.
"""
