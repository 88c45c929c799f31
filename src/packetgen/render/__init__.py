"""The views (what the templates may use), the themes and the Jinja2 templates.

In: a Packet, its LinkTable and a Theme. Out: HTML for print and for screens.

``views`` is the template contract; ``wording`` says dates, hours and notices in
the reader's language; ``document`` builds a document's views from the packet;
``html`` renders a view through the templates; ``themes`` (with ``css_urls``)
reads and checks a theme's stylesheets and template overrides.
"""
