"""(issues, policies, now) -> clocks: which policy applies, how much business time each clock has used, its state."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from escalate_cli.escalation import action_for, reached_step
from escalate_cli.model import Clock, Condition, Issue, Metric, Policy, Report, State


def evaluate(
    issues: Iterable[Issue], policies: tuple[Policy, ...], as_of: int, show_instant: Callable[[int], str]
) -> Report:
    """Evaluate every issue at `as_of` (epoch seconds). Issues created after `as_of` do not exist yet and are
    left out; stops after `as_of` have not happened yet."""
    report = Report(as_of=as_of)
    for issue in issues:
        if issue.created > as_of:
            continue
        report.issues += 1
        policy = match_policy(issue, policies)
        if policy is None:
            report.unmatched.append(issue)
            continue
        for metric, target in policy.targets.items():
            report.clocks.append(clock_for(issue, policy, metric, target, as_of, show_instant))
    return report


def match_policy(issue: Issue, policies: Iterable[Policy]) -> Policy | None:
    """The first policy in file order whose every condition holds."""
    for policy in policies:
        if all(condition_holds(c, issue) for c in policy.match):
            return policy
    return None


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


def clock_span(issue: Issue, metric: Metric) -> tuple[int, int | None]:
    """When the metric's clock starts, and when it stopped (None while running)."""
    if metric is Metric.FIRST_RESPONSE:
        return issue.created, issue.first_response if issue.first_response is not None else issue.resolved
    if metric is Metric.RESOLUTION:
        return issue.created, issue.resolved
    start = max(issue.updated, issue.created) if issue.updated is not None else issue.created
    return start, issue.resolved


def clock_for(
    issue: Issue, policy: Policy, metric: Metric, target: int, as_of: int, show_instant: Callable[[int], str]
) -> Clock:
    start, stop = clock_span(issue, metric)
    if stop is not None and stop > as_of:
        stop = None  # not stopped yet at the instant being evaluated
    calendar = policy.calendar
    elapsed = calendar.elapsed_ts(start, stop if stop is not None else as_of)
    due = calendar.add_ts(start, target)
    state = _state(policy, elapsed, target, running=stop is None)
    clock = Clock(issue, metric, policy.name, policy.calendar_name, state, start, due, stop, elapsed, target)
    step = reached_step(policy.steps, elapsed, target) if state.is_running else None
    if step is None:
        return clock
    return replace(clock, level=step.level, actions=(action_for(step, clock, show_instant),))


def _state(policy: Policy, elapsed: int, target: int, *, running: bool) -> State:
    if not running:
        return State.MET if elapsed <= target else State.MISSED
    if elapsed >= target:
        return State.BREACHED
    if any(elapsed >= threshold.elapsed_at(target) for threshold in policy.warn):
        return State.WARNING
    return State.OK
