"""The one exception family of packetgen.

Every error a trainer can cause derives from :class:`PacketgenError`, so a
caller (the CLI, or a service embedding packetgen) needs a single ``except``.
Messages are written for the trainer: they name the file, the place in it and
the field, and say what was expected and what was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "BuildError",
    "CertificateError",
    "CheckError",
    "DocumentError",
    "FetchError",
    "HandoutError",
    "LimitError",
    "OptionError",
    "OutputError",
    "PacketgenError",
    "Problem",
    "QRCapacityError",
    "ServerError",
    "SpecError",
    "ThemeError",
]


class PacketgenError(Exception):
    """Base class of every error packetgen raises on purpose.

    Every subclass pickles with its message and attributes (``problems``,
    ``file``, ``item``…) whatever its ``__init__`` takes, so an error raised in
    an isolated worker process (:func:`packetgen.support._isolation.run_isolated`)
    reaches the caller as the same class with the same message. The traceback
    and the chained cause stay behind: they name paths on the machine.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(
    cls: type[PacketgenError], args: tuple[Any, ...], state: dict[str, Any]
) -> PacketgenError:
    # BaseException.__new__ takes any arguments and does not call __init__, so
    # subclasses with their own signatures (SpecError(problems), HandoutError(
    # file, message, item=…)) come back exactly as they were.
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


@dataclass(frozen=True)
class Problem:
    """One problem found in a spec, located as precisely as the source allows."""

    file: str
    """Path of the spec file as the user gave it."""
    line: int | None
    """1-based line, when known."""
    column: int | None
    """1-based column, when known."""
    field: str
    """Dotted field path such as ``inservices[0].items[2].url`` (empty for the whole file)."""
    message: str
    """What was expected and what was found."""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecError(PacketgenError):
    """The packet spec is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        head = f"{len(self.problems)} problems in the packet spec:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class HandoutError(PacketgenError):
    """A handout file (PDF, image, office document) cannot be used as given.

    :attr:`handout` is the file as the spec names it (or as the reader was
    given it). Once the error is :meth:`located` in the spec, :attr:`problem`
    places it like any spec problem: the spec file, the ``line`` and ``column``
    of the field naming the handout, the ``field`` (``inservices[0].items[2].file``)
    and the message (``handout: item: what is wrong and what to do``), so that
    ``str(problem) == str(error)``; before that, :attr:`problem` names the
    handout itself, with no line.

    :attr:`file`, :attr:`item` and :attr:`detail` are kept as they always were
    (for a located error, :attr:`file` is everything before the item: place,
    field and handout).
    """

    def __init__(self, file: str, message: str, *, item: str | None = None) -> None:
        self.file = file
        self.handout = file
        self.item = item
        self.detail = message
        self.problem = Problem(file, None, None, "", _said("", item, message))
        self.spec: str | None = None
        """The spec file naming the handout; None until located."""
        super().__init__(_said(file, item, message))

    @staticmethod
    def located(
        file: str,
        message: str,
        *,
        item: str | None,
        spec: str,
        line: int | None,
        column: int | None,
        field: str,
    ) -> HandoutError:
        """The error about ``file`` named as the spec names it: at ``spec:line:column``,
        in ``field`` (a plain :class:`HandoutError`, whatever the error it replaces)."""
        where = f"{spec}:{line}:{column}" if line is not None else spec
        error = HandoutError(f"{where}: {field}: {file}", message, item=item)
        error.handout = file
        error.problem = Problem(spec, line, column, field, _said(file, item, message))
        error.spec = spec
        return error

    @property
    def at_field(self) -> str:
        """The message without its place in the spec and its field (``file: item:
        message``), as an editor shows it beside the field."""
        if self.spec is None:
            return str(self)
        return _said(self.handout, self.item, self.detail)


def _said(file: str, item: str | None, message: str) -> str:
    where = f"{file}: " if file else ""
    what = f"{item}: " if item else ""
    return f"{where}{what}{message}"


class QRCapacityError(PacketgenError):
    """A URL is too long to fit in any QR code at the chosen error correction."""


class BuildError(PacketgenError):
    """Rendering or writing the outputs failed for a reason other than the spec."""


class LimitError(PacketgenError):
    """The build went past a limit on time, memory or size and was stopped."""


class OptionError(PacketgenError):
    """A command-line option or a function argument is out of its range
    (a port, a page selection, a number of jobs…)."""


class OutputError(PacketgenError):
    """An output cannot be written where it was asked for (a file in the way,
    a folder that is not writable, an input that would be overwritten)."""


class ThemeError(PacketgenError):
    """A theme (built-in or a folder of the trainer's) cannot be used."""


class DocumentError(PacketgenError):
    """A PDF or picture given to a tool (``verify``, ``preview``) cannot be read."""


class FetchError(PacketgenError):
    """A web page or document could not be fetched (``--fetch``, ``--download``)."""


class CertificateError(PacketgenError):
    """Certificates cannot be made as the spec and the attendee list ask."""


class ServerError(PacketgenError):
    """The preview server or the editor cannot start or answer as asked."""


class CheckError(PacketgenError):
    """``packetgen check`` found problems that would stop the build (every one,
    each at its line in the spec)."""


def utf8_problem(raw: bytes, exc: UnicodeDecodeError, name: str, advice: str) -> Problem:
    """Where a file stops being UTF-8, as a :class:`Problem` (1-based line and column)."""
    line = raw.count(b"\n", 0, exc.start) + 1
    col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    return Problem(
        name, line, col, "", f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x}; {advice}"
    )
