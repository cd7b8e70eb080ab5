"""(issues, policies, now) -> clocks: which policy applies, how much business time each clock has used, its state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from escalate_cli.business_time import Calendar
from escalate_cli.escalation import action_for, reached_steps
from escalate_cli.model import (
    Clock,
    Condition,
    Cycle,
    Issue,
    Metric,
    Policy,
    Report,
    Spans,
    State,
    Target,
    WorkingDays,
)

if TYPE_CHECKING:
    pass


def evaluate(
    issues: Iterable[Issue],
    policies: tuple[Policy, ...],
    as_of: int,
    show_instant: Callable[[int], str],
    *,
    restart_on_reclassify: bool = False,
    sink: Callable[[Clock], None] | None = None,
) -> Report:
    """Evaluate every issue at `as_of` (epoch seconds). Issues created after `as_of` do not exist yet and are
    left out; stops after `as_of` have not happened yet. With `restart_on_reclassify`, clocks still running when
    the issue moved to its policy are measured from that moment instead of from their start. With a `sink`,
    each clock goes to it and the report only counts them (report.counted)."""
    report = Report(as_of=as_of, counted=Counter() if sink is not None else None)
    keep = sink or report.clocks.append
    counted = report.counted
    match = PolicyMatcher(policies)
    for issue in issues:
        if issue.created > as_of:
            continue
        report.issues += 1
        policy = match(issue)
        if policy is None:
            report.unmatched.append(issue)
            continue
        for metric, target in policy.targets.items():
            if metric == Metric.FIRST_RESPONSE and not issue.replies_known:
                continue  # its export has no first-reply evidence: not measurable, and said once by the reader
            if metric in policy.clocks:
                measured = cycle_clocks(issue, policy, metric, target, as_of, show_instant)
            else:
                measured = [clock_for(issue, policy, metric, target, as_of, show_instant, restart_on_reclassify)]
            for clock in measured:
                if counted is not None:
                    counted[clock.state.value] += 1
                keep(clock)
    return report


class PolicyMatcher:
    """match_policy with a memory: issues that agree on every field the policies look at get the same policy."""

    def __init__(self, policies: tuple[Policy, ...]) -> None:
        self.policies = policies
        self.keys = tuple(dict.fromkeys(c.key for policy in policies for c in policy.match))
        self.cache: dict[tuple[tuple[str, ...], ...], Policy | None] = {}

    def __call__(self, issue: Issue) -> Policy | None:
        signature = tuple(tuple(field_values(issue, key)) for key in self.keys)
        try:
            return self.cache[signature]
        except KeyError:
            if len(self.cache) > 100_000:  # free-text keys would make it grow without bound
                self.cache.clear()
            policy = self.cache[signature] = match_policy(issue, self.policies)
            return policy


def match_policy(issue: Issue, policies: Iterable[Policy]) -> Policy | None:
    """The first policy in file order whose every condition holds."""
    for policy in policies:
        if all(condition_holds(c, issue) for c in policy.match):
            return policy
    return None


def policy_name(policies: tuple[Policy, ...]) -> Callable[[Issue], str | None]:
    """Which policy an issue (or one row of its history) falls under, by name."""

    def name(issue: Issue) -> str | None:
        policy = match_policy(issue, policies)
        return policy.name if policy is not None else None

    return name


def condition_holds(condition: Condition, issue: Issue) -> bool:
    return any(condition.accepts(value) for value in field_values(issue, condition.key))


def field_values(issue: Issue, key: str) -> list[str]:
    """The values of a mapped field or an export column, as text (a list column gives each element)."""
    if key == "labels":
        return list(issue.labels)
    if key == "id":
        return [issue.id]
    if key in issue.fields:
        return [issue.fields[key]]
    raw = issue.record.get(key)
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(item) for item in raw if item is not None]
    return [str(raw)]


def clock_span(issue: Issue, metric: str) -> tuple[int, int | None]:
    """When a built-in clock starts, and when it stopped (None while running)."""
    if metric == Metric.FIRST_RESPONSE:  # whichever came first: a reply after the resolution is too late to count
        stops = [t for t in (issue.first_response, issue.resolved) if t is not None]
        return issue.created, min(stops) if stops else None
    if metric == Metric.RESOLUTION:
        return issue.created, issue.resolved
    start = max(issue.updated, issue.created) if issue.updated is not None else issue.created
    return start, issue.resolved


def clock_for(
    issue: Issue,
    policy: Policy,
    metric: str,
    target: Target,
    as_of: int,
    show_instant: Callable[[int], str],
    restart_on_reclassify: bool = False,
) -> Clock:
    """A built-in clock of the issue at `as_of`."""
    start, stop = clock_span(issue, metric)
    if stop is not None and stop > as_of:
        stop = None  # not stopped yet at the instant being evaluated
    changed = issue.policy_changed_at
    if restart_on_reclassify and changed is not None and changed > start and (stop is None or stop > changed):
        start = changed
    return measured(issue, policy, metric, target, start, stop, uncounted(issue, policy, metric), as_of, show_instant)


def cycle_clocks(
    issue: Issue, policy: Policy, name: str, target: Target, as_of: int, show_instant: Callable[[int], str]
) -> list[Clock]:
    """A defined clock of the issue at `as_of`: one per cycle started by then, else one not started."""
    cycles = [cycle for cycle in issue.cycles.get(name, ()) if cycle.start <= as_of]
    if not cycles:
        return [not_started(issue, policy, name, target_deadline(policy.calendar, target, as_of)[0])]
    spans = merged((*issue.clock_pauses.get(name, ()), *issue.held))
    out = []
    for number, cycle in enumerate(cycles, 1):
        start, stop, _ = cycle_span(issue, policy, name, cycle, as_of)
        clock = measured(issue, policy, name, target, start, stop, spans, as_of, show_instant)
        out.append(replace(clock, cycle=number))
    return out


def not_started(issue: Issue, policy: Policy, name: str, target: int) -> Clock:
    return Clock(issue, name, policy.name, policy.calendar_name, State.NOT_STARTED, None, None, None, 0, target)


def cycle_span(issue: Issue, policy: Policy, name: str, cycle: Cycle, as_of: int) -> tuple[int, int | None, str]:
    """Where a cycle's clock starts (after `starts_after`), where it stopped by `as_of` (None: running), and
    what stopped it: its stop trigger, an `at` stop, or the issue's resolution, whichever came first (as the
    built-in clocks take them: a resolution before the cycle began leaves it no time)."""
    clock = policy.clock(name)
    start = policy.calendar.add_ts(cycle.start, clock.starts_after) if clock.starts_after else cycle.start
    stops = [(cycle.stop, cycle.stopped_by)] if cycle.stop is not None else []
    for trigger in clock.stop:
        moment = issue.first_response if trigger.at == "first_reply" else issue.resolved if trigger.at else None
        if moment is not None:
            stops.append((moment, trigger.text))
    if issue.resolved is not None:
        stops.append((issue.resolved, "resolved"))
    stops = [(moment, by) for moment, by in stops if moment <= as_of]
    if not stops:
        return start, None, ""
    moment, by = min(stops, key=lambda stop: stop[0])
    return start, moment, by


def merged(spans: Spans) -> Spans:
    """Spans in order with the overlapping ones joined (an open one, without an end, takes in all after it)."""
    out: list[tuple[int, int | None]] = []
    for lo, hi in sorted(spans, key=lambda span: span[0]):
        if out and (out[-1][1] is None or lo <= out[-1][1]):
            last_lo, last_hi = out[-1]
            out[-1] = (last_lo, None if hi is None or last_hi is None else max(last_hi, hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def measured(
    issue: Issue,
    policy: Policy,
    metric: str,
    configured: Target,
    start: int,
    stop: int | None,
    spans: Spans,
    as_of: int,
    show_instant: Callable[[int], str],
) -> Clock:
    """The clock that ran from `start` to `stop` (None: running at `as_of`), not counting `spans`."""
    end = stop if stop is not None else as_of
    calendar = policy.calendar
    target, deadline = target_deadline(calendar, configured, start)
    pauses = pauses_within(spans, start, end)
    paused = sum(calendar.elapsed_ts(a, b if b is not None else end) for a, b in pauses)  # already clipped
    elapsed = calendar.elapsed_ts(start, end) - paused
    due = instant_reaching(policy, start, target, pauses, as_of)
    if deadline is not None and due < deadline and not calendar.elapsed_ts(due, deadline):
        due = deadline  # the time ran out at a closing: due when the working days end (the next opening)
    is_paused = stop is None and bool(pauses) and pauses[-1][1] is None
    passed = as_of >= due
    in_time = stop is None or stop <= due
    state = _state(policy, elapsed, target, running=stop is None, paused=is_paused, in_time=in_time, due_passed=passed)
    clock = Clock(
        issue,
        metric,
        policy.name,
        policy.calendar_name,
        state,
        start,
        due,
        stop,
        elapsed,
        target,
        paused_seconds=paused,
    )
    steps = reached_steps(policy.steps, elapsed, target, passed) if state.is_running else []
    if not steps:
        return clock
    reached = tuple(action_for(step, clock, show_instant) for step in steps)
    return replace(clock, level=steps[-1].level, actions=reached[-1:], reached=reached)


def target_deadline(calendar: Calendar, target: Target, start: int) -> tuple[int, int | None]:
    """The business seconds a clock started at `start` has, and for a target in open days the instant they
    end (`Calendar.days_later`): its time is the open time until then, and it is due then at the latest
    (None: a target in business time, due when that is used)."""
    if isinstance(target, WorkingDays):
        deadline = calendar.days_later(start, target.days, target.end_of_day)
        return calendar.elapsed_ts(start, deadline), deadline
    return target, None


def uncounted(issue: Issue, policy: Policy, metric: str) -> tuple[tuple[int, int | None], ...]:
    """What a clock of `metric` does not count, in order: the issue's pauses where the policy pauses the metric,
    and the time it sat resolved before a reopening (closed and paused statuses never overlap)."""
    pauses = issue.pauses if metric in policy.pause else ()
    if not issue.held:
        return pauses
    return tuple(sorted((*pauses, *issue.held), key=lambda span: span[0]))


def pauses_within(spans: Sequence[tuple[int, int | None]], start: int, end: int) -> list[tuple[int, int | None]]:
    """Spans not counted (`uncounted`) clipped to [start, end); one still open at `end` keeps None as its end."""
    clipped: list[tuple[int, int | None]] = []
    for pause_start, pause_end in spans:
        lo = max(pause_start, start)
        if pause_end is not None and (lo >= end or pause_end <= lo):
            continue
        if pause_end is None and lo > end:  # an open pause that begins at `end` already holds the clock
            continue
        clipped.append((lo, pause_end if pause_end is not None and pause_end <= end else None))
    return clipped


def instant_reaching(policy: Policy, start: int, seconds: int, pauses: list[tuple[int, int | None]], as_of: int) -> int:
    """When a clock started at `start` has used `seconds` of business time, paused time not counting; while
    paused, when it would if resumed now. With `seconds` = the target, this is the due time."""
    calendar, remaining, cursor = policy.calendar, seconds, start
    for pause_start, pause_end in pauses:
        due = calendar.add_ts(cursor, remaining)
        if due <= pause_start:
            return due
        remaining -= calendar.elapsed_ts(cursor, pause_start)
        cursor = pause_end if pause_end is not None else max(as_of, pause_start)
    return calendar.add_ts(cursor, remaining)


def _state(
    policy: Policy,
    elapsed: int,
    target: int,
    *,
    running: bool,
    paused: bool = False,
    in_time: bool = True,
    due_passed: bool = True,
) -> State:
    """`in_time`: a stopped clock stopped at or before its due time. Stopping after it is late even when no
    business time passed since (due at 17:00 closing, stopped at 20:00): the verdict follows the instants.
    `due_passed`: the instant evaluated is at or after the due time (a target in open days that used its time
    at a closing is due at the next opening, and breached only then)."""
    if not running:
        return State.MET if in_time else State.MISSED
    if elapsed >= target and due_passed:
        return State.BREACHED  # a pause does not undo a breach
    if paused:
        return State.PAUSED
    if any(elapsed >= threshold.elapsed_at(target) for threshold in policy.warn):
        return State.WARNING
    return State.OK
