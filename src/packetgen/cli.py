"""The ``packetgen`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the
result. Errors from the library arrive as :class:`PacketgenError` and are
printed as ``Error: …`` with exit code 1; usage errors exit with 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from packetgen._version import __version__
from packetgen.build import _summary
from packetgen.errors import LimitError, PacketgenError
from packetgen.spec.loader import load_packet
from packetgen.spec.schema import json_schema
from packetgen.spec.starter import write_starter

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

DEFAULT_TIMEOUT = 600.0
"""Seconds a command may run (each build, for serve) before it is stopped."""
DEFAULT_MAX_MEMORY = 4096
"""Megabytes of memory a command may use (each build, for serve)."""
_MAX_PHOTOCOPIES = 5
"""packetgen.tools.verify.MAX_PHOTOCOPIES, repeated so that --help needs no image libraries."""
_VERIFY_PHOTOCOPIES = 2
"""Photocopies `build --verify` simulates. Volunteers scan copies of copies;
one simulated copy still passes 0.6 mm modules that a copy of a copy loses
(see README, "Why the codes are the size they are"), and two cost no more
time than one on the example packet (about 3.3 s)."""

_EXIT_OFFLINE = 3
"""`links --check` could not look up any host: distinct from 1 (a link is broken),
so that a script can tell "fix the spec" from "try again when online"."""

_F = TypeVar("_F", bound=Callable[..., Any])


def _limit_options(what: str, *, timeout: str = "--timeout") -> Callable[[_F], _F]:
    """The time and memory options every command that reads uploads shares with build."""

    def decorate(command: _F) -> _F:
        command = click.option(
            "--max-memory",
            type=click.IntRange(min=128),
            default=DEFAULT_MAX_MEMORY,
            show_default=True,
            metavar="MB",
            help=f"Stop {what} when it needs more memory than this.",
        )(command)
        return click.option(
            timeout,
            "time_limit",
            type=click.FloatRange(min=1),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            help=f"Stop {what} after this many seconds.",
        )(command)

    return decorate


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="packetgen")
def cli() -> None:
    """Turn a packet spec (packet.yaml) into printed training packets.

    Start with `packetgen init my-packet`, edit my-packet/packet.yaml, then
    run `packetgen check my-packet/packet.yaml`.
    """


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="The folder `build` will write to: what the check learns about the handouts is kept"
    " in its build cache, so the build does not open them again.",
)
@click.option(
    "--no-cache", is_flag=True, help="Neither use nor fill the build cache of the --out folder."
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List every handout a screen reader cannot read, where the spec names it, and what to"
    " do about it.",
)
@_limit_options("the check")
def check(
    spec: Path, out_dir: Path, no_cache: bool, verbose: bool, time_limit: float, max_memory: int
) -> None:
    """Check SPEC and every file it names as `build` would, and print a summary.

    Opens every handout (office files through LibreOffice), picture, theme and
    signature the way `build` does, without laying out pages. Exits with 1 and
    lists every problem `build` would stop at, each at its line in the spec
    (file:line:col: field: message).
    """
    from packetgen.build._progress import progress_display
    from packetgen.build.checkup import check as run_check
    from packetgen.support._budget import decoding_budget

    with (
        _limits(timeout=time_limit, max_memory=max_memory, what="the check", writes=False),
        decoding_budget(),
        progress_display(quiet=False, verbose=False) as progress,
    ):
        result = run_check(spec, out_dir, cache=not no_cache, progress=progress)
        # Inside the limits: the summary counts the pages of handouts for credit.
        report = _summary.format_check(result, spec, verbose=verbose) if result.ok else ""
    if not result.ok:
        for line in _summary.warning_lines(result, verbose=verbose):
            click.echo(line, err=True)
        raise PacketgenError(_summary.format_problems(result.problems))
    click.echo(report)


@cli.command()
@click.option("--indent", default=2, show_default=True, help="Spaces per indent level.")
def schema(indent: int) -> None:
    """Print the JSON Schema of the packet spec.

    Point your editor's YAML support at it for completion and checking, e.g.
    `packetgen schema > packet.schema.json` and, at the top of packet.yaml,
    `# yaml-language-server: $schema=packet.schema.json`.
    """
    click.echo(json.dumps(json_schema(), indent=indent, ensure_ascii=False))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing packet.yaml.")
def init(directory: Path, force: bool) -> None:
    """Create DIRECTORY with a starter packet.yaml that passes `check`."""
    written = write_starter(directory, force=force)
    click.echo(f"Wrote {written}. Edit it, then run: packetgen check {written}")


@cli.command("import")
@click.argument("page")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The packet folder to write packet.yaml into (created if needed).",
)
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
        raise PacketgenError(f"{target} already exists; use --force to overwrite it")
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
        raise PacketgenError(f"{page}: no such file; give the web page saved as .html") from None
    except IsADirectoryError:
        raise PacketgenError(f"{page} is a folder; give the web page saved as .html") from None
    except OSError as exc:
        raise PacketgenError(f"cannot read {page}: {exc.strerror}") from None
    if len(html) > limit:
        raise PacketgenError(
            f"{page} is larger than {limit // (1024 * 1024)} MB; a resource page is far"
            ' smaller: save only the page itself (in the browser: Save Page As, "Web Page, HTML'
            ' only")'
        )
    return html


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder for the outputs.",
)
@click.option(
    "--paper", type=click.Choice(["letter", "a4"]), help="Override the spec's paper size."
)
@click.option(
    "--theme", help="Override the spec's theme: default, ink-saver, large-print or a theme folder."
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="ID",
    help="Build only this in-service (repeatable); packet.pdf is skipped.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html", "both"]),
    default="both",
    show_default=True,
    help="Which outputs to write.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print each step.")
@click.option("--json", "as_json", is_flag=True, help="Print the build result as JSON.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "In-services laid out at once: this process and N-1 worker processes."
        " Default: the number of cores."
    ),
)
@click.option(
    "--no-cache", is_flag=True, help="Lay out every output again instead of reusing unchanged ones."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Stop the build after this many seconds (it runs in a separate process).",
)
@click.option(
    "--max-memory",
    type=click.IntRange(min=128),
    default=DEFAULT_MAX_MEMORY,
    show_default=True,
    metavar="MB",
    help="Stop the build when it needs more memory than this.",
)
@click.option(
    "--verify",
    "verify_after",
    is_flag=True,
    help="Scan every QR code of the written PDFs after a simulated photocopy of a photocopy (as"
    " `packetgen verify --photocopy 2` does); fail when a code does not scan.",
)
@click.option(
    "--verify-photocopies",
    type=click.IntRange(0, _MAX_PHOTOCOPIES),
    default=None,
    metavar="N",
    help="Photocopies --verify simulates before scanning (implies --verify). Default: 2, a copy"
    " of a copy; 0 scans the pages as printed.",
)
def build(
    spec: Path,
    out_dir: Path,
    paper: str | None,
    theme: str | None,
    only: tuple[str, ...],
    fmt: str,
    strict: bool,
    quiet: bool,
    verbose: bool,
    as_json: bool,
    jobs: int | None,
    no_cache: bool,
    timeout: float,
    max_memory: int,
    verify_after: bool,
    verify_photocopies: int | None,
) -> None:
    """Build SPEC into PDFs and HTML in the --out folder.

    Writes OUT/<id>.pdf (the binder: packet pages and handouts) and
    OUT/<id>.html for every in-service, and OUT/packet.pdf with all of them.
    """
    from packetgen.build._progress import progress_display
    from packetgen.build.pipeline import build as run_build
    from packetgen.support._budget import decoding_budget

    with (
        _limits(timeout=timeout, max_memory=max_memory),
        decoding_budget(),
        progress_display(quiet=quiet or as_json, verbose=verbose) as progress,
    ):
        result = run_build(
            spec,
            out_dir,
            paper=paper,
            theme=theme,
            only=list(only) or None,
            format=fmt,  # type: ignore[arg-type]  # click.Choice guarantees the literal
            strict=strict,
            progress=progress,
            jobs=jobs or os.cpu_count() or 1,
            cache=not no_cache,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif not quiet:
        for warning in result.warnings:
            click.echo(f"Warning: {warning}", err=True)
        for output in result.outputs:
            what = "certificate" if output.kind == "certificates" else "page"
            count = output.pages or 0
            pages = f" ({count} {what}{'' if count == 1 else 's'})" if count else ""
            unchanged = ", unchanged" if output.cached else ""
            click.echo(f"Wrote {output.path}{pages}{unchanged}")
    if verify_after or verify_photocopies is not None:
        from packetgen.tools.verify import copies_in_words, format_verify, verify_pdf

        copies = _VERIFY_PHOTOCOPIES if verify_photocopies is None else verify_photocopies
        after = f" after {copies_in_words(copies)}" if copies else ""
        failed = []
        # Its own limits, as `packetgen verify` has: the build's time is spent.
        with _limits(timeout=timeout, max_memory=max_memory, what="the QR check", writes=False):
            packet = load_packet(spec)
            for output in result.outputs:
                if output.path.suffix == ".pdf":
                    # A kit's and a certificate's codes (the evaluation form, the
                    # verification address) are not the packet's links: they only
                    # have to scan.
                    spec_links = output.kind in ("binder", "book")
                    report = verify_pdf(
                        output.path,
                        packet=packet if spec_links else None,
                        inservice=output.inservice if spec_links else None,
                        photocopies=copies,
                    )
                    nothing_to_scan = not spec_links and not report.codes
                    if not report.ok and not nothing_to_scan:
                        failed.append(format_verify(report))
                    elif not quiet and not as_json:
                        n = len(report.codes)
                        scan = "scans" if n == 1 else "scan"
                        found = (
                            f"{n} QR code{'' if n == 1 else 's'} {scan}{after}"
                            if n
                            else "no QR codes"
                        )
                        click.echo(f"Verified {output.path}: {found}")
        if failed:
            raise PacketgenError("QR check failed:\n" + "\n".join(failed))


class _TimedOut(BaseException):
    """The build's time limit passed (SIGALRM)."""


