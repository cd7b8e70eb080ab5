"""Issues as objects <-> the issue frame: readers that build `Issue`s hand them over here; the report turns the
rows it prints back into `Issue`s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from escalate_cli.engine import schema as S
from escalate_cli.model import Cycle, Issue
from escalate_cli.sla import field_values


@dataclass
class IssueFrame:
    """The frame and what it needs to become `Issue`s again: objects a reader built (by the OBJECT column), the
    extra mapped fields, and the raw columns that hold one cell each rather than a list (CSV cells)."""

    frame: pl.DataFrame
    fields: tuple[str, ...]  # every Utf8 field column: TEXT_FIELDS, then the config's extra ones
    raw_keys: tuple[str, ...]
    objects: Sequence[Issue] = ()
    single: frozenset[str] = field(default_factory=frozenset)  # raw keys whose record value is one string


def from_issues(issues: Sequence[Issue], fields: tuple[str, ...], raw_keys: tuple[str, ...]) -> IssueFrame:
    """The frame of issues built as objects (JSON exports, event logs folded by `history`)."""
    columns: dict[str, list[object]] = {
        S.ID: [i.id for i in issues],
        S.CREATED: [i.created for i in issues],
        S.FIRST_RESPONSE: [i.first_response for i in issues],
        S.RESOLVED: [i.resolved for i in issues],
        S.UPDATED: [i.updated for i in issues],
        S.PAUSED_SINCE: [_open_pause(i) for i in issues],
        S.CHANGED: [i.policy_changed_at for i in issues],
        S.PREVIOUS: [i.previous_policy for i in issues],
        S.WHERE: [i.where for i in issues],
        S.LABELS: [list(i.labels) for i in issues],
        S.PAUSES: [[{"from": a, "to": b} for a, b in i.pauses] if _listed(i) else None for i in issues],
        S.HELD: [[{"from": a, "to": b} for a, b in i.held] if i.held else None for i in issues],
        S.STATUS_SINCE: [i.status_since for i in issues],
        S.REPLIES: [i.replies_known for i in issues],
        S.OBJECT: list(range(len(issues))),
    }
    for name in fields:
        columns[name] = [i.fields.get(name, "") for i in issues]
    for key in raw_keys:
        columns[S.raw(key)] = [field_values(i, key) if key in i.record else None for i in issues]
    schema = S.empty(fields, raw_keys).schema
    frame = pl.DataFrame(columns, schema=schema)
    return IssueFrame(frame, fields, raw_keys, issues)


def _listed(issue: Issue) -> bool:
    """Its pauses need the PAUSES list: some ended, or there are several."""
    return any(end is not None for _, end in issue.pauses) or len(issue.pauses) > 1


def _open_pause(issue: Issue) -> int | None:
    if len(issue.pauses) == 1 and issue.pauses[0][1] is None:
        return issue.pauses[0][0]
    return None


def to_issues(issues: IssueFrame, rows: pl.DataFrame) -> list[Issue]:
    """The `Issue` of each row of `rows` (a selection of `issues.frame`). The columns are the truth; an issue a
    reader built as an object lends its record (any JSON value)."""
    names = rows.columns
    return [_issue(issues, dict(zip(names, values))) for values in rows.iter_rows()]


def _issue(issues: IssueFrame, row: Mapping[str, Any]) -> Issue:
    index: int | None = row[S.OBJECT]
    known = issues.objects[index] if index is not None else None
    paused: int | None = row[S.PAUSED_SINCE]
    pauses: tuple[tuple[int, int | None], ...] = ((paused, None),) if paused is not None else ()
    if row[S.PAUSES] is not None:
        pauses = tuple((pause["from"], pause["to"]) for pause in row[S.PAUSES])
    return Issue(
        id=str(row[S.ID]),
        created=row[S.CREATED],
        first_response=row[S.FIRST_RESPONSE],
        resolved=row[S.RESOLVED],
        updated=row[S.UPDATED],
        fields={name: str(row[name]) for name in issues.fields},
        labels=tuple(row[S.LABELS] or ()),
        record=known.record if known is not None else _record(issues, row),
        where=str(row[S.WHERE]),
        status_since=row[S.STATUS_SINCE],
        pauses=pauses,
        held=tuple((span["from"], span["to"]) for span in row[S.HELD] or ()),
        policy_changed_at=row[S.CHANGED],
        previous_policy=row[S.PREVIOUS],
        replies_known=row.get(S.REPLIES) is not False,
        cycles={
            key.removeprefix(S.CYCLES): tuple(Cycle(**cycle) for cycle in value or ())
            for key, value in row.items()
            if key.startswith(S.CYCLES)
        },
        clock_pauses={
            key.removeprefix(S.CLOCK_PAUSES): tuple((span["from"], span["to"]) for span in value or ())
            for key, value in row.items()
            if key.startswith(S.CLOCK_PAUSES)
        },
    )


def _record(issues: IssueFrame, row: Mapping[str, Any]) -> dict[str, object]:
    record: dict[str, object] = {}
    for key in issues.raw_keys:
        values = row[S.raw(key)]
        if isinstance(values, list):
            record[key] = (values[0] if values else "") if key in issues.single else values
    return record
