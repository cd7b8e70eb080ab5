"""Why an issue stands where it does: which policy matched and why the ones before it did not, each clock's
counted business segments and the closed spans skipped (with reasons: nights, weekends, holidays by name,
pauses), and the instant each warning and escalation threshold is reached."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from escalate_cli.business_time import Calendar
from escalate_cli.durations import format_duration
from escalate_cli.model import Clock, ClockDef, Issue, Metric, Policy, WorkingDays
from escalate_cli.sla import (
    clock_for,
    clock_span,
    cycle_clocks,
    cycle_span,
    field_values,
    instant_reaching,
    match_policy,
    merged,
    pauses_within,
    uncounted,
)


@dataclass(frozen=True)
class PolicyCheck:
    policy: str
    matched: bool
    key: str | None = None  # the first condition that failed
    actual: tuple[str, ...] = ()
    expected: tuple[str, ...] = ()


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # counted | closed | paused
    seconds: int  # business seconds in the span (what counted, or what a pause withheld)
    reason: str = ""


@dataclass(frozen=True)
class Mark:
    """A warning or escalation threshold, or the due time, and the instant the clock reaches it."""

    label: str
    kind: str  # warning | due | escalation
    elapsed_at: int
    instant: int
    reached: bool
    level: str | None = None
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClockStory:
    clock: Clock
    started_by: str  # what started it (for a defined clock: the trigger and the row)
    spans: tuple[Span, ...]
    marks: tuple[Mark, ...]
    stopped_by: str = ""  # what stopped it, where a defined clock's cycle has stopped
    defined: bool = False  # a clock of the config's `clocks:` (its cycles are numbered)


@dataclass(frozen=True)
class Explanation:
    issue: Issue
    as_of: int
    checks: tuple[PolicyCheck, ...]
    policy: str | None
    clocks: tuple[ClockStory, ...]
    not_measured: tuple[str, ...] = ()  # the policy's targets the export cannot measure (no first-reply column)
    figures: tuple[Figure, ...] = ()  # the tool's own figures for the issue (`presets.Figure`)


@dataclass(frozen=True)
class Figure:
    """One of the tool's own figures for the issue: its value in minutes, and where it is a span of calendar
    minutes from the creation, the instant it places."""

    name: str
    minutes: int
    unit: str
    at: int | None


def explain(
    issue: Issue,
    policies: tuple[Policy, ...],
    as_of: int,
    show_instant: Callable[[int], str],
    holiday_name: Callable[[Calendar, date], str | None],
    restart_on_reclassify: bool = False,
    figures: Sequence[tuple[str, str, str]] = (),
) -> Explanation:
    """`figures`: the tools' own figures an export may carry (name, column, unit: `presets.FIGURES`)."""
    checks = tuple(_check(issue, policy) for policy in policies)
    policy = match_policy(issue, policies)
    stories: list[ClockStory] = []
    unmeasured: list[str] = []
    if policy is not None:
        for metric, target in policy.targets.items():
            if metric == Metric.FIRST_RESPONSE and not issue.replies_known:
                unmeasured.append(metric)  # the export has no first-reply evidence
                continue
            if metric in policy.clocks:
                for clock in cycle_clocks(issue, policy, metric, target, as_of, show_instant):
                    stories.append(_cycle_story(issue, policy, clock, as_of, holiday_name))
                continue
            clock = clock_for(issue, policy, metric, target, as_of, show_instant, restart_on_reclassify)
            stories.append(_story(issue, policy, clock, as_of, holiday_name))
    return Explanation(
        issue,
        as_of,
        checks[: _upto(checks)],
        policy.name if policy else None,
        tuple(stories),
        tuple(unmeasured),
        _figures(issue, figures),
    )


