#!/usr/bin/env python3
"""packetgen's benchmark: `make bench` (or `.venv/bin/python benchmarks/run.py`).

Generates its inputs under benchmarks/_work/ (see inputs.py), runs every case
in a fresh process, prints medians with min-max and the ratios measured in this
run next to their targets (README, "Speed"), and writes benchmarks/results.json.
Two cases run helper scripts instead of `packetgen build`: direct_weasyprint.py
(WeasyPrint alone on packetgen's print HTML, the baseline of render_overhead)
and build_without_qr.py (a build whose QR codes are not stamped, the baseline
of qr_draw_cost).

Every timed run is one subprocess; its wall time is measured from start to
exit, and its peak memory is the ``ru_maxrss`` that ``os.wait4()`` reports for
that child (the largest resident set of the process and of any worker process
it waited for). Runs of cases that feed one ratio are interleaved round by
round, so a change in machine load hits both sides alike.

The whole run keeps to a time budget (default 560 s, so `make bench` ends
within 10 minutes on 2 cores). The fast cases come first, with all their runs
(up to 5, interleaved), in at most 45% of the budget; a first run that overruns
its share is stopped and counts as a lower bound (shown as ">"). Then the slow
cases by priority (rebuild with nothing changed, --jobs, rebuild after an edit,
640 items): a group is run only when its time predicted from the 40-item build
fits in what is left, and is otherwise reported as not run. Cases with fewer
than 5 runs are marked in the output and in results.json.

Options: --quick (one run per case), --reps N, --budget SECONDS (0: no limit).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import inputs as gen  # noqa: E402  (benchmarks/ is not a package)

WORK = HERE / "_work"
RESULTS = HERE / "results.json"
ID40 = "inservice-01"
TARGET_REPS = 5
HANDOUT_PAGES = gen.HANDOUTS * gen.HANDOUT_PAGES + gen.MANUAL_PAGES
# Written as escapes: ruff (RUF001) takes the characters themselves for look-alikes.
TIMES = "\u00d7"
DASH = "\u2013"

RSS_METHOD = (
    "ru_maxrss of each child process from os.wait4() (its peak resident set, and that of any"
    " worker process it waited for)"
)


# ---------------------------------------------------------------- running one process


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float
    rss_mb: float
    timed_out: bool = False


class RunFailed(Exception):
    pass


def _run_one(argv: list[str], timeout: float | None, log: Path) -> tuple[float, float, float, bool]:
    """Run ``argv``; return (wall s, user+sys s, max RSS MB, timed out)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the child and its worker processes

        timer = threading.Timer(timeout, stop) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    rss = usage.ru_maxrss / 1024  # KiB on Linux
    if fired.is_set():
        return seconds, cpu, rss, True
    ok = (0, 3) if Path(argv[0]).name == "qpdf" else (0,)  # qpdf: 3 = succeeded with warnings
    if proc.returncode not in ok:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RunFailed(f"{' '.join(argv[:6])}… exited with {proc.returncode}:\n{tail}")
    return seconds, cpu, rss, False


# ---------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    what: str
    commands: Callable[[], list[list[str]]]
    """The processes of one run, run one after another (timed together)."""
    weight: float
    """Rough relative cost, for sharing the time budget among first runs."""
    prepare: Callable[[int], None] | None = None
    """Untimed, before run ``i``."""
    check: Callable[[int, Path], str | None] | None = None
    """After run ``i``, with its output log: a problem, or None."""
    after_timeout: Callable[[], None] | None = None
    untimed: bool = False
    """A setup step: run once, not reported as a case."""
    samples: list[Sample] = field(default_factory=list)
    discarded: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: str | None = None
    skipped: str | None = None
    stopped_by_budget: bool = False

    @property
    def timed_out(self) -> bool:
        return any(s.timed_out for s in self.samples)

    @property
    def done(self) -> bool:
        return (
            self.failed is not None
            or self.skipped is not None
            or self.timed_out
            or self.stopped_by_budget
        )

    def seconds(self) -> list[float]:
        return [s.seconds for s in self.samples]

    def median(self) -> float | None:
        return statistics.median(self.seconds()) if self.samples else None


