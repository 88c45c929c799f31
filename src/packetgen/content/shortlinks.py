"""Short links: the redirects a program puts on its own web site.

With ``short_links: https://example-casa.org/go/`` every QR code carries
``https://example-casa.org/go/<name>``: a small code that survives copies, and
an address a volunteer can type. Those addresses work once the site sends
each one on to its target, so a build writes ``OUT/short-links/``, ready to
upload, in the forms trainers can use without a server of their own:

``_redirects``
    the redirect file Netlify and Cloudflare Pages read (upload the folder
    as the site, or merge the lines into the site's own file);
``go/<name>/index.html`` (the path of ``short_links``)
    one static page per link that sends the browser on: any web host;
``redirects.csv``
    short link, target, number and items, for a WordPress redirect plugin,
    a spreadsheet or a link shortener's bulk import.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from packetgen.content.addresses import to_uri
from packetgen.content.links import LinkTable
from packetgen.support._csv import csv_cell

__all__ = ["FOLDER", "Redirect", "redirect_files", "redirects"]

FOLDER = "short-links"
"""The folder of the output folder the redirects are written to."""


@dataclass(frozen=True)
class Redirect:
    number: int
    short: str
    """The full short link, as the code carries it."""
    path: str
    """Its path on the program's site, ``/go/casa-faq``."""
    target: str
    """Where it leads, in its ASCII form."""
    items: tuple[str, ...]


def redirects(links: LinkTable) -> list[Redirect]:
    """The redirects of every numbered link, in number order (none without short links)."""
    found = []
    for ref in links.links:
        if ref.short_name is None:
            continue
        items = tuple(dict.fromkeys(source.item for source in ref.sources))
        path = urlsplit(ref.encoded).path or "/"
        found.append(Redirect(ref.number, ref.encoded, path, to_uri(ref.url), items))
    return found


def _page(redirect: Redirect) -> str:
    target = html.escape(redirect.target, quote=True)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Link {redirect.number}</title>\n"
        f'<meta http-equiv="refresh" content="0; url={target}">\n'
        f'<link rel="canonical" href="{target}">\n'
        '<meta name="robots" content="noindex">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "</head>\n<body>\n"
        f'<p>This link leads to <a href="{target}">{target}</a>.</p>\n'
        "</body>\n</html>\n"
    )


def redirect_files(links: LinkTable) -> dict[str, bytes]:
    """Every file of the ``short-links`` folder, by path inside it (``/`` separated)."""
    found = redirects(links)
    if not found:
        return {}
    files: dict[str, bytes] = {}
    lines = [
        "# Short links of this packet: upload the short-links folder to the site,",
        "# or add these lines to the site's own _redirects file (Netlify, Cloudflare Pages).",
    ]
    lines += [f"{r.path}  {r.target}  302" for r in found]
    files["_redirects"] = ("\n".join(lines) + "\n").encode("utf-8")
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["short", "target", "number", "items"])
    for r in found:
        writer.writerow([csv_cell(v) for v in (r.short, r.target, r.number, "; ".join(r.items))])
    files["redirects.csv"] = table.getvalue().encode("utf-8")
    for r in found:
        files[f"{r.path.strip('/')}/index.html"] = _page(r).encode("utf-8")
    return files
