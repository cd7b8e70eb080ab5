"""An issue's history -> the cycles of a defined clock: when each started, what stopped it, and what paused it.

The scalar rules, one row at a time; `engine.cycles` does the same for every issue by columns and is tested
against this. The history is the issue's rows up to the instant evaluated, in order (time, then file order):
rows of fields (an event log's, or a snapshot's one row) and messages.

- A `when` trigger fires at a row of fields that makes its conditions true where the row of fields before it
  did not (the first row counts when they hold on it); `changes: F` where F gets a value (not blank, nor an
  export's mark of none such as "?") other than the one it had on the row before; a message trigger at a
  message of its side that follows none of that side since the other last wrote (`every`: at each one); an
  `at` trigger at the issue's own instant. Rows of one instant come in this order: the issue's own instant,
  rows of fields, messages (each in file order).
- A start opens a cycle. With `cycles: each`, every start does, and a cycle still running ends there
  ("restarted"); with `first`, only the first. A stop ends the running cycle. A row that fires both opens the
  new cycle first: a start and a stop on the same row make a cycle of no time.
- A pause trigger holds from the row of fields that makes it true to the one that makes it false (a span left
  in the second it began is none); spans still open at the end have no end.

The issue's resolution stops every clock too (and a reopening resumes it); `sla.clock_for` applies that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from escalate_cli.model import ClockDef, Cycle, Issue, Spans, Trigger
from escalate_cli.sla import condition_holds, field_values

RESTARTED = "restarted"


@dataclass(frozen=True)
class Row:
    """One row of an issue's history as the cycles read it: fields (`issue`) or a message (`role`)."""

    at: int
    order: int  # file order, for rows of one instant
    where: str
    issue: Issue | None = None
    role: str | None = None  # customer | agent, for a message


def start_instant(trigger: Trigger, issue: Issue) -> int | None:
    """Where an `at` start trigger puts the start: an instant the folded issue has."""
    if trigger.at == "created":
        return issue.created
    if trigger.at == "updated":
        return max(issue.updated, issue.created) if issue.updated is not None else issue.created
    return issue.first_response


def cycles_of(rows: Sequence[Row], clock: ClockDef, issue: Issue) -> tuple[tuple[Cycle, ...], Spans]:
    """The clock's cycles and pause spans over the rows of one issue (in order), as folded into `issue`."""
    stream = list(rows)
    for trigger in clock.start:
        moment = start_instant(trigger, issue) if trigger.at else None
        if moment is not None:
            stream.append(Row(moment, -1, ""))
    stream.sort(key=lambda row: (row.at, rank(row), row.order))
    cycles: list[Cycle] = []
    pauses: list[tuple[int, int | None]] = []
    running: Cycle | None = None
    previous: Issue | None = None  # the last row of fields
    fields_where = ""
    last_role: str | None = None
    paused_since: int | None = None
    for row in stream:
        if row.issue is not None:
            fields_where = row.where
        starts = _fired(clock.start, row, previous, last_role)
        stops = _fired(clock.stop, row, previous, last_role)
        if starts and (clock.cycles == "each" or (not cycles and running is None)):
            if running is not None:
                cycles.append(_ended(running, row, stops or RESTARTED))
            running = Cycle(row.at, None, starts, "", row.where, "", fields_where)
        if stops and running is not None:
            cycles.append(_ended(running, row, stops))
            running = None
        if row.issue is not None:
            holds = any(all(condition_holds(c, row.issue) for c in t.when) for t in clock.pause)
            if holds and paused_since is None:
                paused_since = row.at
            elif not holds and paused_since is not None:
                if row.at > paused_since:
                    pauses.append((paused_since, row.at))
                paused_since = None
            previous = row.issue
        if row.role is not None:
            last_role = row.role
    if running is not None:
        cycles.append(running)
    if paused_since is not None:
        pauses.append((paused_since, None))
    return tuple(cycles), tuple(pauses)


def rank(row: Row) -> int:
    """Rows of one instant: the issue's own instant first, then rows of fields, then messages."""
    return 0 if row.order == -1 and row.issue is None and row.role is None else 1 if row.issue is not None else 2


def _ended(cycle: Cycle, row: Row, by: str) -> Cycle:
    return Cycle(cycle.start, row.at, cycle.started_by, by, cycle.start_where, row.where, cycle.fields_where)


def _fired(triggers: tuple[Trigger, ...], row: Row, previous: Issue | None, last_role: str | None) -> str:
    """The text of the first of `triggers` that fires at `row` ("" when none does)."""
    for trigger in triggers:
        if _fires(trigger, row, previous, last_role):
            return trigger.text
    return ""


def _fires(trigger: Trigger, row: Row, previous: Issue | None, last_role: str | None) -> bool:
    if trigger.at is not None:
        return row.order == -1 and row.issue is None and row.role is None
    if trigger.message is not None:
        return row.role == trigger.message and (trigger.every or last_role != trigger.message)
    if row.issue is None:
        return False
    if trigger.changes is not None:
        now = value_of(row.issue, trigger.changes)
        return bool(now) and (previous is None or value_of(previous, trigger.changes) != now)
    holds = all(condition_holds(c, row.issue) for c in trigger.when)
    return holds and (previous is None or not all(condition_holds(c, previous) for c in trigger.when))


NO_VALUE = ("", "?", "-", "null", "n/a")  # what exports write in an empty cell (ServiceNow: "?"), lower case


def value_of(issue: Issue, key: str) -> str:
    """A field's value as `changes` compares it: its values, trimmed, "" when all are blank (`NO_VALUE`)."""
    values = [v.strip() for v in field_values(issue, key)]
    return "\x1f".join(values) if any(v.lower() not in NO_VALUE for v in values) else ""
