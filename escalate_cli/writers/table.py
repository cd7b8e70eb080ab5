"""The terminal table: breaches (most overdue first), then warnings (soonest due first), then a summary line.

With show_all, ok, missed and met clocks follow, and the issues no policy matched are listed. Times left and
overdue are business time; instants are in the config's zone. Rendered into a string at a fixed width, so the
same report always gives the same bytes; colour only when asked for.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, tzinfo

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from escalate_cli.durations import format_duration
from escalate_cli.model import Clock, Report, State
from escalate_cli.writers import summary_line, urgency_order

_STYLE = {
    State.PAUSED: "blue",
    State.BREACHED: "bold red",
    State.WARNING: "yellow",
    State.OK: "green",
    State.MET: "dim",
    State.MISSED: "magenta",
}


def render(
    report: Report,
    *,
    tz: tzinfo,
    color: bool = False,
    width: int = 120,
    show_all: bool = False,
    changes_only: bool = False,
) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        color_system="standard" if color else None,
        highlight=False,
        force_terminal=color,
        no_color=not color,
    )
    if changes_only:  # cron: silent unless something changed
        if report.changes:
            console.print(_changes_table(report, tz))
            kinds = Counter(change.kind.value for change in report.changes)
            console.print(", ".join(f"{n} {kind}" for kind, n in kinds.items()) + f" | as of {_iso(report, tz)}")
        return _strip(out.getvalue())
    shown = [c for c in urgency_order(report.clocks) if show_all or c.state in (State.BREACHED, State.WARNING)]
    if shown:
        console.print(_clock_table(shown, tz))
    if show_all and report.unmatched:
        console.print(_unmatched_table(report))
    console.print(summary_line(report, tz), soft_wrap=True)
    return _strip(out.getvalue())


def _strip(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _iso(report: Report, tz: tzinfo) -> str:
    return datetime.fromtimestamp(report.as_of, tz).isoformat()


def _changes_table(report: Report, tz: tzinfo) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("Change", "Issue", "Metric", "Was", "Now", "Due", "Level", "Action / title"):
        table.add_column(name, no_wrap=name != "Action / title", ratio=1 if name == "Action / title" else None)
    for change in report.changes or ():
        clock = change.clock
        detail = ""
        if clock is not None:
            detail = "; ".join(a.message for a in clock.actions) or clock.issue.fields.get("title", "")
        table.add_row(
            change.kind.value,
            escape(change.issue),
            change.metric,
            change.before or "",
            change.after or "gone",
            _instant(clock.due_at, tz) if clock else "",
            escape(change.level or ""),
            escape(detail),
        )
    return table


def _clock_table(clocks: list[Clock], tz: tzinfo) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, opts in [
        ("State", {"no_wrap": True}),
        ("Issue", {"no_wrap": True}),
        ("Metric", {"no_wrap": True}),
        ("Policy", {}),
        ("Due", {"no_wrap": True}),
        ("Business time", {"no_wrap": True}),
        ("Level", {"no_wrap": True}),
        ("Action / title", {"ratio": 1}),
    ]:
        table.add_column(name, **opts)  # type: ignore[arg-type]
    for clock in clocks:
        style = _STYLE[clock.state]
        detail = "; ".join(a.message for a in clock.actions) or clock.issue.fields.get("title", "")
        table.add_row(
            f"[{style}]{clock.state.value}[/]",
            escape(clock.issue.id),
            clock.metric.value,
            escape(clock.policy),
            _instant(clock.due_at, tz),
            _business_time(clock),
            escape(clock.level or ""),
            escape(detail),
        )
    return table


def _unmatched_table(report: Report) -> Table:
    table = Table(title="Matched by no policy", box=None, pad_edge=False, header_style="bold", title_justify="left")
    table.add_column("Issue", no_wrap=True)
    table.add_column("Where", no_wrap=True)
    table.add_column("Title", ratio=1)
    for issue in report.unmatched:
        table.add_row(escape(issue.id), escape(issue.where), escape(issue.fields.get("title", "")))
    return table


def _business_time(clock: Clock) -> str:
    remaining = clock.remaining
    if clock.state is State.MET:
        return f"{format_duration(clock.elapsed)} of {format_duration(clock.target)}"
    if clock.state is State.MISSED:
        return f"{format_duration(-remaining)} late"
    if remaining <= 0:
        return f"{format_duration(-remaining)} overdue"
    return f"{format_duration(remaining)} left" + (" (paused)" if clock.state is State.PAUSED else "")


def _instant(moment: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(moment, tz).strftime("%Y-%m-%d %H:%M")
