"""The ``packetgen`` commands around the build: import a resource page, list and
check links, verify QR codes, preview pages, serve or edit a packet, make
certificates and count hours. Each is a thin call into the library;
:mod:`packetgen.cli` adds them to its group (:data:`TOOLS`).
"""

from __future__ import annotations

from pathlib import Path

import click

from packetgen._cli_options import MAX_PHOTOCOPIES as _MAX_PHOTOCOPIES
from packetgen._cli_options import (
    limit_options,
    only_option,
    out_option,
    spec_argument,
)
from packetgen.build.limits import MB, limited
from packetgen.errors import DocumentError, LimitError, OutputError
from packetgen.spec.loader import load_packet

__all__ = ["TOOLS"]

_EXIT_OFFLINE = 3
"""`links --check` could not look up any host: distinct from 1 (a link is broken),
so that a script can tell "fix the spec" from "try again when online"."""


@click.command("import")
@click.argument("page")
@out_option("The packet folder to write packet.yaml into (created if needed).", required=True)
@click.option(
    "--base",
    metavar="URL",
    help="The page's web address, so that its relative links (/files/faq.pdf) can be kept;"
    " without it they are left out and listed.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing packet.yaml.")
@click.option(
    "--fetch",
    is_flag=True,
    help="PAGE is a web address: download the page (network access, off by default).",
)
@click.option(
    "--download",
    is_flag=True,
    help="Download the handouts and slide decks the page links to into DIR/handouts/ and"
    " bind them in (network access, off by default; at most 50 MB each).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List every item's kind and why, and every link left out and why.",
)
def import_command(
    page: str,
    out_dir: Path,
    base: str | None,
    force: bool,
    fetch: bool,
    download: bool,
    verbose: bool,
) -> None:
    """Make a draft packet.yaml from PAGE, a program's resource page saved as HTML.

    Headings become in-services and links become items (recordings, articles,
    handouts, films…) guessed from their addresses and words; menus, sidebars,
    footers, email and share links are left out. Nothing is fetched unless you
    ask: save the page in your browser first (Save Page As, "Web Page, HTML
    only"), or give its address with --fetch.
    """
    from packetgen.spec.models import url_problem
    from packetgen.tools.importer import (
        MAX_PAGE_BYTES,
        document_urls,
        import_page,
        with_files,
        write_import,
    )

    if base is not None and url_problem(base) is not None:
        raise click.BadParameter(
            f"{url_problem(base)}; give the page's address, like https://example.org/resources/",
            param_hint="--base",
        )
    target = out_dir / "packet.yaml"
    if target.exists() and not force:
        raise OutputError(f"{target} already exists; use --force to overwrite it")
    if fetch:
        from packetgen.tools._web_fetch import fetch as fetch_url

        if url_problem(page) is not None:
            raise click.BadParameter(
                f"with --fetch, PAGE is the page's web address: {url_problem(page)}",
                param_hint="PAGE",
            )
        html = fetch_url(page, max_bytes=MAX_PAGE_BYTES)
        base = base or page
        name = page
    else:
        html = _read_page(Path(page), MAX_PAGE_BYTES)
        name = Path(page).name
    result = import_page(html, base_url=base, source_name=name)
    left_out: dict[str, str] = {}
    if download:
        from packetgen.tools._web_fetch import download_documents

        fetched = download_documents(document_urls(result), out_dir)
        result, left_out = with_files(result, fetched.files), fetched.left_out
    written = write_import(result, out_dir, force=force)
    for url, why in left_out.items():
        click.echo(f"Warning: {url} was not downloaded ({why}); it stays as url:", err=True)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if verbose:
        for url, kind, why in result.reasons:
            click.echo(f"  {kind:<12} {url}  ({why})")
        for skipped in result.skipped:
            shown = f'"{skipped.text}" ' if skipped.text else ""
            click.echo(f"  skipped      {shown}{skipped.url or '(no address)'}: {skipped.reason}")
    click.echo(f"Wrote {written}: {result.summary}.")
    click.echo(f"Review it, then run: packetgen check {written}")


def _read_page(page: Path, limit: int) -> bytes:
    try:
        with page.open("rb") as handle:
            html = handle.read(limit + 1)
    except FileNotFoundError:
        raise DocumentError(f"{page}: no such file; give the web page saved as .html") from None
    except IsADirectoryError:
        raise DocumentError(f"{page} is a folder; give the web page saved as .html") from None
    except OSError as exc:
        raise DocumentError(f"cannot read {page}: {exc.strerror}") from None
    if len(html) > limit:
        raise LimitError(
            f"{page} is larger than {limit // MB} MB; a resource page is far"
            ' smaller: save only the page itself (in the browser: Save Page As, "Web Page, HTML'
            ' only")'
        )
    return html


