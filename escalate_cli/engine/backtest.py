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
from escalate_cli.engine.cycles import AT, FILE, ROLE, N, with_version_cycles
from escalate_cli.engine.fold import (
    NUMBER,
    VALID_FROM,
    VALID_TO,
    Messages,
    split_messages,
    versions,
    versions_and_history,
)
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.engine.match import POLICY, with_policy
from escalate_cli.model import ClockDef, Metric, Policy, Statuses

_LO, _HI = "_lo", "_hi"  # a version's span within the window
_KEY, _AT, _RUN = "_key", "_at", "_run"  # a point's clock (issue x metric x cycle), its instant, the run seeing it
_M = "_m"  # Int32: the clock's place in the names of every clock (`_names`)
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
    messages: Messages | None = None,
) -> Outcome:
    """`verdicts`: keep each clock's state at the end of the window, what `compare` reads (a dict of them all).
    `messages`: which rows are messages (`Config.messages`, None where no clock reads them).

    Each cycle of a defined clock is a clock of its own, as its announcements are: its start is new, its stop
    (by its trigger, the next start or the resolution) is a stop, and its verdict is keyed "name cycle N" from
    the second on."""
    steps = np.arange(start + every, end + 1, every, dtype=np.int64)
    outcome = Outcome(label, len(steps))
    defined = _defined(policies)
    if defined:
        rows, said = split_messages(rows, messages)
        stood, fields = versions_and_history(rows, end, statuses, history, policies)
        stood = _with_cycles(rows, stood, fields, said, defined, end)
        del fields, said
    else:
        stood = versions(rows, end, statuses, history, policies)
    firsts = stood.filter(pl.col(NUMBER).is_first_distinct())
    outcome.issues = int((firsts.get_column(VALID_FROM) <= end).sum())
    numbers = firsts.select(NUMBER, S.ID)
    window = stood.with_columns(
        pl.max_horizontal(VALID_FROM, pl.lit(start)).alias(_LO), pl.min_horizontal(VALID_TO, pl.lit(end + 1)).alias(_HI)
    ).filter(pl.col(_LO) < pl.col(_HI))
    del stood, firsts  # what the clocks read is kept, not the texts
    cycles = [c for clock in defined for c in (S.cycles(clock.name), S.clock_pauses(clock.name))]
    read = (POLICY, NUMBER, _LO, _HI, S.PAUSES, S.HELD, S.REPLIES, *S.INSTANTS, *cycles)
    matched = with_policy(IssueFrame(window, rows.fields, rows.raw_keys, rows.objects, rows.single), policies)
    matched = matched.select(read)
    del window
    kernels = C.Kernels({})
    names = _names(policies)
    parts = []
    for index, policy in enumerate(policies):
        under = matched.filter(pl.col(POLICY) == index).with_row_index(C.ROW)
        if under.height:
            for order, metric in enumerate(policy.targets):
                clock = (policy, index, order, metric, names.index(metric))
                if metric in policy.clocks:
                    parts.append(_cycle_points(under, *clock, kernels))
                    continue
                measured = under if metric != Metric.FIRST_RESPONSE else under.filter(pl.col(S.REPLIES).fill_null(True))
                if measured.height:
                    parts.append(_points(measured, *clock, kernels, restart_on_reclassify))
    del matched
    if parts:
        _observe(pl.concat(parts), names, numbers if verdicts else None, steps, (start, end), tz, outcome)
    return outcome


def _defined(policies: tuple[Policy, ...]) -> tuple[ClockDef, ...]:
    """The defined clocks some policy's targets name, once each."""
    found = {name: clock for policy in policies for name, clock in policy.clocks.items() if name in policy.targets}
    return tuple(found[name] for name in sorted(found))


def _names(policies: tuple[Policy, ...]) -> list[str]:
    """Every clock's name: the built-in ones, then the defined ones any policy names."""
    return [m.value for m in Metric] + [clock.name for clock in _defined(policies)]


