"""A history -> what cron runs every `every` seconds from `start` to `end` would have reported: `backtest` by
columns, with the rules of the scalar `escalate_cli.backtest.replay` (its oracle in tests).

    versions (fold.versions)  ->  change points  ->  the run that first sees each  ->  diff  ->  counts per day

Nothing is evaluated per run. Within a version a clock changes only at a threshold (warning, due, a step) or
where it stops, so each clock is measured at the start of each version and at those instants alone
(`clocks.measure_one` with one instant per row). A run sees the last point at or before it; consecutive runs
are compared as the state file compares them (`changes.change_kind`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo

import numpy as np
import polars as pl

from escalate_cli.backtest import Outcome
from escalate_cli.changes import ChangeKind, change_kind
from escalate_cli.engine import clocks as C
from escalate_cli.engine import schema as S
from escalate_cli.engine.fold import NUMBER, VALID_FROM, VALID_TO, versions
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.engine.match import POLICY, with_policy
from escalate_cli.model import Metric, Policy, Statuses

_LO, _HI = "_lo", "_hi"  # a version's span within the window
_KEY, _AT, _RUN = "_key", "_at", "_run"  # a point's clock (issue NUMBER x metric), its instant, the run seeing it
_MOVING = [C.OK, C.WARNING, C.BREACHED]  # running and not paused: a clock that changes on its own


def replay(
    rows: IssueFrame,
    policies: tuple[Policy, ...],
    statuses: Statuses,
    history: bool | None,
    start: int,
    end: int,
    every: int,
    tz: tzinfo,
    label: str = "",
    restart_on_reclassify: bool = False,
    verdicts: bool = True,
) -> Outcome:
    """`verdicts`: keep each clock's state at the end of the window, what `compare` reads (a dict of them all)."""
    steps = np.arange(start + every, end + 1, every, dtype=np.int64)
    outcome = Outcome(label, len(steps))
    stood = versions(rows, end, statuses, history, policies)
    firsts = stood.filter(pl.col(NUMBER).is_first_distinct())
    outcome.issues = int((firsts.get_column(VALID_FROM) <= end).sum())
    numbers = firsts.select(NUMBER, S.ID)
    window = stood.with_columns(
        pl.max_horizontal(VALID_FROM, pl.lit(start)).alias(_LO), pl.min_horizontal(VALID_TO, pl.lit(end + 1)).alias(_HI)
    ).filter(pl.col(_LO) < pl.col(_HI))
    del stood, firsts  # what the clocks read is kept, not the texts
    read = (POLICY, NUMBER, _LO, _HI, S.PAUSES, S.HELD, S.REPLIES, *S.INSTANTS)
    matched = with_policy(IssueFrame(window, rows.fields, rows.raw_keys, rows.objects, rows.single), policies)
    matched = matched.select(read)
    del window
    kernels = C.Kernels({})
    parts = []
    for index, policy in enumerate(policies):
        under = matched.filter(pl.col(POLICY) == index).with_row_index(C.ROW)
        if under.height:
            for order, metric in enumerate(policy.targets):
                if metric in policy.clocks:
                    continue  # a defined clock is not replayed yet (`cli.backtest` says so)
                measured = under if metric != Metric.FIRST_RESPONSE else under.filter(pl.col(S.REPLIES).fill_null(True))
                if measured.height:
                    parts.append(_points(measured, policy, index, order, metric, kernels, restart_on_reclassify))
    del matched
    if parts:
        _observe(pl.concat(parts), numbers if verdicts else None, steps, start, tz, outcome)
    return outcome