def run_case(case: Case, index: int, timeout: float | None) -> bool:
    """One timed run; False when its check found it did not measure what it should
    (the sample is then set aside, not counted)."""
    if case.prepare is not None:
        case.prepare(index)
    log = WORK / "logs" / f"{case.name}-{index}.log"
    total = cpu = rss = 0.0
    timed_out = False
    try:
        for k, argv in enumerate(case.commands()):
            left = None if timeout is None else max(timeout - total, 0.5)
            part_log = log if k == 0 else log.with_suffix(f".{k}.log")
            seconds, used, peak, timed_out = _run_one(argv, left, part_log)
            total, cpu, rss = total + seconds, cpu + used, max(rss, peak)
            if timed_out:
                break
    except RunFailed as exc:
        case.failed = str(exc)
        print(f"  {case.name}: FAILED\n{exc}", file=sys.stderr)
        return True
    case.samples.append(Sample(total, cpu, rss, timed_out))
    mark = f" (stopped after {total:.1f} s: over its share of the time budget)" if timed_out else ""
    print(f"  {case.name:<16} run {index + 1}: {total:7.2f} s  {rss:6.0f} MB{mark}", flush=True)
    if timed_out:
        if case.after_timeout is not None:
            case.after_timeout()
    elif case.check is not None:
        problem = case.check(index, log)
        if problem:
            case.discarded.append(case.samples.pop())
            case.problems.append(f"{problem}; that run is not counted")
            print(f"  {case.name}: {problem}; that run is not counted", file=sys.stderr)
            return False
    return True


def _cap(left: float | None, limit: float) -> float | None:
    return limit if left is None else min(left, limit)


def attempt(case: Case, index: int, timeout: Callable[[], float | None]) -> None:
    """``run_case``, once more when the run did not measure what it should (say, a
    warm rebuild that found the cache stale because packetgen's code changed)."""
    if not run_case(case, index, timeout()):
        run_case(case, index, timeout())


def packetgen_cmd() -> list[str]:
    script = Path(sys.executable).with_name("packetgen")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "packetgen"]


def build_cmd(spec: Path, out: Path, *args: str) -> list[str]:
    return [*packetgen_cmd(), "build", str(spec), "-o", str(out), *args]


def fresh(folder: Path) -> Callable[[int], None]:
    def prepare(_index: int) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    return prepare


def _json_outputs(log: Path) -> list[dict[str, Any]] | None:
    text = log.read_text(encoding="utf-8", errors="replace")
    start = text.find("{")
    try:
        return list(json.loads(text[start:])["outputs"])
    except (ValueError, KeyError):
        return None


@dataclass(frozen=True)
class PrintInput:
    """What packetgen hands WeasyPrint to lay out one in-service's binder."""

    html: str
    base_url: str
    stylesheets: tuple[str, ...]
    """User stylesheets given with the HTML (the theme's print CSS), in order."""
    matches_build: bool
    """Whether a real build hands WeasyPrint the same HTML, base URL and stylesheets."""


def capture_print_input(spec: Path, inservice_id: str) -> PrintInput:
    """The print HTML (and stylesheets) packetgen lays out for ``inservice_id``, made
    with packetgen's own functions as ``binder.bind_inservice`` makes them, checked
    against what ``build`` feeds WeasyPrint."""
    from markupsafe import Markup

    import packetgen.binder.bind as binder
    from packetgen.build.pipeline import build, packet_links
    from packetgen.render.html import document_view, render_document
    from packetgen.render.themes import load_theme
    from packetgen.spec.loader import load_packet

    packet = load_packet(spec)
    links = packet_links(packet)
    theme = load_theme(packet.theme, packet.folder)
    inservice = next(s for s in packet.inservices if s.id == inservice_id)
    handouts = binder.open_inservice_handouts(packet, inservice_id)
    slots = binder.handout_slots(handouts, packet)
    view = document_view(
        packet, links, theme, mode="print", inservice_id=inservice_id, handouts=slots
    )
    # As bind_inservice does: the page rules of the handouts' marker pages.
    css = binder.marker_css(
        inservice_id, handouts, packet, inline=inservice.handout_placement == "inline"
    )
    view = dataclasses.replace(view, page_css=Markup(f"{view.page_css}\n{css}"))
    html = render_document(view, theme)
    base_url = packet.folder.resolve().as_uri() + "/"
    stylesheets = (theme.print_css,)  # layout_html(..., stylesheets=[theme.print_css])

    # Check it against what a real build hands to WeasyPrint (stopped right there).
    seen: list[tuple[str, str, tuple[str, ...]]] = []

    class _Stop(Exception):
        pass

    def spy(page: str, **kwargs: Any) -> Any:
        where = kwargs.get("base")
        base = Path(where).resolve().as_uri() + "/" if where is not None else ""
        seen.append((page, base, tuple(str(c) for c in kwargs.get("stylesheets", ()))))
        raise _Stop

    original = getattr(binder, "layout_html")  # noqa: B009
    setattr(binder, "layout_html", spy)  # noqa: B010
    try:
        build(
            packet, WORK / "out" / "capture", only=[inservice_id], format="pdf", cache=False, jobs=1
        )
    except _Stop:
        pass
    finally:
        setattr(binder, "layout_html", original)  # noqa: B010
    matches = bool(seen) and seen[0] == (html, base_url, stylesheets)
    return PrintInput(html, base_url, stylesheets, matches)


