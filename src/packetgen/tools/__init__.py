"""Tools around the build: verify (decode every code), preview (PNG pages),
link checking, and importing a program's resource page.

In: built PDFs, a spec, or a web page. Out: reports, images, a draft spec.
"""
