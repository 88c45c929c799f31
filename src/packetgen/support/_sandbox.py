"""Run LibreOffice on one document with no network, no view of the disk, and no orphans.

The document goes in on standard input and the PDF comes out on standard
output; LibreOffice works in a private temporary folder. Three levels, the
best this computer offers:

``bubblewrap``
    ``bwrap`` with every namespace unshared: no network at all, a file system
    of the system's programs, libraries and fonts (read-only) and an empty
    private ``/tmp``; nothing of the user's files, the packet folder or other
    uploads is visible. ``--die-with-parent`` and a private PID namespace
    end every LibreOffice process when packetgen ends, however it ends.
``namespaces``
    ``unshare`` (util-linux) where bubblewrap is missing: a network namespace
    with nothing in it, a private ``/tmp`` (tmpfs) and a PID namespace that is
    torn down with packetgen (``setpriv --pdeathsig``, ``--kill-child``). The
    rest of the disk stays visible, which is why external references are also
    removed from the document beforehand (see ``_office_refs``).
``none``
    macOS, Windows, or Linux without user namespaces: LibreOffice runs in its
    own session in a temporary folder that packetgen removes, and is killed
    with its session on timeout. A build says so once (see :func:`notice`).

Every level runs the same small shell script, so what LibreOffice is asked to
do does not depend on the level.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

__all__ = ["Conversion", "Sandbox", "detect_sandbox", "run_conversion"]

# LibreOffice's settings for the private profile: no macros, no updating of
# links to other files or servers, no following of untrusted referers.
# Writer counts link modes 0 always / 1 on request / 2 never; Calc 0 always /
# 1 never / 2 on request.
_SETTINGS = (
    ("Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("Writer/Content/Update", "Link", "2"),
    ("Writer/Content/Update", "Field", "false"),
    ("Calc/Content/Update", "Link", "1"),
)
REGISTRY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry"'
    ' xmlns:xs="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    + "".join(
        f'<item oor:path="/org.openoffice.Office.{group}"><prop oor:name="{name}"'
        f' oor:op="fuse"><value>{value}</value></prop></item>\n'
        for group, name, value in _SETTINGS
    )
    + "</oor:items>\n"
)

# $1 soffice, $2 extension, $3 filter, $4 byte limit + 1, $5 work folder,
# $6 "mount" to put a tmpfs on the work folder first (the unshare level).
_SCRIPT = r"""
set -e
soffice="$1"; ext="$2"; filter="$3"; limit="$4"; work="$5"
if [ "$6" = mount ]; then mount -t tmpfs -o size=2g,mode=700 packetgen "$work"; fi
mkdir -p "$work/in" "$work/out" "$work/profile/user"
printf '%s' "$PACKETGEN_REGISTRY" > "$work/profile/user/registrymodifications.xcu"
cat > "$work/in/handout.$ext"
cd "$work"
HOME="$work" "$soffice" --headless --norestore --nolockcheck \
  "-env:UserInstallation=file://$work/profile" \
  --convert-to "pdf:$filter" --outdir "$work/out" "$work/in/handout.$ext" >&2
if [ ! -s "$work/out/handout.pdf" ]; then
  echo "LibreOffice wrote no PDF" >&2
  exit 3
