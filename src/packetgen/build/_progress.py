"""How the CLI shows a build's progress: a bar on a terminal, plain lines in logs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import click

from packetgen.build.results import Progress, ProgressEvent


@contextlib.contextmanager
def progress_display(*, quiet: bool, verbose: bool) -> Iterator[Progress | None]:
    """Yield the callback for :func:`packetgen.build.pipeline.build`.

    On a terminal: a progress bar (rich) that disappears when the build ends.
    Otherwise (CI logs, pipes): one line per finished output, and with
    ``verbose`` every step. Nothing at all with ``quiet``.
    """
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():

        def plain(event: ProgressEvent) -> None:
            if verbose or event.message.startswith(("Laid out", "Wrote")):
                click.echo(f"[{event.done}/{event.total}] {event.message}", err=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Building", total=None)

        def show(event: ProgressEvent) -> None:
            if verbose:
                console.log(event.message)
            bar.update(task, total=event.total, completed=event.done, description=event.message)

        yield show
