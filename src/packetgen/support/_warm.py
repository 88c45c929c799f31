"""Imported once into the warm process that isolated workers are forked from.

:func:`packetgen.support._isolation.run_isolated` forks each worker from a
server process that has already imported what a build needs, instead of
starting a fresh interpreter that imports it all again (about 1.5 s a worker
on a laptop, most of it WeasyPrint and pydantic). Only imports happen here:
nothing is laid out, no font is loaded (fontconfig stays uninitialised), no
file of the packet is read, so a worker starts from the same state a fresh
``spawn`` worker reaches after its imports, with nothing from an earlier build.

A library that fails to import is skipped: the worker imports it again when
the build needs it and reports the real error there.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading

__all__ = ["LIBRARIES", "fork_safe"]

LIBRARIES = (
    # The public surface: the pipeline, the spec's pydantic models (their
    # schemas are built at import), YAML and Markdown.
    "packetgen",
    # What a build imports lazily, heaviest first. Names of libraries only:
    # packetgen's own stages are imported by the worker, and cost little once
    # these are loaded.
    "weasyprint",
    "fontTools.ttLib.woff2",
    "fontTools.subset",
    "pypdf",
    "cryptography",
    "jinja2",
    "jinja2.sandbox",
    "babel",
    "PIL.Image",
    "qrcode",
    "markdown_it",
)

for _name in LIBRARIES:
    with contextlib.suppress(Exception):
        importlib.import_module(_name)


def _threads() -> int:
    """Threads of this process, native ones included (a C library's own threads)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


_FORK_SAFE = threading.active_count() == 1 and _threads() == 1


def fork_safe() -> bool:
    """Whether the server had one thread only once these imports were done.

    Forking copies just the forking thread: a lock another thread held stays
    held forever in the child. None of these libraries starts a thread on
    import; if one ever does, workers refuse to run from this server and the
    caller starts them fresh instead.
    """
    return _FORK_SAFE