def _with_cycles(
    rows: IssueFrame,
    stood: pl.DataFrame,
    fields: IssueFrame,
    said: pl.DataFrame | None,
    defined: tuple[ClockDef, ...],
    end: int,
) -> pl.DataFrame:
    """Each version with the cycles of the defined clocks as its issue's history gives them then: its rows of
    fields up to the version's instant, and the messages before the next version (`cycles.with_version_cycles`)."""
    if said is not None:
        issues = stood.filter(pl.col(NUMBER).is_first_distinct()).select(S.ID, pl.col(NUMBER).alias(N))
        said = said.filter(pl.col(AT) <= end).join(issues, on=S.ID).select(N, AT, FILE, S.WHERE, ROLE)
    marked = stood.with_columns(pl.coalesce(S.UPDATED, S.CREATED).alias("_seen"))
    frame = IssueFrame(marked, rows.fields, rows.raw_keys, rows.objects, rows.single)
    cycled = with_version_cycles(frame, fields, said, defined, NUMBER, "_seen", VALID_TO)
    return cycled.frame.drop("_seen")


def _points(
    rows: pl.DataFrame,
    policy: Policy,
    index: int,
    order: int,
    metric: str,
    metric_index: int,
    kernels: C.Kernels,
    restart: bool,
) -> pl.DataFrame:
    """One built-in clock's state at the start of each version in the window and wherever it changes before
    the next."""
    lo, hi = rows.get_column(_LO).to_numpy(), rows.get_column(_HI).to_numpy()
    at_lo = C.measure_one(rows, policy, index, order, metric, lo, kernels, restart)
    moving = np.flatnonzero(np.isin(at_lo.get_column(C.CODE).to_numpy(), _MOVING))
    ahead = rows[moving]
    instants = [at_lo.get_column(C.DUE).to_numpy()[moving]]
    instants += C.reaching(ahead, policy, metric, lo[moving], kernels, restart)
    instants.append(C.stop_of(ahead, metric))
    probes = _inside(moving, instants, lo, hi)
    at_probes = C.measure_one(
        rows[probes.get_column("_i")], policy, index, order, metric, probes.get_column(_AT).to_numpy(), kernels, restart
    )
    found = pl.concat([at_lo.with_columns(pl.Series(_AT, lo)), at_probes.with_columns(probes.get_column(_AT))])
    return _labelled(found.join(rows.select(C.ROW, NUMBER), on=C.ROW), policy, metric, metric_index)


def _cycle_points(
    rows: pl.DataFrame,
    policy: Policy,
    index: int,
    order: int,
    name: str,
    metric_index: int,
    kernels: C.Kernels,
) -> pl.DataFrame:
    """Every cycle of one defined clock at the start of each version in the window, and wherever one starts,
    stops, warns, falls due or escalates before the next: first at the version's start and every cycle's edges
    in its span, then at the thresholds of the cycles running at those."""
    lo, hi = rows.get_column(_LO).to_numpy(), rows.get_column(_HI).to_numpy()
    clock, kernel = policy.clock(name), kernels(policy.calendar)
    edges = rows.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), pl.col(S.cycles(name)).alias("_c"))
    edges = edges.explode("_c").unnest("_c").drop_nulls("start")
    where = edges.get_column("_i").to_numpy()
    begun = edges.get_column("start").to_numpy()
    moments = [begun, edges.get_column("stop").fill_null(C.NONE).to_numpy()]
    if clock.starts_after:
        moments.append(kernel.add(begun, np.full(len(begun), clock.starts_after, dtype=np.int64)))
    every_row = np.arange(rows.height)
    stops = [rows.get_column(c).fill_null(C.NONE).to_numpy() for c in (S.RESOLVED, S.FIRST_RESPONSE)]
    first = pl.concat(
        [
            pl.DataFrame({"_i": every_row, _AT: lo}),
            _inside(where, moments, lo, hi),
            _inside(every_row, stops, lo, hi),
        ]
    ).unique()
    reach = _reach(policy)
    at_first = _measure_at(rows, first, policy, index, order, name, kernels, reach=True)
    moving = at_first.filter(pl.col(C.CODE).is_in(_MOVING))
    then = moving.get_column("_i").to_numpy()
    ahead = [moving.get_column(c).fill_null(C.NONE).to_numpy() for c in (C.DUE, *reach)]
    second = _inside(then, ahead, lo, hi).join(first, on=["_i", _AT], how="anti")
    at_second = _measure_at(rows, second, policy, index, order, name, kernels)
    found = pl.concat([at_first.drop(reach), at_second])
    found = found.join(rows.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), NUMBER), on="_i")
    return _labelled(found, policy, name, metric_index)


