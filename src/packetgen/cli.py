"""The ``packetgen`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the
result. Errors from the library arrive as :class:`PacketgenError` and are
printed as ``Error: …`` with exit code 1; usage errors exit with 2.

Here: the group, :func:`main`, and the commands of the everyday loop (init,
schema, check, build, clean). The commands around it are in
:mod:`packetgen._cli_tools`; the options they share in :mod:`packetgen._cli_options`.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from packetgen._cli_options import (
    CONTEXT,
    Interrupted,
    Terminated,
    limit_options,
    on_sigint,
    on_sigterm,
    only_option,
    out_option,
    spec_argument,
)
from packetgen._cli_options import MAX_PHOTOCOPIES as _MAX_PHOTOCOPIES
from packetgen._cli_tools import TOOLS
from packetgen._version import __version__
from packetgen.build import _summary
from packetgen.build.defaults import command_jobs
from packetgen.build.limits import MB, limited
from packetgen.errors import BuildError, CheckError, PacketgenError
from packetgen.spec.loader import load_packet
from packetgen.spec.schema import json_schema
from packetgen.spec.starter import write_starter

if TYPE_CHECKING:
    from packetgen.build.results import BuildResult

__all__ = ["cli", "main"]

_VERIFY_PHOTOCOPIES = 2
"""Photocopies `build --verify` simulates. Volunteers scan copies of copies;
one simulated copy still passes 0.6 mm modules that a copy of a copy loses
(see README, "Why the codes are the size they are"), and two cost no more
time than one on the example packet (about 3.3 s)."""


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="packetgen")
def cli() -> None:
    """Turn a packet spec (packet.yaml) into printed training packets.

    Start with `packetgen init my-packet`, edit my-packet/packet.yaml, then
    run `packetgen check my-packet/packet.yaml`.
    """


@cli.command()
@spec_argument()
@out_option(
    "The folder `build` will write to: what the check learns about the handouts is kept"
    " in its build cache, so the build does not open them again."
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
@limit_options("the check")
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
        limited(timeout=time_limit, max_memory=max_memory, what="the check", writes=False),
        decoding_budget(),
        progress_display(quiet=False, verbose=False) as progress,
    ):
        result = run_check(spec, out_dir, cache=not no_cache, progress=progress)
        # Inside the limits: the summary counts the pages of handouts for credit.
        report = _summary.format_check(result, spec, verbose=verbose) if result.ok else ""
    if not result.ok:
        for line in _summary.warning_lines(result, verbose=verbose):
            click.echo(line, err=True)
        raise CheckError(_summary.format_problems(result.problems))
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


@cli.command()
@spec_argument()
@out_option("Folder for the outputs.")
@click.option(
    "--paper", type=click.Choice(["letter", "a4"]), help="Override the spec's paper size."
)
@click.option(
    "--theme", help="Override the spec's theme: default, ink-saver, large-print or a theme folder."
)
@only_option("Build only this in-service (repeatable); packet.pdf is skipped.")
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
@limit_options("the build")
@click.option(
    "--pdf-a",
    "pdf_a",
    is_flag=True,
    help="Make every PDF an archival PDF (PDF/A-2b) too, as `archival: pdf/a-2b` in the spec"
    " does: for training records kept for years.",
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
    time_limit: float,
    max_memory: int,
    verify_after: bool,
    verify_photocopies: int | None,
    pdf_a: bool,
) -> None:
    """Build SPEC into PDFs and HTML in the --out folder.

    Writes OUT/<id>.pdf (the binder: packet pages and handouts) and
    OUT/<id>.html for every in-service, and OUT/packet.pdf with all of them.
    """
    from packetgen.build._progress import progress_display
    from packetgen.build.pipeline import build as run_build
    from packetgen.support._budget import decoding_budget

    with (
        limited(timeout=time_limit, max_memory=max_memory),
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
            jobs=jobs or command_jobs(),
            cache=not no_cache,
            archival=pdf_a,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif not quiet:
        for warning in result.warnings:
            click.echo(f"Warning: {warning}", err=True)
        for line in _summary.output_lines(result):
            click.echo(line)
    if verify_after or verify_photocopies is not None:
        # Its own limits, as `packetgen verify` has: the build's time is spent.
        with limited(timeout=time_limit, max_memory=max_memory, what="the QR check", writes=False):
            _verify_outputs(result, spec, verify_photocopies, say=not quiet and not as_json)


def _verify_outputs(result: BuildResult, spec: Path, photocopies: int | None, *, say: bool) -> None:
    """``build --verify``: scan every QR code of the PDFs the build wrote."""
    from packetgen.tools.verify import copies_in_words, format_verify, verify_pdf

    copies = _VERIFY_PHOTOCOPIES if photocopies is None else photocopies
    after = f" after {copies_in_words(copies)}" if copies else ""
    failed = []
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
            elif say:
                n = len(report.codes)
                scan = "scans" if n == 1 else "scan"
                found = f"{n} QR code{'' if n == 1 else 's'} {scan}{after}" if n else "no QR codes"
                click.echo(f"Verified {output.path}: {found}")
    if failed:
        raise BuildError("QR check failed:\n" + "\n".join(failed))


@cli.command()
@spec_argument()
@click.option("--port", default=8000, show_default=True, help="Port to serve on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; anything but loopback shows the packet to your network.",
)
@click.option("--pdf", is_flag=True, help="Build the PDFs too (slower) and serve them.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@limit_options("each build")
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
    from packetgen.serve.run import serve as run_server

    try:
        run_server(
            spec,
            host=host,
            port=port,
            pdf=pdf,
            open_browser=open_browser,
            on_event=lambda line: click.echo(line, err=True),
            timeout=time_limit,
            max_memory=max_memory * MB,
        )
    except Interrupted:
        click.echo("Stopped.", err=True)


@cli.command()
@spec_argument(folder=True)
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
@limit_options("each build")
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
    from packetgen.serve.run import edit as run_editor

    try:
        run_editor(
            spec,
            port=port,
            open_browser=not no_open,
            fetch=fetch,
            on_event=click.echo,
            timeout=time_limit,
            max_memory=max_memory * MB,
        )
    except Interrupted:
        click.echo("Stopped.")


@cli.command()
@out_option("The output folder whose build cache to remove.")
def clean(out_dir: Path) -> None:
    """Remove the build cache kept in the output folder (outputs stay)."""
    from packetgen.build._cache import clean as clean_cache

    if clean_cache(out_dir):
        click.echo(f"Removed the build cache of {out_dir}")
    else:
        click.echo(f"{out_dir} has no build cache")


for _command in TOOLS:
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (for tests and embedding).

    SIGINT (Ctrl-C) exits with 130 and SIGTERM with 143, in both cases after
    temporary files are removed; earlier outputs are never touched, because
    outputs are only ever replaced by a finished file.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    previous = previous_int = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_sigterm)
        previous_int = signal.signal(signal.SIGINT, on_sigint)
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
    except (KeyboardInterrupt, Interrupted):
        click.echo("Interrupted; earlier outputs are unchanged.", err=True)
        return 130
    except Terminated:
        click.echo("Terminated; earlier outputs are unchanged.", err=True)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
    return code if isinstance(code, int) else 0