def pdf_variant() -> str:
    """The ``pdf_variant`` packetgen writes its PDFs with (the baseline writes the same)."""
    from packetgen.pdf.layout import PDF_VARIANT

    return str(PDF_VARIANT)


# ---------------------------------------------------------------- stats and ratios


def fmt_s(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


@dataclass
class Value:
    value: float | None
    bound: str = "="
    """'=' measured; '>' at least (a run was stopped); '<' at most; '?' unknown."""

    def text(self, digits: int = 2) -> str:
        if self.value is None or self.bound == "?":
            return "n/a"
        prefix = {"=": "", ">": "> ", "<": "< "}[self.bound]
        return f"{prefix}{self.value:.{digits}f}"


def case_value(case: Case) -> Value:
    med = case.median()
    if med is None:
        return Value(None, "?")
    return Value(med, ">" if case.timed_out else "=")


def ratio(a: Value, b: Value) -> Value:
    if a.value is None or b.value is None or b.value == 0:
        return Value(None, "?")
    bound = {("=", "="): "=", (">", "="): ">", ("=", ">"): "<"}.get((a.bound, b.bound), "?")
    return Value(a.value / b.value, bound)


def difference(a: Value, b: Value) -> Value:
    if a.value is None or b.value is None:
        return Value(None, "?")
    bound = {("=", "="): "=", (">", "="): ">", ("=", ">"): "<"}.get((a.bound, b.bound), "?")
    return Value(a.value - b.value, bound)


def scaled(v: Value, factor: float) -> Value:
    """``v`` times a positive ``factor`` (its bound unchanged)."""
    return Value(None if v.value is None else v.value * factor, v.bound)


def verdict(v: Value, op: str, target: float) -> str:
    if v.value is None or v.bound == "?":
        return "?"
    x = v.value
    if op == "<=":
        if v.bound == "=":
            return "✓" if x <= target else "✗"
        if v.bound == ">":
            return "✗" if x > target else "?"
        return "✓" if x <= target else "?"
    if v.bound == "=":
        return "✓" if x >= target else "✗"
    if v.bound == "<":
        return "✗" if x < target else "?"
    return "✓" if x >= target else "?"


# ---------------------------------------------------------------- machine


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    qpdf = shutil.which("qpdf")
    qpdf_version = None
    if qpdf:
        out = subprocess.run([qpdf, "--version"], capture_output=True, text=True, check=False)
        qpdf_version = out.stdout.split("\n")[0].replace("qpdf version ", "").strip() or None
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packetgen": _version("packetgen"),
        "weasyprint": _version("weasyprint"),
        "pypdf": _version("pypdf"),
        "qrcode": _version("qrcode"),
        "qpdf": qpdf_version,
    }


def run_tier(cases: list[Case], reps: int, end: float | None) -> None:
    """Run ``cases`` round by round (interleaved) until ``reps`` runs each or ``end``.

    In the first round each run may take its share of the tier's time (by weight);
    a run that goes over is stopped and counts as a lower bound. Later rounds run
    a case only when its median so far fits in the time left.
    """

    def left() -> float | None:
        return None if end is None else end - time.monotonic()

    for index in range(reps):
        for i, case in enumerate(cases):
            if case.done or len(case.samples) > index:
                continue
            remaining = left()
            if index == 0:
                pending = [c for c in cases[i:] if not c.done and not c.samples]
                weights = sum(c.weight for c in pending) or case.weight
                timeout = None if remaining is None else max(remaining * case.weight / weights, 1.0)
            else:
                estimate = statistics.median(case.seconds())
                if remaining is not None and estimate * 1.25 + 0.5 > remaining:
                    case.stopped_by_budget = True
                    continue
                timeout = remaining
            run_case(case, index, timeout)


