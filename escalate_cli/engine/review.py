"""The weekly review of a report's clock frame, by columns: escalation levels reached per period, the running
backlog by business time left, a breakdown per grouping field (priority always), and the business time to
resolution as a share of its target. Every figure here is written by `report -f json` and drawn by `--html`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

import polars as pl

from escalate_cli.engine import cells
from escalate_cli.engine import clocks as C
from escalate_cli.engine.results import ClockTable
from escalate_cli.model import Metric, Policy, State, Step
from escalate_cli.stats import (
    AT_RISK_SHOWN,
    AT_RISK_WITHIN,
    BACKLOG_BUCKETS,
    SHARE_BUCKETS,
    AtRisk,
    Breakdown,
    Review,
    Tally,
    group_column,
    tallies,
)

_POLICY = "_policy"
_PERIOD = "_period"
_VALUE = "_value"
_LEFT = "_left"  # business seconds to the breach (negative: past it)
_LAYOUTS = {"week": "%G-W%V", "day": "%Y-%m-%d"}  # else month: "%Y-%m"
RUNNING = [s.value for s in (State.OK, State.WARNING, State.PAUSED, State.BREACHED)]


def review(table: ClockTable, by: Sequence[str], period: str, tz: tzinfo, as_of: int) -> Review:
    policies = table.policies
    frame = _frame(table, period, tz)
    left = frame.filter(pl.col(C.STATE).is_in(RUNNING))
    soon = left.filter(
        (pl.col(C.STATE) != State.PAUSED.value) & (pl.col(_LEFT) > 0) & (pl.col(_LEFT) <= AT_RISK_WITHIN)
    )
    fields = ["priority", *(key for key in by if key != "priority")]
    return Review(
        as_of=as_of,
        totals=[(policy, metric, tally) for (policy, metric), tally in tallies(frame, [_POLICY, C.METRIC])],
        goals={p.name: None if p.goal is None else float(p.goal) for p in policies},
        levels=_levels(frame, policies),
        backlog=_backlog(left),
        at_risk=_at_risk(soon, table),
        at_risk_total=soon.height,
        breakdowns=[_breakdown(frame, table, key) for key in fields],
        distribution=_distribution(frame),
    )


def _frame(table: ClockTable, period: str, tz: tzinfo) -> pl.DataFrame:
    names = pl.Series([p.name for p in table.policies], dtype=pl.Utf8)
    started = cells.local(C.STARTED, tz, _LAYOUTS.get(period, "%Y-%m"))
    begun = table.clocks.filter(pl.col(C.STARTED).is_not_null())  # not started: no attainment, no backlog
    return begun.select(
        C.ROW,
        C.POLICY,
        C.METRIC,
        C.STATE,
        C.ELAPSED,
        C.TARGET,
        C.DUE,
        started.alias(_PERIOD),
        pl.lit(names).gather(pl.col(C.POLICY)).alias(_POLICY),
        (pl.col(C.TARGET) - pl.col(C.ELAPSED)).alias(_LEFT),
    )


def _levels(frame: pl.DataFrame, policies: Sequence[Policy]) -> dict[tuple[str, str], dict[str, dict[str, int]]]:
    """Per (policy, metric) and period: how many clocks reached each level of the ladder (a clock that reached
    L3 counts at L1 and L2 too; a level on two steps counts at its first)."""
    out: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    for index, policy in enumerate(policies):
        first: dict[str, Step] = {}
        for step in policy.steps:
            first.setdefault(step.level, step)
        if not first:
            continue
        rows = frame.filter(pl.col(C.POLICY) == index)
        counted = rows.group_by(C.METRIC, _PERIOD).agg(
            (pl.col(C.ELAPSED) >= _threshold(step)).sum().alias(f"_l{n}") for n, step in enumerate(first.values())
        )
        for metric, moment, *counts in counted.sort(C.METRIC, _PERIOD).iter_rows():
            per_period = out.setdefault((policy.name, metric), {})
            per_period[moment] = dict(zip(first, counts))
    return out


def _threshold(step: Step) -> pl.Expr:
    """`Step.elapsed_at` of each clock's target."""
    target = pl.col(C.TARGET)
    if step.share is not None:
        numerator, denominator = step.share.numerator, step.share.denominator
        return (target * numerator + denominator - 1) // denominator
    return pl.max_horizontal(target + (step.past_due or 0), pl.lit(0))


def _backlog(left: pl.DataFrame) -> list[tuple[str, int | None, dict[str, int]]]:
    out = []
    lower: int | None = None
    for label, upper in BACKLOG_BUCKETS:
        inside = pl.lit(True) if lower is None else pl.col(_LEFT) > lower
        if upper is not None:
            inside = inside & (pl.col(_LEFT) <= upper)
        counts = left.filter(inside).group_by(_POLICY).len().sort(_POLICY)
        out.append((label, upper, dict(counts.iter_rows())))
        lower = upper
    return out


def _at_risk(soon: pl.DataFrame, table: ClockTable) -> list[AtRisk]:
    first = soon.sort(_LEFT, C.DUE, C.ROW).head(AT_RISK_SHOWN)
    issues = table.issues.frame.select(C.ROW, "id", "title")
    rows = first.join(issues, on=C.ROW, how="left").sort(_LEFT, C.DUE, C.ROW)
    return [
        AtRisk(
            id=r["id"],
            title=r["title"],
            policy=r[_POLICY],
            metric=r[C.METRIC],
            state=r[C.STATE],
            remaining=r[_LEFT],
            due_at=r[C.DUE],
        )
        for r in rows.iter_rows(named=True)
    ]


def _breakdown(frame: pl.DataFrame, table: ClockTable, key: str) -> Breakdown:
    issues = table.issues
    value = group_column(issues.fields, issues.raw_keys, key).alias(_VALUE)
    grouped = frame.join(issues.frame.select(C.ROW, value), on=C.ROW, how="left")
    rows = [(metric, group, tally) for (metric, group), tally in tallies(grouped, [C.METRIC, _VALUE])]
    trend: dict[tuple[str, str], list[tuple[str, Tally]]] = {}
    for (metric, group, moment), tally in tallies(grouped, [C.METRIC, _VALUE, _PERIOD]):
        trend.setdefault((metric, group), []).append((moment, tally))
    return Breakdown(key, rows, trend)


def _distribution(frame: pl.DataFrame) -> list[tuple[str, float, float | None, dict[str, int]]]:
    """Stopped resolution clocks by business time used as a share of the target: [from, to) per bucket."""
    stopped = frame.filter(
        (pl.col(C.METRIC) == Metric.RESOLUTION.value) & pl.col(C.STATE).is_in([State.MET.value, State.MISSED.value])
    )
    share = pl.col(C.ELAPSED) / pl.col(C.TARGET)
    out = []
    for label, lower, upper in SHARE_BUCKETS:
        inside = share >= lower if lower else pl.lit(True)
        if upper is not None:
            inside = inside & (share < upper)
        counts = stopped.filter(inside).group_by(_POLICY).len().sort(_POLICY)
        out.append((label, lower, upper, dict(counts.iter_rows())))
    return out
