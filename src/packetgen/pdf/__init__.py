"""HTML to PDF through WeasyPrint, and the PDF structure (tags) joined across parts.

In: HTML and stylesheets. Out: a laid-out document, PDF bytes.

``layout`` lays out and writes, loading resources only through ``fetcher``;
``metadata`` is what an output says about itself (information dictionary,
XMP, language, page labels, identifier); ``_structure`` keeps the tag tree
right as pages change; ``_join`` copies PDFs into one, object by object.
"""
