"""The files trainers bring: PDFs, pictures, office documents (through LibreOffice).

In: a path named by the spec. Out: an opened, checked handout (pages, links,
outline, warnings) or a :class:`~packetgen.errors.HandoutError` saying what to do.

:mod:`~packetgen.handouts.open` is the entry point; it reads the file
(:mod:`~packetgen.handouts.sniff`), makes a PDF of a picture
(:mod:`~packetgen.handouts.pictures`) or an office document (``_office``), and
reads the PDF (:mod:`~packetgen.handouts.pdfs`) within its decoding budget
(:mod:`~packetgen.handouts.decoding`) and page selection
(:mod:`~packetgen.handouts.selection`). The stages that know which spec field
names a file place its error there (:mod:`~packetgen.handouts.located`).
"""