# ---------------------------------------------------------------- the benchmark


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per case (smoke test)")
    parser.add_argument("--reps", type=int, default=TARGET_REPS, help="runs per case (default 5)")
    parser.add_argument(
        "--budget",
        type=float,
        default=560.0,
        help="seconds for the whole run, inputs included (default 560; 0 = no limit)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    reps = 1 if args.quick else max(1, args.reps)
    started = time.monotonic()
    deadline = started + args.budget if args.budget > 0 else None

    def remaining() -> float | None:
        return None if deadline is None else deadline - time.monotonic()

    if shutil.which("qpdf") is None:
        print("qpdf is not installed (make system-deps installs it)", file=sys.stderr)
        return 1
    info = machine_info()
    load_before = os.getloadavg()
    print(
        f"packetgen benchmark — {info['date']}, {info['cpu_count']} CPUs, Python "
        f"{info['python']}, packetgen {info['packetgen']}, WeasyPrint {info['weasyprint']}, "
        f"pypdf {info['pypdf']}, qrcode {info['qrcode']}, qpdf {info['qpdf']}"
    )
    print(f"load average at start: {load_before[0]:.2f} (1 min)")
    if load_before[0] > 0.5 * (info["cpu_count"] or 1):
        print("note: the machine is busy with other work; wall times will be inflated")

    print("Generating inputs in benchmarks/_work/inputs …", flush=True)
    data = gen.generate(WORK / "inputs")
    specs = data.specs
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)

    print(
        "Writing the print HTML of the 40-item in-service with packetgen's functions …", flush=True
    )
    captured = capture_print_input(specs["items40"], ID40)
    html_matches = captured.matches_build
    variant = pdf_variant()
    direct = WORK / "direct"
    shutil.rmtree(direct, ignore_errors=True)
    direct.mkdir(parents=True)
    html_file = direct / f"{ID40}.html"
    html_file.write_text(captured.html, encoding="utf-8")
    sheet_args: list[str] = []
    for k, css in enumerate(captured.stylesheets):
        css_file = direct / f"{ID40}.{k}.css"
        css_file.write_text(css, encoding="utf-8")
        sheet_args += ["--stylesheet", str(css_file)]
    if not html_matches:
        print(
            "warning: this HTML (or its stylesheets) differs from what `packetgen build`"
            " hands WeasyPrint",
            file=sys.stderr,
        )

    # -- the cases, in the order their first runs are made
    only_pdf = ("--format", "pdf", "--no-cache", "-j", "1", "-q")
    o160 = out / "items160"
    base_excerpt = "Advocates should write down what the child says, in the child's own words."
    state = {"cached_rev": 0, "rev": 0, "next_rev": 100}

    def set_rev(rev: int) -> None:
        state["rev"] = rev
        gen.set_excerpt(specs["items160"], f"{base_excerpt} (Revision {rev:03d}.)")

    def edit_prepare(_index: int) -> None:
        # A new text every run: the cache is keyed by content and keeps old entries,
        # so alternating two texts would find both cached from the third run on.
        state["next_rev"] += 1
        set_rev(state["next_rev"])

    def edit_done(index: int, log: Path) -> str | None:
        state["cached_rev"] = state["rev"]
        outputs = _json_outputs(log)
        if outputs is None:
            return "could not read --json output"
        if all(o["cached"] for o in outputs):
            return f"run {index + 1}: nothing was rebuilt after the edit"
        return None

    def warm_check(index: int, log: Path) -> str | None:
        outputs = _json_outputs(log)
        if outputs is None:
            return "could not read --json output"
        rebuilt = [Path(o["path"]).name for o in outputs if not o["cached"]]
        return f"run {index + 1}: rebuilt {', '.join(rebuilt)}" if rebuilt else None

    def edit_timeout() -> None:
        set_rev(state["cached_rev"])  # back to the text the cache has

    def qpdf_cmds() -> list[list[str]]:
        folder = out / "qpdf"
        folder.mkdir(parents=True, exist_ok=True)
        merged, stamped = folder / "merged.pdf", folder / "stamped.pdf"
        return [
            ["qpdf", "--empty", "--pages", *map(str, data.handouts), "--", str(merged)],
            ["qpdf", str(merged), "--overlay", str(data.footer), "--", str(stamped)],
        ]

    def setup_prepare(_index: int) -> None:
        shutil.rmtree(o160, ignore_errors=True)
        set_rev(0)

    setup160 = Case(
        "setup-cache-160",
        "untimed: fills the cache of the 160-item packet",
        lambda: [build_cmd(specs["items160"], o160, "-j", "1", "-q")],
        weight=4,
        prepare=setup_prepare,
        untimed=True,
    )
    cases = [
        Case(
            "only40",
            "40 items, one in-service: `build --only ID --format pdf --no-cache -j 1`",
            lambda: [build_cmd(specs["items40"], out / "only40", "--only", ID40, *only_pdf)],
            weight=1,
            prepare=fresh(out / "only40"),
        ),
        Case(
            "only40-noqr",
            "only40 with the QR codes not stamped, their slots laid out and left empty"
            " (`build_without_qr.py`: `packetgen.build`, `--only` pdf, no cache, 1 job)",
            lambda: [
                [
                    sys.executable,
                    str(HERE / "build_without_qr.py"),
                    str(specs["items40"]),
                    str(out / "noqr"),
                    ID40,
                ]
            ],
            weight=1,
            prepare=fresh(out / "noqr"),
        ),
        Case(
            "weasyprint40",
            "WeasyPrint alone on packetgen's print HTML and theme stylesheet of that"
            " in-service, written tagged as packetgen writes"
            f" (`HTML(string=…).write_pdf(stylesheets=…, pdf_variant={variant!r})`)",
            lambda: [
                [
                    sys.executable,
                    str(HERE / "direct_weasyprint.py"),
                    str(html_file),
                    captured.base_url,
                    str(out / "direct40.pdf"),
                    "--variant",
                    variant,
                    *sheet_args,
                ]
            ],
            weight=0.8,
        ),
        Case(
            "only40-nourl",
            "the same 40 items without URLs (no QR codes, no links appendix), `--only`",
            lambda: [build_cmd(specs["items40-nourl"], out / "nourl", "--only", ID40, *only_pdf)],
            weight=0.5,
            prepare=fresh(out / "nourl"),
        ),
        Case(
            "qpdf1000",
            f"qpdf: merge the {len(data.handouts)} handouts ({HANDOUT_PAGES:,} pages), then"
            f" `--overlay` a {HANDOUT_PAGES:,}-page footer",
            qpdf_cmds,
            weight=0.2,
        ),
        Case(
            "binder1000",
            f"binder: {gen.HANDOUTS} handouts {TIMES} {gen.HANDOUT_PAGES} pages +"
            f" {gen.MANUAL_PAGES}-page manual, `--only binder --format pdf --no-cache -j 1`",
            lambda: [build_cmd(specs["binder"], out / "binder", "--only", "binder", *only_pdf)],
            weight=1.5,
            prepare=fresh(out / "binder"),
        ),
        Case(
            "binder0",
            "the same binder with 0 handout pages (each handout a note of the same title),"
            " `--only binder`",
            lambda: [build_cmd(specs["binder0"], out / "binder0", "--only", "binder", *only_pdf)],
            weight=0.5,
            prepare=fresh(out / "binder0"),
        ),
        Case(
            "full10",
            "10 items: full build (`--format pdf --no-cache -j 1`, with packet.pdf)",
            lambda: [build_cmd(specs["items10"], out / "full10", *only_pdf)],
            weight=0.5,
            prepare=fresh(out / "full10"),
        ),
        Case(
            "full40",
            "40 items: full build (`--format pdf --no-cache -j 1`, with packet.pdf)",
            lambda: [build_cmd(specs["items40"], out / "full40", *only_pdf)],
            weight=2,
            prepare=fresh(out / "full40"),
        ),
        setup160,
        Case(
            "warm160",
            "160 items: rebuild, nothing changed (cache warm, `-j 1`, pdf + html)",
            lambda: [build_cmd(specs["items160"], o160, "-j", "1", "--json")],
            weight=0.2,
            check=warm_check,
        ),
        Case(
            "edit160",
            "160 items: rebuild after one excerpt changed (cache warm, `-j 1`, pdf + html)",
            lambda: [build_cmd(specs["items160"], o160, "-j", "1", "--json")],
            weight=4,
            prepare=edit_prepare,
            check=edit_done,
            after_timeout=edit_timeout,
        ),
        Case(
            "cold160",
            "160 items: cold build (`--no-cache`, fresh folder, `-j 1`, pdf + html)",
            lambda: [build_cmd(specs["items160"], out / "cold160", "--no-cache", "-j", "1", "-q")],
            weight=4,
            prepare=fresh(out / "cold160"),
        ),
        Case(
            "jobs1",
            f"4 in-services {TIMES} 40 items: full build `--format pdf --no-cache -j 1`",
            lambda: [build_cmd(specs["jobs4x40"], out / "jobs1", *only_pdf)],
            weight=4,
            prepare=fresh(out / "jobs1"),
        ),
        Case(
            "jobs2",
            f"4 in-services {TIMES} 40 items: full build `--format pdf --no-cache -j 2`",
            lambda: [
                build_cmd(
                    specs["jobs4x40"],
                    out / "jobs2",
                    "--format",
                    "pdf",
                    "--no-cache",
                    "-j",
                    "2",
                    "-q",
                )
            ],
            weight=2.5,
            prepare=fresh(out / "jobs2"),
        ),
        Case(
            "full640",
            f"640 items (16 in-services {TIMES} 40): full build `--format pdf --no-cache -j 1`",
            lambda: [build_cmd(specs["items640"], out / "full640", *only_pdf)],
            weight=4,
            prepare=fresh(out / "full640"),
        ),
    ]
    by_name = {c.name: c for c in cases}

    # -- the fast cases: all their runs first, interleaved, in 45% of the budget
    fast = [
        "only40",
        "only40-noqr",
        "weasyprint40",
        "only40-nourl",
        "qpdf1000",
        "binder1000",
        "binder0",
        "full10",
        "full40",
    ]
    left = remaining()
    fast_end = None if left is None else time.monotonic() + 0.45 * left
    print("Fast cases" + ("" if left is None else f" (up to {0.45 * left:.0f} s)") + ":")
    run_tier([by_name[n] for n in fast], reps, fast_end)

    # -- the slow cases, by priority: a group's first runs are made only when its
    # predicted time (from full40) fits in the time left, so the budget is spent on
    # numbers rather than on runs stopped half-way.
    def measured(name: str) -> float | None:
        case = by_name[name]
        return case.median() if case.samples and not case.timed_out else None

    unit = measured("full40") or 3 * (measured("only40") or 5.0)

    def p160() -> float:  # a 160-item build, best known estimate
        return measured("setup-cache-160") or measured("cold160") or 7 * unit

    def pjobs1() -> float:
        return measured("jobs1") or p160()

    groups: list[tuple[str, list[tuple[str, Callable[[], float]]]]] = [
        (
            "rebuild, nothing changed",
            [("setup-cache-160", p160), ("warm160", lambda: 0.05 * unit), ("cold160", p160)],
        ),
        ("--jobs", [("jobs1", pjobs1), ("jobs2", lambda: 0.7 * pjobs1())]),
        ("rebuild, one item changed", [("edit160", p160)]),
        ("640 items", [("full640", lambda: 4 * pjobs1())]),
    ]
    for title, members in groups:
        need = sum(predict() for _name, predict in members)
        left = remaining()
        if left is not None and need > left:
            for name, _predict in members:
                by_name[name].skipped = (
                    f"not run: predicted about {need:.0f} s, {max(left, 0):.0f} s"
                    " of the time budget left"
                )
            print(f"{title}: skipped, predicted {need:.0f} s > {max(left, 0):.0f} s left")
            continue
        print(f"{title} (predicted {need:.0f} s):", flush=True)
        for name, predict in members:
            case = by_name[name]
            if name in ("warm160", "edit160") and (
                not setup160.samples or setup160.timed_out or setup160.failed
            ):
                case.failed = "the cache of the 160-item packet could not be filled"
                continue
            limit = max(2 * predict(), predict() + 30)

            def timeout(limit: float = limit) -> float | None:
                return _cap(remaining(), limit)

            attempt(case, 0, timeout)

    slow = [c for c in cases if c.name not in fast and not c.untimed]
    if reps > 1 and any(c.samples and not c.done for c in slow):
        print("More runs of the slow cases:", flush=True)
    for index in range(1, reps):
        for case in slow:
            if case.done or not case.samples or len(case.samples) > index:
                continue
            left = remaining()
            if left is not None and statistics.median(case.seconds()) * 1.25 + 0.5 > left:
                case.stopped_by_budget = True
                continue
            attempt(case, index, remaining)
    set_rev(0)  # the text the setup run used

    load_after = os.getloadavg()
    elapsed = time.monotonic() - started
    report(
        cases,
        by_name,
        info,
        load_before,
        load_after,
        elapsed,
        html_matches,
        variant,
        reps,
        args,
        data,
    )
    return 0


