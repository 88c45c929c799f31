"""A link's report, and the reports as a table, JSON or CSV.

:class:`LinkReport` is one numbered link with its QR size and, once checked,
what its site answered and its verdict; :func:`format_reports` prints the
reports for people (an aligned table) or for other tools (JSON, CSV).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass
from typing import Any, Literal

from packetgen.errors import OptionError
from packetgen.support._csv import csv_cell

__all__ = [
    "FAILURES",
    "LinkReport",
    "ReportFormat",
    "ShortVerdict",
    "Verdict",
    "any_broken",
    "format_reports",
]

Verdict = Literal["ok", "redirected", "broken", "login-wall", "timeout", "error"]
ShortVerdict = Literal["ok", "not-set-up", "elsewhere", "error"]
"""Of a short link: leads to its target, answers 404 (the redirects are not
uploaded yet), leads somewhere else, or could not be asked."""
ReportFormat = Literal["table", "json", "csv"]

FAILURES: frozenset[Verdict] = frozenset({"broken", "timeout", "error"})


@dataclass(frozen=True)
class LinkReport:
    """One numbered link of the packet, and what a check found."""

    number: int
    """The link's number, as printed beside its QR code."""
    url: str
    items: tuple[str, ...]
    """Titles of the items (or in-services, for summaries) that carry the link."""
    inservices: tuple[str, ...]
    """Ids of the in-services the link appears in."""
    qr_version: int
    """QR version 1..40; higher is denser and harder to scan from a photocopy."""
    printed_mm: float
    """Side of the printed code, quiet zone included."""
    module_mm: float
    status: int | None = None
    """HTTP status of the last answer; None when unchecked or no answer came."""
    final_url: str | None = None
    """Where the link ended after redirects."""
    verdict: Verdict | None = None
    """None until :func:`check_links` has run."""
    detail: str = ""
    """What the trainer should know or do, e.g. ``404 Not Found``."""
    expected_login: bool = False
    """The item's ``access`` text mentions registration or a login."""
    short_url: str | None = None
    """The short link the code carries (with the packet's ``short_links``)."""
    short_verdict: ShortVerdict | None = None
    """Whether the short link leads to :attr:`url`: None until checked."""
    short_detail: str = ""

    @property
    def severity(self) -> Literal["failure", "warning"] | None:
        """``failure``: the code leads nowhere; ``warning``: worth a look; None: fine."""
        if self.verdict in FAILURES or self.short_verdict not in (None, "ok"):
            return "failure"
        if self.verdict == "redirected" or (
            self.verdict == "login-wall" and not self.expected_login
        ):
            return "warning"
        return None


def any_broken(reports: list[LinkReport]) -> bool:
    """True when a code would lead nowhere (broken, timeout, error).

    Redirects and unexpected login walls are warnings: the code still leads
    somewhere a volunteer can use.
    """
    return any(r.verdict in FAILURES for r in reports)


_CSV_FIELDS = (
    "number",
    "url",
    "items",
    "inservices",
    "qr_version",
    "printed_mm",
    "module_mm",
    "status",
    "final_url",
    "verdict",
    "detail",
    "expected_login",
    "short_url",
    "short_verdict",
    "short_detail",
)


def format_reports(reports: list[LinkReport], fmt: ReportFormat) -> str:
    """The reports as an aligned table for people, or JSON/CSV for other tools."""
    if fmt == "json":
        return json.dumps([_as_json(r) for r in reports], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_CSV_FIELDS)
        for r in reports:
            row = _as_json(r)
            row["items"] = "; ".join(r.items)
            row["inservices"] = "; ".join(r.inservices)
            writer.writerow([csv_cell(row[k]) for k in _CSV_FIELDS])
        return buffer.getvalue()
    if fmt == "table":
        return _table(reports)
    raise OptionError(f"report format must be table, json or csv, found {fmt!r}")


def _as_json(report: LinkReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["items"] = list(report.items)
    data["inservices"] = list(report.inservices)
    data["severity"] = report.severity
    return data


_ITEMS_WIDTH = 40


def _table(reports: list[LinkReport]) -> str:
    checked = any(r.verdict is not None for r in reports)
    short = any(r.short_url for r in reports)
    header = ["#", "URL", *(["short link"] if short else []), "QR", "size", "module", "items"]
    if checked:
        header += ["status", "verdict", "detail"]
    rows = [header]
    for r in reports:
        items = "; ".join(r.items)
        if len(items) > _ITEMS_WIDTH:
            items = items[: _ITEMS_WIDTH - 1] + "…"
        row = [
            str(r.number),
            r.url,
            *([r.short_url or ""] if short else []),
            f"v{r.qr_version}",
            f"{r.printed_mm:.1f} mm",
            f"{r.module_mm:.2f} mm",
            items,
        ]
        if checked:
            row += [
                "" if r.status is None else str(r.status),
                r.verdict or "",
                "; ".join(d for d in (r.detail, r.short_detail) if d),
            ]
        rows.append(row)
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if checked:
        failures = sum(r.severity == "failure" for r in reports)
        warnings = sum(r.severity == "warning" for r in reports)
        lines.append("")
        lines.append(
            f"{len(reports)} links: {failures} failed, {warnings} need a look,"
            f" {len(reports) - failures - warnings} fine"
        )
    return "\n".join(lines) + "\n"