@click.command()
@spec_argument()
@click.option(
    "--check", "do_check", is_flag=True, help="Request every link and report what answers."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="How to print the list.",
)
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for each site.")
# --timeout already means the wait for each site here (and has since links
# existed), so the limit of the whole command that build calls --timeout is
# --time-limit.
@limit_options("the command", timeout="--time-limit")
def links(
    spec: Path, do_check: bool, fmt: str, timeout: float, time_limit: float, max_memory: int
) -> None:
    """List every link of SPEC with its number, QR size and where it is used.

    With --check, request each link (HEAD, then GET) and say whether it works,
    moved, is broken, or sits behind a login; exits with 1 when a link is broken,
    and with 3 when no site could be looked up at all (the computer seems to be
    offline: nothing was checked, so no link is called broken).
    """
    from packetgen.build.pipeline import packet_links
    from packetgen.support._budget import decoding_budget
    from packetgen.tools.linkcheck import (
        OfflineError,
        any_broken,
        check_links_sync,
        describe_links,
        format_reports,
    )

    with limited(
        timeout=time_limit,
        max_memory=max_memory,
        what="listing the links",
        writes=False,
        option="--time-limit",
    ):
        packet = load_packet(spec)
        with decoding_budget():
            table = packet_links(packet)
        reports = describe_links(packet, table)
        if do_check:
            try:
                reports = check_links_sync(reports, timeout=timeout)
            except OfflineError as exc:
                click.echo(f"Error: {exc}", err=True)
                raise click.exceptions.Exit(_EXIT_OFFLINE) from None
    for warning in table.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(format_reports(reports, fmt))  # type: ignore[arg-type]  # click.Choice guarantees the literal
    if do_check and any_broken(reports):
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--spec",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check the codes against this packet spec.",
)
@click.option(
    "--inservice",
    metavar="ID",
    help="Require only this in-service's links (default: from a PDF's file name).",
)
@click.option(
    "--photocopy",
    "photocopies",
    type=click.IntRange(0, _MAX_PHOTOCOPIES),
    default=0,
    show_default=True,
    metavar="N",
    help="Copy every code of a PDF N times before scanning it: each copy a little crooked,"
    " blurred, grainy and black and white, the last one read at 150 dpi from a rough JPEG, as"
    " a phone reads it. 2 is a copy of a copy. Fail when a code no longer scans.",
)
@click.option(
    "--dpi", default=150, show_default=True, help="Resolution to scan the pages of a PDF at."
)
@click.option(
    "--blur",
    default=0.0,
    show_default=True,
    help="Gaussian blur radius in pixels (a phone photo of paper is about 1).",
)
@limit_options("the check")
def verify(
    files: tuple[Path, ...],
    spec: Path | None,
    inservice: str | None,
    photocopies: int,
    dpi: int,
    blur: float,
    time_limit: float,
    max_memory: int,
) -> None:
    """Scan every QR code in FILES as a phone would and report what they decode to.

    FILES are PDFs, or photos or scans of printed pages saved as PNG or JPEG.
    Photos and scans are checked together: a link is found when any of them
    has a code for it.

    With --spec, fail when a link of the packet has no code that scans, or a
    code leads somewhere the spec does not mention.
    """
    from packetgen.tools.verify import file_kind, format_verify, verify_files

    failed = False
    with limited(timeout=time_limit, max_memory=max_memory, what="the QR check", writes=False):
        if photocopies and any(file_kind(path) == "image" for path in files):
            click.echo(
                "Note: photos and scans are read as they are; --photocopy copies the pages"
                " of PDFs only. To test a copy, photocopy the printed page and photograph that.",
                err=True,
            )
        packet = load_packet(spec) if spec is not None else None
        # Each report is printed as soon as it is made: a long PDF takes a while.
        for report in verify_files(
            files,
            packet=packet,
            inservice=inservice,
            dpi=dpi,
            blur=blur,
            photocopies=photocopies,
        ):
            click.echo(format_verify(report))
            failed = failed or not report.ok
    if failed:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@out_option("Folder for the PNG files.", required=True)
