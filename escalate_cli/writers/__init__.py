"""Output formats: one pure writer module per format, chosen here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from enum import Enum
from functools import partial

from escalate_cli.model import Report, Severity, State


class OutputFormat(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"


def writer_for(
    fmt: OutputFormat,
    *,
    tz: tzinfo,
    color: bool = False,
    width: int = 120,
    show_all: bool = False,
    fail_on: Severity = Severity.BREACH,
    changes_only: bool = False,
    wide: bool = False,
) -> Callable[[Report], str]:
    match fmt:
        case OutputFormat.TABLE:
            from escalate_cli.writers import table

            return partial(
                table.render, tz=tz, color=color, width=width, show_all=show_all, changes_only=changes_only, wide=wide
            )
        case OutputFormat.JSON:
            from escalate_cli.writers import json_

            return partial(json_.render, tz=tz)
        case OutputFormat.CSV:
            from escalate_cli.writers import csv_

            return partial(csv_.render, tz=tz)
        case OutputFormat.JUNIT:
            from escalate_cli.writers import junit

            return partial(junit.render, tz=tz, fail_on=fail_on)
        case OutputFormat.GITHUB:
            from escalate_cli.writers import github

            return partial(github.render, tz=tz)
        case OutputFormat.MARKDOWN:
            from escalate_cli.writers import markdown

            return partial(markdown.render, tz=tz, show_all=show_all)
    raise AssertionError(f"no writer for {fmt}")  # pragma: no cover - test_every_format_has_a_writer


def iso(moment: int | None, tz: tzinfo) -> str | None:
    """ISO 8601 with the offset of `tz`; None stays None."""
    return None if moment is None else datetime.fromtimestamp(moment, tz).isoformat()


def stream_for(
    fmt: OutputFormat, *, tz: tzinfo, fail_on: Severity = Severity.BREACH
) -> Callable[[Report], Iterable[str]] | None:
    """A writer that yields its output in pieces, for the formats that can be big; None for the others."""
    if fmt is OutputFormat.JSON:
        from escalate_cli.writers import json_

        return partial(json_.chunks, tz=tz)
    if fmt is OutputFormat.CSV:
        from escalate_cli.writers import csv_

        return partial(csv_.chunks, tz=tz)
    if fmt is OutputFormat.JUNIT:
        from escalate_cli.writers import junit

        return partial(junit.chunks, tz=tz, fail_on=fail_on)
    return None


def summary_line(report: Report, tz: tzinfo) -> str:
    """The one-line summary: clocks per state, issues, unmatched, errors, the instant (here, not in `table`,
    so that `--quiet` never loads rich)."""
    counts = report.counts()
    listed = (State.BREACHED, State.WARNING, State.PAUSED, State.OK, State.MET, State.MISSED, State.NOT_STARTED)
    sometimes = (State.PAUSED, State.NOT_STARTED)  # said where some clock is so
    states = ", ".join(
        f"{counts.get(s.value, 0)} {s.value.replace('_', ' ')}"
        for s in listed
        if s not in sometimes or counts.get(s.value, 0)
    )
    as_of = datetime.fromtimestamp(report.as_of, tz).isoformat()
    issues = f"{report.issues} issue{'s' if report.issues != 1 else ''}"
    return f"{states} | {issues}, {len(report.unmatched)} unmatched, {len(report.errors)} errors | as of {as_of}"
