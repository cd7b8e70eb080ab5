"""The escalation ladder: which step a running clock has reached, and the filled-in action message."""

from __future__ import annotations

from collections.abc import Callable

from escalate_cli.durations import format_duration
from escalate_cli.model import Action, Clock, Step

DEFAULT_AFTER_DUE = "Escalate {id} to {level}: {metric} overdue by {overdue}"
DEFAULT_BEFORE_DUE = "Escalate {id} to {level}: {metric} due in {remaining}"


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:  # a field the export did not have prints as nothing
        return ""


def reached_steps(steps: tuple[Step, ...], elapsed: int, target: int, due_passed: bool = True) -> list[Step]:
    """Every step whose threshold is at or below `elapsed`, in the order they are reached (ties in list order);
    one at or past the target only once the due time has come (`due_passed`: a target in open days can have
    used its time at a closing and still be due at the next opening)."""
    order = sorted(range(len(steps)), key=lambda i: (steps[i].elapsed_at(target), i))
    reached = [steps[i] for i in order if elapsed >= steps[i].elapsed_at(target)]
    return reached if due_passed else [step for step in reached if step.elapsed_at(target) < target]


def action_for(step: Step, clock: Clock, show_instant: Callable[[int], str]) -> Action:
    """The step's action for this clock, its message template filled in (unknown export fields print empty)."""
    issue, remaining = clock.issue, clock.remaining
    text = _Blank({key: str(value) for key, value in issue.fields.items()})
    text.update(
        id=issue.id,
        metric=clock.metric,
        policy=clock.policy,
        calendar=clock.calendar,
        state=clock.state.value,
        level=step.level,
        notify=", ".join(step.notify) or "nobody",
        overdue=format_duration(max(-remaining, 0)),
        remaining=format_duration(max(remaining, 0)),
        elapsed=format_duration(clock.elapsed),
        target=format_duration(clock.target),
        due=show_instant(clock.due_at) if clock.due_at is not None else "",
        labels=", ".join(issue.labels),
    )
    template = step.action or (DEFAULT_AFTER_DUE if remaining <= 0 else DEFAULT_BEFORE_DUE)
    return Action(level=step.level, notify=step.notify, message=template.format_map(text))