def _measure_at(
    rows: pl.DataFrame,
    probes: pl.DataFrame,
    policy: Policy,
    index: int,
    order: int,
    name: str,
    kernels: C.Kernels,
    reach: bool = False,
) -> pl.DataFrame:
    """Every cycle of the defined clock `name` at each probe (the version row `_i`, an instant `_AT`)."""
    probes = probes.sort("_i", _AT)
    probed = rows[probes.get_column("_i")].with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias(C.ROW))
    at = probes.get_column(_AT).to_numpy()
    measured = C.measure_cycles(probed, policy, index, order, name, at, kernels, reach=reach)
    return measured.join(probes.with_row_index(C.ROW), on=C.ROW)


def _reach(policy: Policy) -> list[str]:
    """The columns `measure_cycles(reach=True)` adds: one per threshold (`clocks.thresholds`)."""
    return [f"{C.REACH}{i}" for i in range(len(policy.warn) + len(policy.steps))]


def _inside(where: np.ndarray, instants: list[np.ndarray], lo: np.ndarray, hi: np.ndarray) -> pl.DataFrame:
    """The instants strictly inside their version's span (`where`: the version row of each element of every
    array in `instants`), once each, in order (`_i`, `_AT`)."""
    rows = np.concatenate([where] * len(instants)) if instants else np.zeros(0, dtype=np.int64)
    moment = np.concatenate(instants) if instants else np.zeros(0, dtype=np.int64)
    inside = (moment > lo[rows]) & (moment < hi[rows])
    found = pl.DataFrame({"_i": rows[inside], _AT: moment[inside]}, schema={"_i": pl.Int64, _AT: pl.Int64})
    return found.unique().sort("_i", _AT)


def _labelled(found: pl.DataFrame, policy: Policy, metric: str, metric_index: int) -> pl.DataFrame:
    """The points as `_observe` takes them: the clock (NUMBER, `_M`, CYCLE), instant, policy, state, level."""
    levels = pl.DataFrame(
        [
            (target, reached, policy.steps[k].level)
            for _, target in C.escalated(found)
            for reached, k in enumerate(C.step_order(policy, target), 1)
        ],
        schema={C.TARGET: pl.Int64, C.REACHED: pl.Int32, "level": pl.Utf8},
        orient="row",
    )
    return found.join(levels, on=[C.TARGET, C.REACHED], how="left", maintain_order="left").select(
        NUMBER,
        pl.lit(metric_index, pl.Int32).alias(_M),
        pl.col(C.CYCLE).fill_null(1).cast(pl.Int64),
        _AT,
        pl.lit(policy.name).alias("policy"),
        C.STATE,
        C.STOPPED,
        "level",
    )


def _observe(
    points: pl.DataFrame,
    names: list[str],
    numbers: pl.DataFrame | None,
    steps: np.ndarray,
    window: tuple[int, int],
    tz: tzinfo,
    outcome: Outcome,
) -> None:
    """`names`: every clock's name, by `_M`; `numbers`: the id of each issue NUMBER, for the verdicts (None: not
    asked for). The attainment counts every clock whose state at the end of the window is a stop within it,
    whether or not a run saw it running (one that began and ended between two runs counts too)."""
    start, end = window
    cycles = int(points.select(pl.col(C.CYCLE).max()).item() or 1)
    key = (pl.col(NUMBER) * len(names) + pl.col(_M)) * cycles + pl.col(C.CYCLE) - 1
    points = points.with_columns(key.alias(_KEY)).sort(_KEY, _AT, maintain_order=True)
    same_key_next = (pl.col(_KEY) == pl.col(_KEY).shift(-1)).fill_null(False)
    ends = points.filter(~same_key_next)  # each clock's last point: its state at the end of the window
    metric_of = pl.lit(pl.Series(names, dtype=pl.Utf8)).gather(pl.col(_M))
    stopped = ends.filter(pl.col(C.STOPPED).is_between(start + 1, end))  # a stopped clock is met or missed
    stops = stopped.group_by("policy", metric_of.alias("metric"), C.STATE).len()
    outcome.stopped = Counter({(p, m, state): n for p, m, state, n in stops.iter_rows()})
    if numbers is not None:
        ends = ends.join(numbers, on=NUMBER, how="left", maintain_order="left")
        outcome.verdicts = {
            (issue, names[m] if cycle == 1 else f"{names[m]} cycle {cycle}"): state
            for issue, m, cycle, state in ends.select(S.ID, _M, C.CYCLE, C.STATE).iter_rows()
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
