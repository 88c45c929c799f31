"""What the packet says beyond its text: the numbered links and their QR codes,
short links, link kinds, and credit hours.

In: a Packet and its handouts' links. Out: a LinkTable, QR matrices, hours.
"""
