"""The ``packetgen`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the
result. Errors from the library arrive as :class:`PacketgenError` and are
printed as ``Error: …`` with exit code 1; usage errors exit with 2.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import click

from . import _summary
from ._version import __version__
from .errors import PacketgenError
from .loader import load_packet
from .schema import json_schema
from .starter import write_starter

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="packetgen")
def cli() -> None:
    """Turn a packet spec (packet.yaml) into printed training packets.

    Start with `packetgen init my-packet`, edit my-packet/packet.yaml, then
    run `packetgen check my-packet/packet.yaml`.
    """


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
def check(spec: Path) -> None:
    """Validate SPEC and every file it names, and print a summary.

    Exits with 1 and lists every problem (file:line:col: field: message) when
    the spec is invalid.
    """
    packet = load_packet(spec)
    click.echo(_summary.format_summary(packet, spec))


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
) -> None:
    """Build SPEC into PDFs and HTML in the --out folder.

    Writes OUT/<id>.pdf (the binder: packet pages and handouts) and
    OUT/<id>.html for every in-service, and OUT/packet.pdf with all of them.
    """
    from .build import build as run_build

    progress = (lambda message: click.echo(message, err=True)) if verbose and not quiet else None
    result = run_build(
        spec,
        out_dir,
        paper=paper,
        theme=theme,
        only=list(only) or None,
        format=fmt,  # type: ignore[arg-type]  # click.Choice guarantees the literal
        strict=strict,
        progress=progress,
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    if quiet:
        return
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for output in result.outputs:
        pages = f" ({output.pages} pages)" if output.pages else ""
        click.echo(f"Wrote {output.path}{pages}")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so ``finally`` blocks clean up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (for tests and embedding).

    SIGINT (Ctrl-C) exits with 130 and SIGTERM with 143, in both cases after
    temporary files are removed; earlier outputs are never touched, because
    outputs are only ever replaced by a finished file.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli.main(args=args, prog_name="packetgen", standalone_mode=False)
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
    except KeyboardInterrupt:
        click.echo("Interrupted; earlier outputs are unchanged.", err=True)
        return 130
    except _Terminated:
        click.echo("Terminated; earlier outputs are unchanged.", err=True)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