def _figures(issue: Issue, figures: Sequence[tuple[str, str, str]]) -> tuple[Figure, ...]:
    """The figures the issue's row has a whole number of minutes for."""
    out = []
    for name, column, unit in figures:
        values = field_values(issue, column)
        text = values[0].strip() if values else ""
        try:
            minutes = int(float(text))
        except ValueError:
            continue
        at = issue.created + 60 * minutes if unit == "minutes" else None
        out.append(Figure(name, minutes, unit, at))
    return tuple(out)


def _upto(checks: tuple[PolicyCheck, ...]) -> int:
    """The checks up to and including the first match (all of them when nothing matched)."""
    for i, check in enumerate(checks):
        if check.matched:
            return i + 1
    return len(checks)


def _check(issue: Issue, policy: Policy) -> PolicyCheck:
    for condition in policy.match:
        actual = field_values(issue, condition.key)
        if not any(condition.accepts(value) for value in actual):
            expected = tuple(sorted(condition.values)) + tuple(f"~{p.pattern}" for p in condition.patterns)
            return PolicyCheck(policy.name, False, condition.key, tuple(actual), expected)
    return PolicyCheck(policy.name, True)


def _cycle_story(
    issue: Issue, policy: Policy, clock: Clock, as_of: int, holiday_name: Callable[[Calendar, date], str | None]
) -> ClockStory:
    """One cycle of a defined clock: the trigger and row that started it, its pauses, what stopped it."""
    definition = policy.clock(clock.metric)
    if clock.started_at is None:
        said = " or ".join(t.text for t in definition.start)
        return ClockStory(clock, f"not started: nothing in the history made {said} happen", (), (), defined=True)
    cycle = issue.cycles[clock.metric][clock.cycle - 1]
    started_by = cycle.started_by + (f" at {cycle.start_where}" if cycle.start_where else "")
    if definition.starts_after:
        started_by += f", counting from {format_duration(definition.starts_after)} of business time after it"
    _, stop, stopped_by = cycle_span(issue, policy, clock.metric, cycle, as_of)
    if stop is not None and stop == cycle.stop and cycle.stop_where:
        stopped_by += f" at {cycle.stop_where}"
    end = clock.stopped_at if clock.stopped_at is not None else as_of
    held = issue.held
    pauses = pauses_within(merged((*issue.clock_pauses.get(clock.metric, ()), *held)), clock.started_at, end)
    spans = _spans(policy.calendar, clock.started_at, end, pauses, holiday_name, held, "pause: " + _said(definition))
    marks = tuple(_marks(policy, clock, pauses, as_of))
    return ClockStory(clock, started_by, tuple(spans), marks, stopped_by, defined=True)


def _said(definition: ClockDef) -> str:
    return " or ".join(t.text for t in definition.pause)


def _story(
    issue: Issue, policy: Policy, clock: Clock, as_of: int, holiday_name: Callable[[Calendar, date], str | None]
) -> ClockStory:
    start, _ = clock_span(issue, clock.metric)
    assert clock.started_at is not None  # a built-in clock always starts
    started_by = {Metric.FIRST_RESPONSE.value: "created", Metric.RESOLUTION.value: "created"}.get(
        clock.metric, "last update"
    )
    if clock.started_at != start:
        started_by = "policy change"
    elif clock.metric == Metric.UPDATE and issue.updated is None:
        started_by = "created (no update time)"
    end = clock.stopped_at if clock.stopped_at is not None else as_of
    pauses = pauses_within(uncounted(issue, policy, clock.metric), clock.started_at, end)
    spans = _spans(policy.calendar, clock.started_at, end, pauses, holiday_name, issue.held)
    return ClockStory(clock, started_by, tuple(spans), tuple(_marks(policy, clock, pauses, as_of)))