# ---------------------------------------------------------------- report


def report(
    cases: list[Case],
    by_name: dict[str, Case],
    info: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    elapsed: float,
    html_matches: bool,
    variant: str,
    reps: int,
    args: argparse.Namespace,
    data: gen.Inputs,
) -> None:
    v = {name: case_value(c) for name, c in by_name.items()}

    def per_item(name: str, n: int) -> Value:
        return scaled(v[name], 1 / n)

    def peak(name: str) -> Value:
        case = by_name[name]
        if not case.samples:
            return Value(None, "?")
        return Value(max(s.rss_mb for s in case.samples), ">" if case.timed_out else "=")

    pages = f"{HANDOUT_PAGES:,}"
    ratios: list[tuple[str, Value, str | None, float | None, str]] = [
        (
            "render_overhead",
            ratio(v["only40"], v["weasyprint40"]),
            "<=",
            1.10,
            "only40 ÷ weasyprint40 (baseline written tagged, as packetgen writes)",
        ),
        (
            "qr_draw_cost",
            ratio(v["only40"], v["only40-noqr"]),
            "<=",
            1.05,
            "only40 ÷ only40-noqr",
        ),
        (
            "qr_cost (codes and links appendix)",
            ratio(v["only40"], v["only40-nourl"]),
            None,
            None,
            "only40 ÷ only40-nourl",
        ),
        (
            "binder_vs_qpdf",
            ratio(v["binder1000"], v["qpdf1000"]),
            "<=",
            3.0,
            "binder1000 ÷ qpdf1000",
        ),
        (
            "handout_page_ms",
            scaled(difference(v["binder1000"], v["binder0"]), 1000 / HANDOUT_PAGES),
            "<=",
            1.5,
            f"(binder1000 - binder0) ÷ {pages} pages, in ms",
        ),
        (
            "qpdf_page_ms",
            scaled(v["qpdf1000"], 1000 / HANDOUT_PAGES),
            None,
            None,
            f"qpdf1000 ÷ {pages} pages, in ms (for context)",
        ),
        ("book_overhead", ratio(v["full40"], v["only40"]), "<=", 1.15, "full40 ÷ only40"),
        (
            "rebuild_seconds (nothing changed)",
            v["warm160"],
            "<=",
            0.5,
            "warm160, median s",
        ),
        (
            "rebuild_speedup (nothing changed)",
            ratio(v["cold160"], v["warm160"]),
            ">=",
            20.0,
            "cold160 ÷ warm160",
        ),
        (
            "edit_speedup (one item changed)",
            ratio(v["cold160"], v["edit160"]),
            ">=",
            5.0,
            "cold160 ÷ edit160",
        ),
        (
            "scaling",
            ratio(per_item("full640", 640), per_item("full40", 40)),
            "<=",
            1.2,
            "(full640 ÷ 640) ÷ (full40 ÷ 40)",
        ),
        ("peak_rss_mb (640 items)", peak("full640"), "<=", 250.0, "full640, peak of its runs"),
        (
            "peak_rss_mb (binder, 500-page manual)",
            peak("binder1000"),
            None,
            None,
            "binder1000, peak of its runs",
        ),
        ("jobs_speedup", ratio(v["jobs1"], v["jobs2"]), ">=", 1.7, "jobs1 ÷ jobs2"),
    ]

    lines: list[str] = []
    lines.append(
        f"| case | what is timed | runs | median s | min{DASH}max s | CPU s | peak RSS MB |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for case in cases:
        if case.untimed:
            continue
        if not case.samples:
            why = "not run" if case.skipped else "failed" if case.failed else "—"
            lines.append(f"| {case.name} | {case.what} | 0 | {why} | — | — | — |")
            continue
        secs = case.seconds()
        gt = "> " if case.timed_out else ""
        runs = f"{len(secs)}" + ("*" if len(secs) < TARGET_REPS else "")
        spread = (
            "stopped"
            if case.timed_out and len(secs) == 1
            else f"{fmt_s(min(secs))}{DASH}{gt}{fmt_s(max(secs))}"
        )
        lines.append(
            f"| {case.name} | {case.what} | {runs} | {gt}{fmt_s(statistics.median(secs))} | "
            f"{spread} | "
            f"{fmt_s(statistics.median(s.cpu_seconds for s in case.samples))} | "
            f"{gt}{max(s.rss_mb for s in case.samples):.0f} |"
        )
    case_table = "\n".join(lines)

    lines = ["| ratio | measured | target | met | from |", "|---|---:|---:|:---:|---|"]
    for name, value, op, target, source in ratios:
        digits = 0 if name.startswith("peak") else 2
        target_text = "—" if op is None else f"{'≤' if op == '<=' else '≥'} {target:g}"
        met = "—" if op is None or target is None else verdict(value, op, target)
        lines.append(f"| {name} | {value.text(digits)} | {target_text} | {met} | {source} |")
    ratio_table = "\n".join(lines)

    notes = [
        "Times are wall-clock seconds of a fresh process each (start-up and imports included).",
        "`>` marks a run stopped at its share of the time budget: the number is a lower bound.",
        "binder1000 lays out the packet pages and two empty marker pages per handout in"
        f" WeasyPrint, merges the {HANDOUT_PAGES:,} handout pages in with pypdf and stamps"
        " header, footer and page number on every page; binder0 does the same without a"
        " handout page; qpdf1000 only merges and overlays a footer.",
        "weasyprint40 lays out the HTML and stylesheet only40 lays out (QR codes as empty"
        f" slots) and writes them tagged (pdf_variant {variant!r}) as packetgen does;"
        " only40-noqr is only40 with the binder's QR stamping step replaced by a no-op"
        " (benchmarks/build_without_qr.py), run through packetgen.build, not the command line.",
        f"Peak RSS: {RSS_METHOD}.",
    ]
    short = [c.name for c in cases if not c.untimed and 0 < len(c.samples) < reps]
    if reps < TARGET_REPS:
        notes.append(f"Only {reps} run(s) per case were asked for (--quick/--reps).")
    if short:
        notes.append(
            "* fewer than 5 runs (the time budget did not allow more, or a run was stopped): "
            + ", ".join(short)
        )
    for case in cases:
        if case.failed:
            notes.append(f"{case.name} failed: {case.failed.splitlines()[0]}")
        if case.skipped and not case.untimed:
            notes.append(f"{case.name} {case.skipped}")
        for problem in case.problems:
            notes.append(f"{case.name}: {problem}")
    if not html_matches:
        notes.append(
            "The HTML (or stylesheets) given to WeasyPrint alone differs from what the build"
            " lays out."
        )

    print()
    print(
        f"Machine: {info['cpu_count']} CPUs ({info['cpu_model']}), {info['platform']}, Python "
        f"{info['python']}; WeasyPrint {info['weasyprint']}, pypdf {info['pypdf']}, qrcode "
        f"{info['qrcode']}, qpdf {info['qpdf']}; {info['date']}; load average "
        f"{load_before[0]:.1f} at start, {load_after[0]:.1f} at end"
    )
    print()
    print(case_table)
    print()
    print(ratio_table)
    print()
    for note in notes:
        print(f"- {note}")
    print(f"\nTotal time: {elapsed:.0f} s")

    result = {
        "machine": {**info, "loadavg_start": load_before, "loadavg_end": load_after},
        "total_seconds": round(elapsed, 1),
        "budget_seconds": args.budget or None,
        "reps_requested": reps,
        "rss_method": RSS_METHOD,
        "render_overhead_html_matches_build": html_matches,
        "baseline_pdf_variant": variant,
        "inputs": {
            "items": {
                "items10": 10,
                "items40": 40,
                "items40-nourl": 40,
                "items160": 160,
                "items640": 640,
                "jobs4x40": 160,
                "binder": len(data.handouts),
                "binder0": len(data.handouts),
            },
            "handout_pages": data.handout_pages,
            "handout_files": len(data.handouts),
        },
        "cases": {
            c.name: {
                "what": c.what,
                "runs": len(c.samples),
                "fewer_than_5_runs": 0 < len(c.samples) < TARGET_REPS,
                "lower_bound": c.timed_out,
                "median_s": c.median(),
                "min_s": min(c.seconds()) if c.samples else None,
                "max_s": max(c.seconds()) if c.samples else None,
                "samples": [dataclasses.asdict(s) for s in c.samples],
                "discarded_samples": [dataclasses.asdict(s) for s in c.discarded],
                "failed": c.failed,
                "skipped": c.skipped,
                "problems": c.problems,
            }
            for c in cases
        },
        "ratios": {
            name: {
                "value": value.value,
                "bound": {"=": "exact", ">": "at least", "<": "at most", "?": "unknown"}[
                    value.bound
                ],
                "target": None if op is None else f"{op} {target:g}",
                "met": None
                if op is None
                else {"✓": True, "✗": False}.get(verdict(value, op, target or 0.0)),
                "from": source,
            }
            for name, value, op, target, source in ratios
        },
        "notes": notes,
        "tables": {"cases": case_table, "ratios": ratio_table},
    }
    args.results.write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"Wrote {args.results}")


if __name__ == "__main__":
    sys.exit(main())
