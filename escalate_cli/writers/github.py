"""GitHub Actions workflow commands: `::error` for each breach, `::warning` for each warning.

Each command points at the export row (file=..., line=...) so the annotation lands on it, has a title naming the
issue and metric, and a message with the time overdue or left and the escalation action. Data is escaped as the
runner requires (% CR LF), property values also , and : (actions/toolkit, packages/core/src/command.ts).
"""

from __future__ import annotations

from datetime import tzinfo

from escalate_cli.durations import format_duration
from escalate_cli.model import Clock, Report, State
from escalate_cli.writers import urgency_order


def render(report: Report, *, tz: tzinfo) -> str:
    lines = []
    for clock in urgency_order(report.clocks):
        if clock.state is State.BREACHED:
            lines.append(_command("error", clock))
        elif clock.state is State.WARNING:
            lines.append(_command("warning", clock))
    for problem in report.errors:
        lines.append(f"::error title={_property('escalate: bad input')}::{_data(str(problem))}")
    return "".join(line + "\n" for line in lines)


def _command(kind: str, clock: Clock) -> str:
    where, _, line = clock.issue.where.rpartition(":")
    props = [f"title={_property(f'SLA {clock.state.value}: {clock.issue.id} {clock.metric.value}')}"]
    if where and line.isdigit():
        props[:0] = [f"file={_property(where)}", f"line={line}"]
    if clock.remaining <= 0:
        timing = f"overdue by {format_duration(-clock.remaining)}"
    else:
        timing = f"{format_duration(clock.remaining)} left"
    parts = [f"{clock.policy}: {clock.metric.value} {timing}", clock.issue.fields.get("title", "")]
    parts += [action.message for action in clock.actions]
    return f"::{kind} {','.join(props)}::{_data(' — '.join(p for p in parts if p))}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
