"""The views (what the templates may use), the themes and the Jinja2 templates.

In: a Packet, its LinkTable and a Theme. Out: HTML for print and for screens.
"""