@contextlib.contextmanager
def _limits(
    *,
    timeout: float,
    max_memory: int,
    what: str = "the build",
    writes: bool = True,
    option: str = "--timeout",
) -> Iterator[None]:
    """Time and memory limits for this process (and the workers it starts).

    The library isolates a build in a worker process when asked; the CLI is
    already a process of its own, so it limits itself and pays no start-up.
    ``what`` names the work in the messages; ``writes`` says whether it writes
    outputs (which a stopped run leaves as they were); ``option`` is the time
    option to name.
    """
    import resource

    old_memory = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_memory * 1024 * 1024
    if old_memory[1] == resource.RLIM_INFINITY or limit <= old_memory[1]:
        resource.setrlimit(resource.RLIMIT_AS, (limit, old_memory[1]))

    def expire(signum: int, frame: object) -> None:
        raise _TimedOut

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, expire) if in_main else None
    if in_main:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    unchanged = "; earlier outputs are unchanged" if writes else ""
    try:
        yield
    except _TimedOut:
        raise LimitError(
            f"{what} took longer than {timeout:g} s and was stopped{unchanged}"
            f" (raise the limit with {option})"
        ) from None
    except MemoryError:
        raise LimitError(
            f"{what} needed more than {max_memory} MB of memory and was stopped{unchanged}"
            " (raise the limit with --max-memory)"
        ) from None
    finally:
        if in_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, old_memory)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so ``finally`` blocks clean up."""


class _Interrupted(BaseException):
    """SIGINT, raised past click (which would print "Aborted.") to our handler."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def _on_sigint(signum: int, frame: object) -> None:
    raise _Interrupted


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
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
@_limit_options("the command", timeout="--time-limit")
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

    with _limits(
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


@cli.command()
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
@_limit_options("the check")
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
    with _limits(timeout=time_limit, max_memory=max_memory, what="the QR check", writes=False):
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


@cli.command()
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the PNG files.",
)
@click.option("--pages", help='Pages to draw, e.g. "1-4" (default: all).')
@click.option("--dpi", default=60, show_default=True, help="Resolution of the images.")
@click.option("--columns", default=4, show_default=True, help="Pages per row on the contact sheet.")
@_limit_options("the preview")
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

    with _limits(timeout=time_limit, max_memory=max_memory, what="the preview"):
        written = preview_pdf(pdf, out_dir, pages=pages, dpi=dpi, columns=columns)
    for path in written:
        click.echo(f"Wrote {path}")


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", default=8000, show_default=True, help="Port to serve on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; anything but loopback shows the packet to your network.",
)
@click.option("--pdf", is_flag=True, help="Build the PDFs too (slower) and serve them.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@_limit_options("each build")
def serve(
    spec: Path,
    port: int,
    host: str,
    pdf: bool,
    open_browser: bool,
    time_limit: float,
    max_memory: int,
) -> None:
    """Preview SPEC in a browser while you edit it.

    Rebuilds when the spec or a file in its folder changes; the page reloads
    itself and shows the error, with its line number, when the spec is broken.
    Each build runs in a separate process, stopped at the --timeout and
    --max-memory limits (the page then shows why).
    """
    from packetgen.serve.server import serve as run_server

    try:
        run_server(
            spec,
            host=host,
            port=port,
            pdf=pdf,
            open_browser=open_browser,
            on_event=lambda line: click.echo(line, err=True),
            timeout=time_limit,
            max_memory=max_memory * 1024 * 1024,
        )
    except _Interrupted:
        click.echo("Stopped.", err=True)


@cli.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to serve the editor on (0: any free port).",
)
@click.option("--no-open", is_flag=True, help="Do not open the editor in a browser.")
@click.option(
    "--fetch",
    is_flag=True,
    help="When you add an item by its web address, read the page's title from the web"
    " (network access, off by default).",
)
@_limit_options("each build")
def edit(
    spec: Path, port: int, no_open: bool, fetch: bool, time_limit: float, max_memory: int
) -> None:
    """Edit SPEC in your browser: a form for the packet beside its live preview.

    SPEC is a packet.yaml, or a folder: a folder without a packet.yaml gets the
    starter packet of `packetgen init` first. Prints the editor's address on the
    first line, then runs until you press Ctrl-C. Every save is checked as
    `packetgen check` checks the file and keeps your comments; the previous
    version is kept as packet.yaml.bak. Only this computer can open the editor.
    """
    from packetgen.serve.edit import edit as run_editor

    try:
        run_editor(
            spec,
            port=port,
            open_browser=not no_open,
            fetch=fetch,
            on_event=click.echo,
            timeout=time_limit,
            max_memory=max_memory * 1024 * 1024,
        )
    except _Interrupted:
        click.echo("Stopped.")


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--attendees",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with a name column; overrides the spec's attendees.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder for the certificate PDFs.",
)
@click.option(
    "--only", "only", multiple=True, metavar="ID", help="Only this in-service (repeatable)."
)
@_limit_options("making certificates")
def certificates(
    spec: Path,
    attendees: Path | None,
    out_dir: Path,
    only: tuple[str, ...],
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
        _limits(timeout=time_limit, max_memory=max_memory, what="making certificates"),
        decoding_budget(),
    ):
        result = make_certificates(spec, out_dir, attendees=attendees, only=list(only) or None)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for path, count in result.outputs:
        click.echo(f"Wrote {path} ({count} certificate{'' if count == 1 else 's'})")


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--attendance",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV with a row per person and in-service: name and inservice (the id), and"
    " optionally present, minutes, items and date.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file to write. Default: out/hours.csv (out/hours.json with --format json).",
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
@_limit_options("counting the hours")
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
        _limits(timeout=time_limit, max_memory=max_memory, what="counting the hours"),
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


@cli.command()
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="The output folder whose build cache to remove.",
)
def clean(out_dir: Path) -> None:
    """Remove the build cache kept in the output folder (outputs stay)."""
    from packetgen.build._cache import clean as clean_cache

    if clean_cache(out_dir):
        click.echo(f"Removed the build cache of {out_dir}")
    else:
        click.echo(f"{out_dir} has no build cache")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (for tests and embedding).

    SIGINT (Ctrl-C) exits with 130 and SIGTERM with 143, in both cases after
    temporary files are removed; earlier outputs are never touched, because
    outputs are only ever replaced by a finished file.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    previous = previous_int = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        previous_int = signal.signal(signal.SIGINT, _on_sigint)
    try:
        # Without standalone mode click returns the code of a click Exit
        # (e.g. `links --check` finding a broken link) instead of exiting.
        code = cli.main(args=args, prog_name="packetgen", standalone_mode=False)
    except PacketgenError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, _Interrupted):
        click.echo("Interrupted; earlier outputs are unchanged.", err=True)
        return 130
    except _Terminated:
        click.echo("Terminated; earlier outputs are unchanged.", err=True)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
    return code if isinstance(code, int) else 0
