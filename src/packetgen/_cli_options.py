"""What the ``packetgen`` commands share: their options (the spec argument,
``-o/--out``, ``--only``, the time and memory limits), the defaults those take
from :mod:`packetgen.build.defaults`, and the signals that stop a command.

Part of the public surface with :mod:`packetgen.cli`, which no stage imports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from packetgen.build.defaults import COMMAND_MAX_MEMORY_MB, COMMAND_TIMEOUT

__all__ = [
    "CONTEXT",
    "MAX_PHOTOCOPIES",
    "Interrupted",
    "Terminated",
    "limit_options",
    "on_sigint",
    "on_sigterm",
    "only_option",
    "out_option",
    "spec_argument",
]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MAX_PHOTOCOPIES = 5
"""packetgen.tools.verify.MAX_PHOTOCOPIES, repeated so that --help needs no image libraries."""

F = TypeVar("F", bound=Callable[..., Any])


def spec_argument(*, folder: bool = False) -> Callable[[F], F]:
    """SPEC, the packet.yaml (with ``folder``, a folder may be given instead)."""
    kind = click.Path(path_type=Path) if folder else click.Path(dir_okay=False, path_type=Path)
    return click.argument("spec", type=kind)


def out_option(
    help: str,
    *,
    default: Path | None = Path("out"),
    required: bool = False,
    file: bool = False,
    name: str = "out_dir",
) -> Callable[[F], F]:
    """``-o/--out``: the output folder (with ``file``, the output file)."""
    kind = (
        click.Path(dir_okay=False, path_type=Path)
        if file
        else click.Path(file_okay=False, path_type=Path)
    )
    return click.option(
        "-o",
        "--out",
        name,
        type=kind,
        default=None if required else default,
        required=required,
        show_default=default is not None and not required,
        help=help,
    )


def only_option(help: str) -> Callable[[F], F]:
    """``--only ID``, repeatable: the in-services to work on."""
    return click.option("--only", "only", multiple=True, metavar="ID", help=help)


def limit_options(what: str, *, timeout: str = "--timeout") -> Callable[[F], F]:
    """The time and memory options of every command that reads what it is given
    (``time_limit`` in seconds, ``max_memory`` in MB)."""

    def decorate(command: F) -> F:
        command = click.option(
            "--max-memory",
            type=click.IntRange(min=128),
            default=COMMAND_MAX_MEMORY_MB,
            show_default=True,
            metavar="MB",
            help=f"Stop {what} when it needs more memory than this.",
        )(command)
        return click.option(
            timeout,
            "time_limit",
            type=click.FloatRange(min=1),
            default=COMMAND_TIMEOUT,
            show_default=True,
            help=f"Stop {what} after this many seconds.",
        )(command)

    return decorate


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so ``finally`` blocks clean up."""


class Interrupted(BaseException):
    """SIGINT, raised past click (which would print "Aborted.") to our handler."""


def on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def on_sigint(signum: int, frame: object) -> None:
    raise Interrupted
