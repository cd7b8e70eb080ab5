"""The rows of one issue -> the issue at an instant: status semantics (closed, paused) and event-log history.

A snapshot export has one row per issue: a closed status without a resolved time stops at the last update, and a
paused status has paused since the last update (all such an export can tell). An event log has a row per change:
the latest row at or before the instant gives the fields, and the sequence of statuses gives exact pause
intervals, when the issue was closed, and when a change of fields moved it to another policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from escalate_cli.model import Issue, Problem, Statuses

PolicyOf = Callable[[Issue], "str | None"]


def status_of(issue: Issue) -> str:
    return issue.fields.get("status", "").strip().lower()


def latest(snapshots: Sequence[Issue]) -> Issue:
    """The most recently updated of repeated records of one issue; the later row on a tie."""
    best = snapshots[0]
    for snapshot in snapshots[1:]:
        if snapshot.updated is None or best.updated is None or snapshot.updated >= best.updated:
            best = snapshot  # without update times to compare, the later row wins
    return best


def with_status(issue: Issue, statuses: Statuses) -> Issue:
    """A snapshot with its status applied: closed stops at the last update, paused pauses since it."""
    status = status_of(issue)
    since = max(issue.updated, issue.created) if issue.updated is not None else issue.created
    if status in statuses.closed and issue.resolved is None:
        return replace(issue, resolved=since)
    if status in statuses.paused:
        return replace(issue, pauses=((since, None),))
    return issue


def fold(snapshots: Sequence[Issue], as_of: int, statuses: Statuses, policy_of: PolicyOf) -> Issue | None:
    """The issue as its event log shows it at `as_of`, or None if it had no event yet.

    Events are ordered by their update time (file order on a tie); an event without one counts at its created.
    """
    events = sorted(
        ((s.updated if s.updated is not None else s.created, i, s) for i, s in enumerate(snapshots)),
        key=lambda event: (event[0], event[1]),
    )
    events = [event for event in events if event[0] <= as_of]
    if not events:
        return None
    pauses: list[tuple[int, int | None]] = []
    held: list[tuple[int, int]] = []  # resolved, then reopened
    paused_since: int | None = None
    closed_since: int | None = None
    status_since = events[0][0]
    previous_status: str | None = None
    policy: str | None = None
    changed_at: int | None = None
    previous_policy: str | None = None
    for moment, _, snapshot in events:
        status = status_of(snapshot)
        if status != previous_status:
            status_since = moment
            if status not in statuses.closed:
                if closed_since is not None and statuses.hold_reopened and moment > closed_since:
                    held.append((closed_since, moment))
                closed_since = None  # reopened: a later closing stops the clock anew
            elif closed_since is None:  # closed -> another closed status keeps the first stop (Solved -> Closed)
                closed_since = moment
        if status in statuses.paused and paused_since is None:
            paused_since = moment
        elif status not in statuses.paused and paused_since is not None:
            if moment > paused_since:  # left in the same second (minute-precise logs): no pause at all
                pauses.append((paused_since, moment))
            paused_since = None
        now = policy_of(snapshot)
        if previous_status is not None and now != policy:
            changed_at, previous_policy = moment, policy
        policy, previous_status = now, status
    if paused_since is not None:
        pauses.append((paused_since, None))
    last = events[-1][2]
    return replace(
        last,
        created=min(s.created for _, _, s in events),
        resolved=last.resolved if last.resolved is not None else closed_since,
        updated=events[-1][0],
        status_since=status_since,
        pauses=tuple(pauses),
        held=tuple(held),
        policy_changed_at=changed_at,
        previous_policy=previous_policy,
    )


def looks_like_event_log(groups: Mapping[str, Sequence[Issue]]) -> bool:
    """Many ids (at least 10%, and two) have rows with different update times: a log of changes, not a snapshot
    in which an id or two happen to repeat."""
    changing = sum(1 for rows in groups.values() if len({s.updated for s in rows}) > 1)
    return changing >= max(2, len(groups) / 10)


def resolve(
    groups: Mapping[str, Sequence[Issue]],
    as_of: int,
    statuses: Statuses,
    history: bool | None,
    policy_of: PolicyOf,
    record_key: str | None = None,
) -> tuple[list[Issue], list[Problem]]:
    """One issue per id. `history` None decides by the data (`looks_like_event_log`); otherwise repeated rows are
    copies of one record (the same `record_key` value where the preset knows one, as ServiceNow's sys_id, else
    the same creation time), merged into the most recently updated; records that share an id but are not
    copies are different issues, each kept, with a note that the id conflicts."""
    is_log = history if history is not None else looks_like_event_log(groups)
    issues: list[Issue] = []
    merged, first_copy = 0, None
    notes = []
    for snapshots in groups.values():
        if is_log:
            issue = fold(snapshots, as_of, statuses, policy_of)
            if issue is not None:
                issues.append(issue)
            continue
        records: dict[object, list[Issue]] = {}  # copies of one record share its key, else its creation time
        for snapshot in snapshots:
            records.setdefault(_record_of(snapshot, record_key), []).append(snapshot)
        for copies in records.values():
            if len(copies) > 1:
                merged += len(copies) - 1
                first_copy = first_copy or copies[1]
            issues.append(with_status(latest(copies), statuses))
        if len(records) > 1:
            first, *others = (copies[0] for copies in records.values())
            notes += [
                Problem(
                    other.where,
                    f"id {other.id!r} is also the id of a different record ({_place(first.where, other.where)}, "
                    f"{_differs(first, other, record_key)}): both are kept",
                )
                for other in others
            ]
    if first_copy is not None:
        rows, were = (f"{merged} rows", "were") if merged != 1 else ("1 row", "was")
        notes.append(
            Problem(
                first_copy.where,
                f"{rows} repeated the id of an earlier row (first: {first_copy.id!r}) "
                f"and {were} merged, keeping the most recently updated",
            )
        )
    return issues, notes


def _record_of(issue: Issue, record_key: str | None) -> object:
    key = str(issue.record.get(record_key) or "").strip() if record_key is not None else ""
    return ("key", key) if key else issue.created


def _differs(first: Issue, other: Issue, record_key: str | None) -> str:
    if record_key is not None and _record_of(first, record_key) != first.created:
        return f"another {record_key}"
    return "created at another time"


def _place(where: str, here: str) -> str:
    """`where` (file:line, or file: record N) said from `here`: without the file name when it is the same."""
    file, _, spot = where.rpartition(":")
    if file != here.rpartition(":")[0]:
        return f"at {where}"
    spot = spot.strip()
    return f"line {spot}" if spot.isdigit() else spot
