"""Text every stage prints: Markdown to safe HTML, and the fixed texts in the
reader's language (gettext catalogs through Babel).

In: strings. Out: HTML fragments and translated strings.
"""
