"""HTML to PDF through WeasyPrint, and the PDF structure (tags) joined across parts.

In: HTML and stylesheets. Out: a laid-out document, PDF bytes.
"""