def _points(
    rows: pl.DataFrame, policy: Policy, index: int, order: int, metric: str, kernels: C.Kernels, restart: bool
) -> pl.DataFrame:
    """One clock's state at the start of each version in the window and wherever it changes before the next."""
    lo, hi = rows.get_column(_LO).to_numpy(), rows.get_column(_HI).to_numpy()
    at_lo = C.measure_one(rows, policy, index, order, metric, lo, kernels, restart)
    moving = np.flatnonzero(np.isin(at_lo.get_column(C.CODE).to_numpy(), _MOVING))
    target = policy.targets[metric]
    seconds = [t.elapsed_at(target) for t in policy.warn] + [s.elapsed_at(target) for s in policy.steps]
    ahead = rows[moving]
    instants = [at_lo.get_column(C.DUE).to_numpy()[moving]]
    instants += C.reaching(ahead, policy, metric, seconds, lo[moving], kernels, restart)
    instants.append(C.stop_of(ahead, metric))
    where, moment = np.concatenate([moving] * len(instants)), np.concatenate(instants)
    inside = (moment > lo[where]) & (moment < hi[where])
    probes = pl.DataFrame({"_i": where[inside], _AT: moment[inside]}).unique().sort("_i", _AT)
    at_probes = C.measure_one(
        rows[probes.get_column("_i")], policy, index, order, metric, probes.get_column(_AT).to_numpy(), kernels, restart
    )
    levels = [policy.steps[i].level for i in C.step_order(policy, target)]
    found = pl.concat([at_lo.with_columns(pl.Series(_AT, lo)), at_probes.with_columns(probes.get_column(_AT))])
    metric_number = [m.value for m in Metric].index(metric)
    return found.join(rows.select(C.ROW, NUMBER), on=C.ROW).select(
        (pl.col(NUMBER) * len(Metric) + metric_number).alias(_KEY),
        _AT,
        pl.lit(policy.name).alias("policy"),
        C.STATE,
        pl.when(pl.col(C.REACHED) > 0)
        .then(pl.lit(pl.Series(levels or [""], dtype=pl.Utf8)).gather((pl.col(C.REACHED) - 1).clip(0)))
        .alias("level"),
    )


def _observe(
    points: pl.DataFrame, numbers: pl.DataFrame | None, steps: np.ndarray, start: int, tz: tzinfo, outcome: Outcome
) -> None:
    """`numbers`: the id of each issue NUMBER, for the verdicts (None: not asked for)."""
    points = points.sort(_KEY, _AT, maintain_order=True)
    same_key_next = (pl.col(_KEY) == pl.col(_KEY).shift(-1)).fill_null(False)
    metrics = [m.value for m in Metric]
    if numbers is not None:  # each clock's last point
        ends = points.filter(~same_key_next).with_columns((pl.col(_KEY) // len(Metric)).alias(NUMBER))
        ends = ends.join(numbers, on=NUMBER, how="left", maintain_order="left")
        outcome.verdicts = {
            (issue, metrics[key % len(Metric)]): state
            for issue, key, state in zip(*(ends.get_column(c).to_list() for c in (S.ID, _KEY, C.STATE)))
        }
    run = np.searchsorted(steps, points.get_column(_AT).to_numpy(), side="left")  # the first run at or after it
    run = np.where(points.get_column(_AT).to_numpy() <= start, -1, run)  # known when the window opens
    points = points.with_columns(pl.Series(_RUN, run, dtype=pl.Int64)).filter(pl.col(_RUN) < len(steps))
    same_run_next = same_key_next & (pl.col(_RUN) == pl.col(_RUN).shift(-1)).fill_null(False)
    seen = points.filter(~same_run_next)  # what each run sees: the latest point at or before it
    same_key = (pl.col(_KEY) == pl.col(_KEY).shift(1)).fill_null(False)
    kind = change_kind(
        pl.col(C.STATE),
        pl.when(same_key).then(pl.col(C.STATE).shift(1)),
        pl.col("level"),
        pl.when(same_key).then(pl.col("level").shift(1)),
    )
    changes = seen.with_columns(kind.alias("kind")).filter(pl.col(_RUN) >= 0).drop_nulls("kind")
    days = [datetime.fromtimestamp(int(step), tz).strftime("%Y-%m-%d") for step in steps]
    counted = changes.group_by(_RUN, "kind", "level").len().iter_rows()
    for run_index, kind_value, level, n in counted:
        day = outcome.per_day[days[run_index]]
        day[kind_value] += n
        if kind_value in (ChangeKind.NEW_BREACH.value, ChangeKind.LEVEL.value) and level:
            day[f"level {level}"] += n
    stopped = changes.filter(pl.col("kind") == ChangeKind.STOPPED.value)
    metric_of = (pl.col(_KEY) % len(Metric)).replace_strict(range(len(Metric)), metrics, return_dtype=pl.Utf8)
    stops = stopped.group_by("policy", metric_of.alias("metric"), C.STATE).len()
    outcome.stopped = Counter({(p, m, state): n for p, m, state, n in stops.iter_rows()})
