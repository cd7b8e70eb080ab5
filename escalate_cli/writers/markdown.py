"""Markdown: a summary line and a table of breaches and warnings (all clocks with show_all), for a pull-request
comment, a ticket or $GITHUB_STEP_SUMMARY. Pipes and newlines in cells are escaped."""

from __future__ import annotations

from datetime import datetime, tzinfo

from escalate_cli.durations import format_duration
from escalate_cli.model import Clock, Report, State
from escalate_cli.writers import urgency_order

_ICON = {
    State.BREACHED: "🔴",
    State.WARNING: "🟡",
    State.PAUSED: "⏸️",
    State.OK: "🟢",
    State.MET: "✅",
    State.MISSED: "❌",
}


def render(report: Report, *, tz: tzinfo, show_all: bool = False) -> str:
    counts = report.counts()
    shown = [c for c in urgency_order(report.clocks) if show_all or c.state in (State.BREACHED, State.WARNING)]
    as_of = datetime.fromtimestamp(report.as_of, tz).isoformat()
    states = ", ".join(f"{counts[s.value]} {s.value}" for s in _ICON if counts[s.value] or s is not State.PAUSED)
    lines = [
        f"### SLA report as of {as_of}",
        "",
        f"**{states}** across {report.issues} issues ({len(report.unmatched)} unmatched, {len(report.errors)} errors)",
        "",
    ]
    if shown:
        lines += [
            "| State | Issue | Metric | Policy | Due | Business time | Level | Action / title |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [_row(clock, tz) for clock in shown]
    else:
        lines.append("No breaches or warnings.")
    return "\n".join(lines) + "\n"


def _row(clock: Clock, tz: tzinfo) -> str:
    if clock.remaining <= 0 and clock.state.is_running:
        timing = f"{format_duration(-clock.remaining)} overdue"
    else:
        timing = (
            f"{format_duration(clock.remaining)} left" if clock.state.is_running else format_duration(clock.elapsed)
        )
    detail = "; ".join(a.message for a in clock.actions) or clock.issue.fields.get("title", "")
    cells = [
        f"{_ICON[clock.state]} {clock.state.value}",
        clock.issue.id,
        clock.metric.value,
        clock.policy,
        datetime.fromtimestamp(clock.due_at, tz).strftime("%Y-%m-%d %H:%M"),
        timing,
        clock.level or "",
        detail,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