def _spans(
    calendar: Calendar,
    start: int,
    end: int,
    pauses: list[tuple[int, int | None]],
    holiday_name: Callable[[Calendar, date], str | None],
    held: tuple[tuple[int, int], ...] = (),
    paused_by: str = "paused status",
) -> list[Span]:
    spans: list[Span] = []
    cursor = start
    for open_start, open_end in calendar.open_spans(start, end):
        if open_start > cursor:
            spans.append(
                Span(cursor, open_start, "closed", 0, _closed_reason(calendar, cursor, open_start, holiday_name))
            )
        spans += _split_by_pauses(calendar, open_start, open_end, pauses, held, paused_by)
        cursor = open_end
    if cursor < end:
        spans.append(Span(cursor, end, "closed", 0, _closed_reason(calendar, cursor, end, holiday_name)))
    return spans


def _split_by_pauses(
    calendar: Calendar,
    start: int,
    end: int,
    pauses: list[tuple[int, int | None]],
    held: tuple[tuple[int, int], ...],
    paused_by: str,
) -> list[Span]:
    pieces: list[Span] = []
    cursor = start
    for pause_start, pause_end in pauses:
        lo, hi = max(pause_start, cursor), min(pause_end if pause_end is not None else end, end)
        if lo >= hi:
            continue
        if lo > cursor:
            pieces.append(Span(cursor, lo, "counted", lo - cursor))
        why = "resolved until reopened" if any(a <= lo and hi <= b for a, b in held) else paused_by
        pieces.append(Span(lo, hi, "paused", calendar.elapsed_ts(lo, hi), why))
        cursor = hi
    if cursor < end:
        pieces.append(Span(cursor, end, "counted", end - cursor))
    return pieces


def _closed_reason(
    calendar: Calendar, start: int, end: int, holiday_name: Callable[[Calendar, date], str | None]
) -> str:
    first = datetime.fromtimestamp(start, calendar.tz).date()
    last = datetime.fromtimestamp(end - 1, calendar.tz).date()
    reasons: list[str] = []
    day = first
    while day <= last and len(reasons) < 8:
        name = holiday_name(calendar, day)
        if day in calendar.special and not calendar.special[day]:
            reasons.append(f"closed on {day.isoformat()} (special day)")
        elif name is not None and day not in calendar.special:
            reasons.append(f"holiday: {name} ({day.isoformat()})")
        elif not calendar.windows_on(day) and calendar.week[day.weekday()] == ():
            reasons.append(f"no hours on {day.strftime('%a')}")
        day += timedelta(days=1)
    return "; ".join(reasons) or "outside opening hours"


def _marks(policy: Policy, clock: Clock, pauses: list[tuple[int, int | None]], as_of: int) -> list[Mark]:
    target, started, due = clock.target, clock.started_at, clock.due_at
    assert started is not None and due is not None  # a clock that has started
    marks: list[Mark] = []
    passed = (clock.stopped_at if clock.stopped_at is not None else as_of) >= due  # reached only at due
    for threshold in policy.warn:
        at = threshold.elapsed_at(target)
        label = (
            f"warning at {float(threshold.share * 100):g}%"
            if threshold.share is not None
            else f"warning {format_duration(threshold.left or 0)} before due"
        )
        marks.append(
            Mark(label, "warning", at, instant_reaching(policy, started, at, pauses, as_of), clock.elapsed >= at)
        )
    days = policy.targets.get(clock.metric)
    said = f"{days}: {format_duration(target)}" if isinstance(days, WorkingDays) else format_duration(target)
    marks.append(Mark(f"due ({said})", "due", target, due, clock.elapsed >= target and passed))
    for step in policy.steps:
        at = step.elapsed_at(target)
        when = (
            f"{float(step.share * 100):g}%"
            if step.share is not None
            else f"{'+' if (step.past_due or 0) >= 0 else '-'}{format_duration(abs(step.past_due or 0))}"
        )
        marks.append(
            Mark(
                f"{step.level} at {when}",
                "escalation",
                at,
                due if at == target else instant_reaching(policy, started, at, pauses, as_of),
                clock.elapsed >= at and (at < target or passed),
                step.level,
                step.notify,
            )
        )
    return sorted(marks, key=lambda m: (m.elapsed_at, m.kind != "warning"))
