"""Binders and the book: packet pages laid out once, handout pages placed,
running heads, page numbers and QR codes stamped after layout.

In: laid-out packet pages and opened handouts. Out: binder and packet.pdf bytes.
"""