@click.option("--pages", help='Pages to draw, e.g. "1-4" (default: all).')
@click.option("--dpi", default=60, show_default=True, help="Resolution of the images.")
@click.option("--columns", default=4, show_default=True, help="Pages per row on the contact sheet.")
@limit_options("the preview")
def preview(
    pdf: Path,
    out_dir: Path,
    pages: str | None,
    dpi: int,
    columns: int,
    time_limit: float,
    max_memory: int,
) -> None:
    """Write PNG images of PDF's pages and a contact sheet of them into --out."""
    from packetgen.tools.preview import preview_pdf

    with limited(timeout=time_limit, max_memory=max_memory, what="the preview"):
        written = preview_pdf(pdf, out_dir, pages=pages, dpi=dpi, columns=columns)
    for path in written:
        click.echo(f"Wrote {path}")


@click.command()
@spec_argument()
@click.option(
    "--attendees",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with a name column; overrides the spec's attendees.",
)
@out_option("Folder for the certificate PDFs.")
@only_option("Only this in-service (repeatable).")
@click.option(
    "--pdf-a",
    "pdf_a",
    is_flag=True,
    help="Make the certificates archival PDFs (PDF/A-2b), as `archival: pdf/a-2b` in the spec.",
)
@limit_options("making certificates")
def certificates(
    spec: Path,
    attendees: Path | None,
    out_dir: Path,
    only: tuple[str, ...],
    pdf_a: bool,
    time_limit: float,
    max_memory: int,
) -> None:
    """Write OUT/<id>-certificates.pdf: a landscape certificate for every attendee.

    For each in-service with a `certificate:` section: name, in-service, date,
    hours, presenter and signer, one page per person (at most 2,000 in one run).
    """
    from packetgen.kit.certificates import make_certificates
    from packetgen.support._budget import decoding_budget

    with (
        limited(timeout=time_limit, max_memory=max_memory, what="making certificates"),
        decoding_budget(),
    ):
        result = make_certificates(
            spec, out_dir, attendees=attendees, only=list(only) or None, archival=pdf_a
        )
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for path, count in result.outputs:
        click.echo(f"Wrote {path} ({count} certificate{'' if count == 1 else 's'})")


@click.command()
@spec_argument()
@click.option(
    "--attendance",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV with a row per person and in-service: name and inservice (the id), and"
    " optionally present, minutes, items and date.",
)
@out_option(
    "The file to write. Default: out/hours.csv (out/hours.json with --format json).",
    default=None,
    file=True,
    name="out",
)
@click.option(
    "--totals",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the totals per person and year go (with --format csv). Default: beside"
    " --out, named <name>-totals.csv.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="csv: activities and totals in two files, ready for a spreadsheet or an import;"
    " json: everything in one file.",
)
@click.option(
    "--year",
    type=click.IntRange(1900, 2999),
    default=None,
    metavar="YEAR",
    help="Only the activities of this calendar year (default: every year, each on its own).",
)
@limit_options("counting the hours")
def hours(
    spec: Path,
    attendance: Path,
    out: Path | None,
    totals: Path | None,
    fmt: str,
    year: int | None,
    time_limit: float,
    max_memory: int,
) -> None:
    """Write the training hours each person earned, from an attendance CSV.

    Writes --out (default out/hours.csv): one row per person and credited
    activity (attending an in-service, or an item completed as self-study),
    after the credit policy's caps and rounding, with the headers and date
    format of the spec's `records:`; and <name>-totals.csv beside it: each
    person's hours in a year, in person, virtual and self-study. Then lists
    who is short of the hours the policy's `require:` asks for.
    """
    from packetgen.kit.records import hours_records, write_hours
    from packetgen.support._budget import decoding_budget

    if totals is not None and fmt == "json":
        raise click.UsageError("--totals is for --format csv; the JSON file holds the totals too")
    target = out or Path("out") / f"hours.{fmt}"
    with (
        limited(timeout=time_limit, max_memory=max_memory, what="counting the hours"),
        decoding_budget(),
    ):
        report = hours_records(spec, attendance, year=year)
        written = write_hours(report, target, format=fmt, totals=totals)  # type: ignore[arg-type]  # click.Choice guarantees the literal
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    count, people = len(report.activities), report.people
    click.echo(
        f"Wrote {written[0]} ({count} activit{'y' if count == 1 else 'ies'} of {people}"
        f" {'person' if people == 1 else 'people'})"
    )
    for path in written[1:]:
        click.echo(f"Wrote {path}")
    if report.left_out:
        rows = "row" if report.left_out == 1 else "rows"
        click.echo(f"Left out {report.left_out} {rows} dated outside {report.year}.")
    if report.shortfalls:
        click.echo("Short of the hours required:")
        for shortfall in report.shortfalls:
            click.echo(f"  {shortfall}")
    elif report.totals and report.required:
        click.echo("Everyone has the hours required.")


TOOLS = [import_command, links, verify, preview, certificates, hours]
"""The commands :mod:`packetgen.cli` adds to its group."""