fi
exec head -c "$limit" "$work/out/handout.pdf"
"""


@dataclass(frozen=True)
class Sandbox:
    level: str
    """"bubblewrap", "namespaces" or "none"."""
    prefix: tuple[str, ...]
    """The command that runs the script inside the sandbox."""
    mounts_tmp: bool
    """Whether the script must mount its own tmpfs (the ``namespaces`` level)."""


def _bubblewrap(bwrap: str) -> tuple[str, ...]:
    binds: list[str] = []
    for path in ("/usr", "/etc/fonts", "/etc/ld.so.cache", "/etc/libreoffice", "/opt/libreoffice",
                 "/var/cache/fontconfig", "/etc/alternatives", "/etc/localtime"):  # fmt: skip
        binds += ["--ro-bind-try", path, path]
    # The user's own fonts: a trainer who installed Calibri expects it to be used.
    home = os.path.expanduser("~")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    for path in (os.path.join(home, ".fonts"), os.path.join(data, "fonts")):
        binds += ["--ro-bind-try", path, path]
    # Merged-/usr systems link these into /usr; older ones have real folders.
    for path in ("/bin", "/lib", "/lib64", "/sbin"):
        if os.path.islink(path):
            binds += ["--symlink", os.readlink(path), path]
        else:
            binds += ["--ro-bind-try", path, path]
    return (
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        *binds,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--chdir",
        "/tmp",
    )


def _namespaces(unshare: str, setpriv: str | None) -> tuple[str, ...]:
    # setpriv makes unshare die with packetgen; --kill-child then takes the
    # namespace's first process down, and with it the whole PID namespace.
    pdeath = (setpriv, "--pdeathsig", "KILL", "--") if setpriv else ()
    return (
        *pdeath,
        unshare,
        "--net",
        "--map-root-user",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child=SIGKILL",
    )


def _works(prefix: tuple[str, ...], mounts_tmp: bool) -> bool:
    probe = "mount -t tmpfs packetgen /tmp && true" if mounts_tmp else "true"
    try:
        done = subprocess.run(
            [*prefix, "sh", "-c", probe],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def detect_sandbox() -> Sandbox:
    """The strongest sandbox this computer can run (probed once per process).

    ``PACKETGEN_SANDBOX=namespaces`` or ``none`` asks for a weaker level (for
    tests of each level, and for machines where a probe passes but LibreOffice
    cannot run inside).
    """
    return _detect(os.environ.get("PACKETGEN_SANDBOX", ""))


@functools.cache
def _detect(asked: str) -> Sandbox:
    if sys.platform.startswith("linux"):
        if asked not in ("namespaces", "none"):
            bwrap = shutil.which("bwrap")
            if bwrap is not None:
                prefix = _bubblewrap(bwrap)
                if _works(prefix, mounts_tmp=False):
                    return Sandbox("bubblewrap", prefix, mounts_tmp=False)
        if asked != "none":
            unshare = shutil.which("unshare")
            if unshare is not None:
                prefix = _namespaces(unshare, shutil.which("setpriv"))
                if _works(prefix, mounts_tmp=True):
                    return Sandbox("namespaces", prefix, mounts_tmp=True)
    return Sandbox("none", (), mounts_tmp=False)


def notice(sandbox: Sandbox) -> str | None:
    """What a trainer or operator should know about the sandbox, or None."""
    if sandbox.level == "bubblewrap" or not sys.platform.startswith("linux"):
        return None
    if sandbox.level == "namespaces":
        return (
            "LibreOffice ran without network access but could see this computer's files; "
            "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`) to hide them"
        )
    return (
        "LibreOffice ran without a sandbox: this computer allows neither bubblewrap nor "
        "user namespaces, so a document could make it read local files or the network "
        "(packetgen removed the links it could find). Install bubblewrap "
        "(`sudo apt-get install bubblewrap`), or export office files to PDF before building"
    )


@dataclass
class Conversion:
    returncode: int | None
    """None when it was stopped at the time limit."""
    pdf: bytes
    stderr: bytes


def _stop(process: subprocess.Popen[bytes]) -> None:
    # LibreOffice starts helper processes of its own; end the whole session
    # it started in, or a hung conversion would outlive packetgen.
    if sys.platform == "win32":
        process.kill()
    else:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _program_binds(sandbox: Sandbox, program: str) -> list[str]:
    """Make a LibreOffice installed outside /usr (e.g. /opt/libreoffice7.6) visible, read-only."""
    if sandbox.level != "bubblewrap" or program.startswith("/usr/"):
        return []
    # .../program/soffice: its installation is two levels up.
    root = os.path.dirname(os.path.dirname(program))
    return ["--ro-bind", root, root]


@contextmanager
def _work_folder(sandbox: Sandbox) -> Iterator[str]:
    if sandbox.level == "bubblewrap":
        yield "/tmp"  # the sandbox's own tmpfs, gone with the sandbox
    elif sandbox.level == "namespaces":
        yield "/tmp"  # a tmpfs mounted inside the namespace over the host's /tmp
    else:
        with tempfile.TemporaryDirectory(prefix="packetgen-soffice-") as folder:
            yield folder


def run_conversion(
    soffice: str, document: bytes, ext: str, export_filter: str, *, timeout: float, limit: int
) -> Conversion:
    """Convert ``document`` (bytes of a ``.ext`` file) to PDF; read at most ``limit`` bytes of it.

    Raises :class:`OSError` when the sandbox or LibreOffice cannot be started.
    """
    sandbox = detect_sandbox()
    program = os.path.realpath(soffice)
    with _work_folder(sandbox) as work:
        command = [
            *sandbox.prefix,
            *_program_binds(sandbox, program),
            "sh",
            "-c",
            _SCRIPT,
            "packetgen-convert",
            program,
            ext,
            export_filter,
            str(limit),
            work,
            "mount" if sandbox.mounts_tmp else "",
        ]
        if sandbox.level == "none":
            env = {**os.environ, "PACKETGEN_REGISTRY": REGISTRY}
        else:
            # Nothing of packetgen's environment (a service's credentials) goes in.
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PACKETGEN_REGISTRY": REGISTRY}
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
        try:
            stdout, stderr = process.communicate(document, timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return Conversion(None, b"", b"")
        except BaseException:
            _stop(process)
            raise
        return Conversion(process.returncode, stdout, stderr)
