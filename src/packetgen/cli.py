"""The ``packetgen`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the
result. Errors from the library arrive as :class:`PacketgenError` and are
printed as ``Error: …`` with exit code 1; usage errors exit with 2.
"""

from __future__ import annotations

import json
import sys
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (for tests and embedding)."""
    args = list(sys.argv[1:] if argv is None else argv)
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
        click.echo("Interrupted.", err=True)
        return 130
    return 0
