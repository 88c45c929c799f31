"""The defaults of a build, in one table for the library and the ``packetgen`` command.

The library runs inside its caller's process: :func:`~packetgen.build.pipeline.build`
lays out in that process only and sets no limit unless asked, so a service
embedding packetgen chooses its own. A command is a process of its own on a
trainer's computer: it uses every core and stops a run that runs away. The CLI
takes its option defaults from here, and says them in ``--help``.
"""

from __future__ import annotations

import os

__all__ = [
    "ARCHIVAL",
    "COMMAND_MAX_MEMORY_MB",
    "COMMAND_TIMEOUT",
    "JOBS",
    "MAX_MEMORY",
    "TIMEOUT",
    "command_jobs",
]

ARCHIVAL = False
"""Whether :func:`build` makes every PDF PDF/A-2b even when the spec does not ask
(``archival: pdf/a-2b``); off, the outputs are exactly as without the option."""
JOBS = 1
"""In-services :func:`build` lays out at once: this process only, no worker processes."""
TIMEOUT: float | None = None
"""Seconds :func:`build` may take (None: no limit, and no separate worker process)."""
MAX_MEMORY: int | None = None
"""Bytes of memory :func:`build` may use (None: no limit, and no separate worker process)."""

COMMAND_TIMEOUT = 600.0
"""Seconds a command may run (each build, for ``serve`` and ``edit``) before it is stopped."""
COMMAND_MAX_MEMORY_MB = 4096
"""Megabytes of memory a command may use (each build, for ``serve`` and ``edit``)."""


def command_jobs() -> int:
    """In-services ``packetgen build`` lays out at once unless ``--jobs`` says: one per core."""
    return os.cpu_count() or 1
