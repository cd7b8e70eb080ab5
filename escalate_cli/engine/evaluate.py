"""(issue frame, policies, instant) -> report: the one evaluation every command takes.

    exists  ->  match (POLICY)  ->  clocks per (policy, metric)  ->  order  ->  report

The report holds counts always; `Clock` objects (what the writers and the state file read) only when asked for,
built from the clock frame row by row at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import polars as pl

from escalate_cli.engine import clocks as C
from escalate_cli.engine import schema as S
from escalate_cli.engine.frame import IssueFrame, to_issues
from escalate_cli.engine.match import with_policy
from escalate_cli.escalation import action_for
from escalate_cli.model import Clock, Policy, Report, State


def evaluate(
    issues: IssueFrame,
    policies: tuple[Policy, ...],
    as_of: int,
    show_instant: Callable[[int], str],
    *,
    restart_on_reclassify: bool = False,
    keep_clocks: bool = True,
    as_table: bool = False,
    every_cycle: bool = False,
    history: IssueFrame | None = None,
) -> Report:
    """Every clock of the issues that exist at `as_of` (epoch seconds). Without `keep_clocks`, the report only
    counts clocks per state (report.counted), and no `Clock` or `Issue` object is built for them; `as_table`
    also keeps the clocks as a frame (report.table), for writers that write from it. A defined clock gives its
    latest cycle (what stands now), or with `every_cycle` each of them (`report`); with the `history` (every
    row read), each cycle's fields are those that stood when it started (`report --by` a team: the team the
    clock ran for)."""
    frame = issues.frame.filter(pl.col(S.CREATED) <= as_of).with_row_index(C.ROW)
    existing = IssueFrame(frame, issues.fields, issues.raw_keys, issues.objects, issues.single)
    matched = with_policy(existing, policies)
    report = Report(as_of=as_of, issues=matched.height)
    report.unmatched = to_issues(existing, matched.filter(pl.col("policy").is_null()))
    kernels = C.Kernels({})
    parts = []
    defined = [c for c in matched.columns if c.startswith((S.CYCLES, S.CLOCK_PAUSES))]
    measured = matched.select(
        C.ROW, "policy", S.PAUSES, S.HELD, S.REPLIES, *S.INSTANTS, *defined
    )  # what the clocks read, not the texts
    for index, policy in enumerate(policies):
        rows = measured.filter(pl.col("policy") == index)
        if rows.height:
            parts.append(
                C.measure(rows, policy, index, as_of, kernels, restart_on_reclassify, last_only=not every_cycle)
            )
    clocks = pl.concat(parts).sort(C.ROW, C.ORDER) if parts and (as_table or keep_clocks) else pl.DataFrame()
    if history is not None and clocks.height:
        existing, clocks = _at_cycle_starts(existing, clocks, history)
    if as_table:
        from escalate_cli.engine.results import ClockTable

        report.table = ClockTable(
            clocks, existing, policies, lambda rows: _clock_objects(existing, rows, policies, show_instant)
        )
    if not keep_clocks:
        codes = np.concatenate([part.get_column(C.CODE).to_numpy() for part in parts]) if parts else np.zeros(0, int)
        counts = np.bincount(codes, minlength=len(C.STATES))
        report.counted = Counter({state: int(n) for state, n in zip(C.STATES, counts) if n})
        return report
    if parts:
        report.clocks = _clock_objects(existing, clocks, policies, show_instant)
    return report


def _at_cycle_starts(issues: IssueFrame, clocks: pl.DataFrame, history: IssueFrame) -> tuple[IssueFrame, pl.DataFrame]:
    """The issue frame with a row more for each cycle that started on another row of fields than the issue's
    last: the issue with that row's fields; its clocks point there."""
    wanted = clocks.filter(pl.col(C.FIELDS_AT).is_not_null()).select(C.ROW, C.FIELDS_AT).unique(maintain_order=True)
    if not wanted.height:
        return issues, clocks
    texts = [c for c in (*issues.fields, S.LABELS, *(S.raw(k) for k in issues.raw_keys)) if c in history.frame.columns]
    at_start = history.frame.select(pl.col(S.WHERE).alias(C.FIELDS_AT), *texts).unique(C.FIELDS_AT, keep="first")
    height = issues.frame.height
    extra = (
        wanted.join(issues.frame.drop(texts), on=C.ROW, maintain_order="left")
        .join(at_start, on=C.FIELDS_AT, maintain_order="left")
        .with_columns(
            pl.col(C.ROW).alias("_was"), pl.int_range(height, height + pl.len(), dtype=pl.UInt32).alias("_to")
        )
    )
    moved = extra.select("_was", C.FIELDS_AT, "_to")
    frame = pl.concat([issues.frame, extra.with_columns(pl.col("_to").alias(C.ROW)).select(issues.frame.columns)])
    clocks = (
        clocks.join(
            moved, left_on=[C.ROW, C.FIELDS_AT], right_on=["_was", C.FIELDS_AT], how="left", maintain_order="left"
        )
        .with_columns(pl.coalesce("_to", C.ROW).alias(C.ROW))
        .drop("_to")
    )
    return IssueFrame(frame, issues.fields, issues.raw_keys, issues.objects, issues.single), clocks


def _clock_objects(
    issues: IssueFrame, clocks: pl.DataFrame, policies: tuple[Policy, ...], show_instant: Callable[[int], str]
) -> list[Clock]:
    rows = clocks.get_column(C.ROW).unique(maintain_order=True)
    by_row = dict(zip(rows.to_list(), to_issues(issues, issues.frame[rows])))
    orders: dict[tuple[int, int], list[int]] = {}
    out = []
    for (
        row,
        policy_index,
        metric,
        target,
        started,
        due,
        stopped,
        elapsed,
        paused,
        state,
        reached,
        cycle,
    ) in clocks.select(
        C.ROW,
        C.POLICY,
        C.METRIC,
        C.TARGET,
        C.STARTED,
        C.DUE,
        C.STOPPED,
        C.ELAPSED,
        C.PAUSED,
        C.STATE,
        C.REACHED,
        pl.col(C.CYCLE).fill_null(1),
    ).iter_rows():
        policy = policies[policy_index]
        clock = Clock(
            by_row[row],
            metric,
            policy.name,
            policy.calendar_name,
            State(state),
            started,
            due,
            stopped,
            elapsed,
            target,
            paused_seconds=paused,
            cycle=cycle,
        )
        if reached:
            key = (policy_index, target)
            order = orders.get(key) or orders.setdefault(key, C.step_order(policy, target))
            steps = [policy.steps[i] for i in order[:reached]]
            actions = tuple(action_for(step, clock, show_instant) for step in steps)
            clock = Clock(
                clock.issue,
                clock.metric,
                clock.policy,
                clock.calendar,
                clock.state,
                started,
                due,
                stopped,
                elapsed,
                target,
                level=steps[-1].level,
                actions=actions[-1:],
                paused_seconds=paused,
                reached=actions,
                cycle=cycle,
            )
        out.append(clock)
    return out
