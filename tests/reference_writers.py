"""Writers the columnar ones are checked against: JUnit as ElementTree builds it, and markdown and GitHub
annotations one `Clock` at a time (what the writers did before they were written by columns)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, tzinfo
from itertools import groupby

from escalate_cli.durations import format_duration
from escalate_cli.model import Clock, Report, Severity, State
from escalate_cli.writers import iso
from escalate_cli.writers.markdown import _ICON as markdown_icons

_ORDER = {State.BREACHED: 0, State.WARNING: 1, State.PAUSED: 2, State.OK: 3, State.MISSED: 4, State.MET: 5}


def urgency_order(clocks: list[Clock]) -> list[Clock]:
    """Breaches first, most overdue first; then warnings, soonest due first; then paused, ok, missed, met."""
    return sorted(clocks, key=lambda c: (_ORDER[c.state], c.remaining, c.issue.id, c.metric))


def junit(report: Report, *, tz: tzinfo, fail_on: Severity = Severity.BREACH) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", _junit(report, tz=tz, fail_on=fail_on))


def _junit(report: Report, *, tz: tzinfo, fail_on: Severity = Severity.BREACH) -> str:
    suites = ET.Element("testsuites", name="escalate")
    total = failed = 0
    by_policy = sorted(report.clocks, key=lambda c: c.policy)
    for policy, clocks in groupby(by_policy, key=lambda c: c.policy):
        suite = ET.SubElement(suites, "testsuite", name=policy)
        cases = list(clocks)
        failures = sum(_is_failure(c, fail_on) for c in cases)
        for clock in cases:
            _testcase(suite, clock, tz, fail_on)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total, failed = total + len(cases), failed + failures
    suites.set("tests", str(total))
    suites.set("failures", str(failed))
    suites.set("errors", str(len(report.errors)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _is_failure(clock: Clock, fail_on: Severity) -> bool:
    return fail_on.fails(clock.state)


def _testcase(suite: ET.Element, clock: Clock, tz: tzinfo, fail_on: Severity) -> None:
    case = ET.SubElement(suite, "testcase", classname=clock.policy, name=f"{clock.issue.id} {clock.metric}")
    props = ET.SubElement(case, "properties")
    for name, value in (
        ("state", clock.state.value),
        ("due_at", iso(clock.due_at, tz)),
        ("elapsed_seconds", clock.elapsed),
        ("target_seconds", clock.target),
        ("remaining_seconds", clock.remaining),
        ("level", clock.level or ""),
        ("where", clock.issue.where),
    ):
        ET.SubElement(props, "property", name=name, value=str(value))
    summary = _summary(clock)
    if _is_failure(clock, fail_on):
        failure = ET.SubElement(case, "failure", type=clock.state.value, message=summary)
        failure.text = "\n".join([summary, *(a.message for a in clock.actions)])
    elif clock.state is State.WARNING:
        ET.SubElement(case, "system-out").text = summary


def _summary(clock: Clock) -> str:
    title = clock.issue.fields.get("title", "")
    if clock.remaining <= 0 and clock.state.is_running:
        text = f"{clock.metric} {clock.state.value}: overdue by {format_duration(-clock.remaining)}"
    else:
        text = f"{clock.metric} {clock.state.value}: {format_duration(clock.remaining)} left"
    return f"{clock.issue.id} {text}" + (f" ({title})" if title else "")


# The markdown and GitHub writers, one Clock at a time.
_ICON = markdown_icons


def markdown(report: Report, *, tz: tzinfo, show_all: bool = False) -> str:
    counts = report.counts()
    shown = [c for c in urgency_order(report.clocks) if show_all or c.state in (State.BREACHED, State.WARNING)]
    as_of = datetime.fromtimestamp(report.as_of, tz).isoformat()
    sometimes = (State.PAUSED, State.NOT_STARTED)  # said where some clock is so
    states = ", ".join(
        f"{counts.get(s.value, 0)} {s.value.replace('_', ' ')}"
        for s in _ICON
        if counts.get(s.value, 0) or s not in sometimes
    )
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
        clock.metric,
        clock.policy,
        datetime.fromtimestamp(clock.due_at, tz).strftime("%Y-%m-%d %H:%M"),
        timing,
        clock.level or "",
        detail,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text.replace("<", "&lt;").replace("[", "\\[").replace("]", "\\]")


def github(report: Report, *, tz: tzinfo) -> str:
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
    props = [f"title={_property(f'SLA {clock.state.value}: {clock.issue.id} {clock.metric}')}"]
    if where and line.isdigit():
        props[:0] = [f"file={_property(where)}", f"line={line}"]
    if clock.remaining <= 0:
        timing = f"overdue by {format_duration(-clock.remaining)}"
    else:
        timing = f"{format_duration(clock.remaining)} left"
    parts = [f"{clock.policy}: {clock.metric} {timing}", clock.issue.fields.get("title", "")]
    parts += [action.message for action in clock.actions]
    return f"::{kind} {','.join(props)}::{_data(' — '.join(p for p in parts if p))}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
