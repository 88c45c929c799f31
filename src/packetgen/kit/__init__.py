"""What the trainer needs around the session: the facilitator's kit,
certificates, and the hours records.

In: a Packet (and attendance). Out: PDFs and CSV/JSON records.
"""
