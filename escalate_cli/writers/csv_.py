"""CSV output: one row per clock, the JSON result's keys as columns in its order (notify and actions joined with
`, ` and ` | `), then the issue's fields, labels and where. A text cell that starts with `= + - @`, a tab or a
carriage return gets a `'` in front, so that a spreadsheet shows it rather than runs it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import tzinfo

from escalate_cli.model import JSON_ONLY_KEYS, RESULT_KEYS, Clock, Report
from escalate_cli.writers import iso

_LEVEL = RESULT_KEYS.index("level")
COLUMNS = (*RESULT_KEYS[:_LEVEL], *JSON_ONLY_KEYS, "level", "notify", "actions")


def render(report: Report, *, tz: tzinfo) -> str:
    return "".join(chunks(report, tz=tz))


def chunks(report: Report, *, tz: tzinfo) -> Iterator[str]:
    """The rows in batches, so a million of them never sit in memory as one string; from the clock frame when
    the report has one (`engine.results`)."""
    if report.table is not None:
        from escalate_cli.engine.results import csv_rows

        head = io.StringIO()
        csv.writer(head, lineterminator="\n").writerow(header(list(report.table.issues.fields)))
        yield head.getvalue() if report.table.clocks.height else ",".join(header([])) + "\n"
        yield from csv_rows(report.table, tz)
        return
    extra: list[str] = []
    for clock in report.clocks:
        extra += [key for key in clock.issue.fields if key not in extra]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(extra))
    for n, clock in enumerate(report.clocks, start=1):
        if n % 10_000 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        writer.writerow(row(clock, tz, extra))
    yield out.getvalue()


def header(extra: list[str]) -> list[str]:
    return [*COLUMNS, *extra, "labels", "where"]


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula at the start of a cell


def text(value: str) -> str:
    """A text cell, with `'` before one a spreadsheet would take for a formula (OWASP's CSV injection)."""
    return "'" + value if value.startswith(FORMULA) else value


def row(clock: Clock, tz: tzinfo, extra: list[str]) -> list[object]:
    issue = clock.issue
    return [
        text(issue.id),
        clock.metric,
        text(clock.policy),
        text(clock.calendar),
        clock.state.value,
        iso(clock.started_at, tz),
        iso(clock.due_at, tz),
        iso(clock.stopped_at, tz) or "",
        clock.elapsed,
        clock.target,
        clock.remaining,
        clock.paused_seconds,
        iso(issue.policy_changed_at, tz) or "",
        text(issue.previous_policy or ""),
        text(clock.level or ""),
        text(", ".join(role for action in clock.actions for role in action.notify)),
        text(" | ".join(action.message for action in clock.actions)),
        *(text(issue.fields.get(key, "")) for key in extra),
        text(", ".join(issue.labels)),
        text(issue.where),
    ]
