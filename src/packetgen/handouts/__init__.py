"""The files trainers bring: PDFs, pictures, office documents (through LibreOffice).

In: a path named by the spec. Out: an opened, checked handout (pages, links,
outline, warnings) or a :class:`~packetgen.errors.HandoutError` saying what to do.
"""
