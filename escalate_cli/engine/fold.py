"""The rows of every issue -> each issue as it stands at the instant evaluated: the fold stage.

Without repeated ids (most snapshot exports), the snapshot status rules apply by columns (`build.with_status`).
Repeated ids are copies to merge or an event log to replay: `history.resolve`, the scalar fold, takes those
issues as objects and hands them back. Grouping and replaying event logs by columns is still to come (#17).
"""

from __future__ import annotations

import polars as pl

from escalate_cli.engine import schema as S
from escalate_cli.engine.build import with_status
from escalate_cli.engine.frame import IssueFrame, from_issues, to_issues
from escalate_cli.model import Issue, Policy, Problem, Statuses


def at_instant(
    rows: IssueFrame,
    as_of: int,
    statuses: Statuses,
    history: bool | None,
    policies: tuple[Policy, ...],
    only: str | None = None,
) -> tuple[IssueFrame, list[Problem]]:
    """`only`: the id of the one issue wanted (`explain`); whether the rows are an event log is still decided
    over every id, so that it stands as it would among the others."""
    frame = rows.frame
    repeats = frame.height != frame.get_column(S.ID).n_unique()
    if not repeats and history is not True:
        snapshot = frame if only is None else frame.filter(pl.col(S.ID) == only)
        return IssueFrame(with_status(snapshot, statuses), rows.fields, rows.raw_keys, rows.objects, rows.single), []
    from escalate_cli.history import resolve
    from escalate_cli.sla import policy_name

    is_log = history if history is not None else is_event_log(frame)
    if only is not None:
        frame = frame.filter(pl.col(S.ID) == only)
    chosen = IssueFrame(frame, rows.fields, rows.raw_keys, rows.objects, rows.single)
    issues, notes = resolve(groups(chosen), as_of, statuses, is_log, policy_name(policies))
    return from_issues(issues, rows.fields, rows.raw_keys), notes


def is_event_log(frame: pl.DataFrame) -> bool:
    """`history.looks_like_event_log` by columns: at least 10% of the ids, and two, have rows with different
    update times."""
    per_id = frame.group_by(S.ID).agg(pl.col(S.UPDATED).n_unique().alias("times"))
    changing = int((per_id.get_column("times") > 1).sum())
    return changing >= max(2, per_id.height / 10)


def groups(rows: IssueFrame) -> dict[str, list[Issue]]:
    """Every row as an issue, by id in order of first appearance (what `history` replays)."""
    out: dict[str, list[Issue]] = {}
    frame = rows.frame.with_columns(pl.lit(False).alias(S.ORACLE))  # rows, not histories: no pause of their own
    for issue in to_issues(rows, frame):
        out.setdefault(issue.id, []).append(issue)
    return out
