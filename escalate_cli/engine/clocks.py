"""Every clock of every matched issue at an instant, a (policy, metric) at a time, as columns.

Per row this is `sla.clock_for`, written for arrays: the span a metric measures, its pauses clipped to it (one
open pause of a snapshot, or an event log's list), business time elapsed and paused (`Kernel.elapsed`), the due
time (`Kernel.add`, on from each pause's end), the state and the number of escalation steps reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from escalate_cli.business_time import Calendar
from escalate_cli.engine import schema as S
from escalate_cli.engine import working_days
from escalate_cli.engine.kernel import Kernel
from escalate_cli.model import ClockDef, Metric, Policy, State, Step, Threshold, WorkingDays

Ints = npt.NDArray[np.int64]
NONE = np.iinfo(np.int64).min  # a missing instant inside numpy arrays

# The clock frame: one row per issue x metric
ROW = "row"  # UInt32: the row in the frame evaluated
ORDER = "order"  # UInt32: the metric's place in its policy's targets (clocks of an issue print in that order)
POLICY = "policy"  # Int32: index of the policy in the config
METRIC = "metric"  # Utf8: Metric value
TARGET = "target_seconds"  # Int64
STARTED = "started_at"  # Int64
DUE = "due_at"  # Int64
STOPPED = "stopped_at"  # Int64, null while running
ELAPSED = "elapsed_seconds"  # Int64: business seconds used, paused time not counted
PAUSED = "paused_seconds"  # Int64
STATE = "state"  # Utf8: State value
CODE = "state_code"  # UInt8: the state's index in STATES
REACHED = "reached"  # Int32: escalation steps reached (running clocks only)
CYCLE = "cycle"  # Int32: which cycle of the clock (1 for the built-in clocks)
STOPPED_BY = "stopped_by"  # Utf8: what stopped a defined clock's cycle (null for the built-in clocks)
REACH = "reach_"  # Int64 columns REACH + i: when the clock reaches the i-th amount asked for (`measure_cycles`)
FIELDS_AT = "fields_where"  # Utf8: file:line of the row whose fields stood when a cycle started (null: built-in)


@dataclass
class Kernels:
    """One kernel per calendar, kept for the run."""

    by_calendar: dict[int, Kernel]

    def __call__(self, calendar: Calendar) -> Kernel:
        kernel = self.by_calendar.get(id(calendar))
        if kernel is None:
            kernel = self.by_calendar[id(calendar)] = Kernel(calendar)
        return kernel


def measure(
    rows: pl.DataFrame,
    policy: Policy,
    policy_index: int,
    as_of: int | Ints,
    kernels: Kernels,
    restart_on_reclassify: bool,
    last_only: bool = False,
) -> pl.DataFrame:
    """The clocks of `rows` (issues under `policy`, with a ROW column), every target of the policy, at `as_of`:
    one instant, or one per row (`backtest` measures each version of an issue at its own instants). A defined
    clock gives one per cycle (`last_only`: its latest), or one not started."""
    instants = np.broadcast_to(np.asarray(as_of, dtype=np.int64), (rows.height,))
    out = []
    for order, metric in enumerate(policy.targets):
        if metric in policy.clocks:
            out.append(measure_cycles(rows, policy, policy_index, order, metric, instants, kernels, last_only))
            continue
        measured, at = (rows, instants) if metric != Metric.FIRST_RESPONSE else replying(rows, instants)
        out.append(measure_one(measured, policy, policy_index, order, metric, at, kernels, restart_on_reclassify))
    return pl.concat(out) if out else pl.DataFrame()


def replying(rows: pl.DataFrame, instants: Ints) -> tuple[pl.DataFrame, Ints]:
    """The rows that have a first_response clock: those whose export has first-reply evidence (`S.REPLIES`)."""
    if S.REPLIES not in rows.columns:
        return rows, instants
    known = rows.get_column(S.REPLIES).fill_null(True).to_numpy()
    return (rows, instants) if known.all() else (rows.filter(pl.Series(known)), instants[known])


def measure_one(
    rows: pl.DataFrame,
    policy: Policy,
    policy_index: int,
    order: int,
    metric: str,
    as_of: Ints,
    kernels: Kernels,
    restart_on_reclassify: bool,
) -> pl.DataFrame:
    """The clock of one of the policy's built-in targets (the `order`-th) for each row, at each row's instant."""
    kernel = kernels(policy.calendar)
    start, stop, end = _span_at(rows, metric, as_of, restart_on_reclassify)
    target = targets(kernel, policy, metric, start)
    pauses = _Pauses.within(rows, start, end, _uncounted(rows, policy, metric), metric in policy.pause)
    columns = _clock(policy, target, start, stop, end, pauses, as_of, kernel)
    return _clock_frame(rows.get_column(ROW), policy, policy_index, order, metric, target.seconds, columns)


@dataclass
class Targets:
    """Each clock's business seconds, and for a target in open days the instant they end (`sla.target_deadline`)."""

    seconds: Ints
    deadline: Ints | None = None


def targets(kernel: Kernel, policy: Policy, metric: str, start: Ints) -> Targets:
    """The targets of the clocks of `metric` started at `start`."""
    target = policy.targets[metric]
    if isinstance(target, WorkingDays):
        deadline = working_days.ends(kernel.calendar, target, start)
        return Targets(kernel.elapsed(start, deadline), deadline)
    return Targets(np.full(len(start), target, dtype=np.int64))


def _clock_frame(
    row: pl.Series,
    policy: Policy,
    policy_index: int,
    order: int,
    metric: str,
    target: Ints,
    columns: dict[str, Ints],
    cycle: pl.Series | None = None,
    stopped_by: pl.Series | None = None,
    fields_at: pl.Series | None = None,
) -> pl.DataFrame:
    reached = columns.pop(REACHED)
    states = columns.pop(STATE)
    n = len(row)

    def same(value: int | str | None, dtype: pl.DataType) -> pl.Series:
        return pl.repeat(value, n, dtype=dtype, eager=True)

    return pl.DataFrame(
        {
            ROW: row,
            ORDER: same(order, pl.UInt32()),
            POLICY: same(policy_index, pl.Int32()),
            METRIC: same(metric, pl.Utf8()),
            TARGET: pl.Series(target, dtype=pl.Int64),
            **{name: pl.Series(columns[name], dtype=pl.Int64) for name in (STARTED, DUE, ELAPSED, PAUSED)},
            STOPPED: pl.Series(columns[STOPPED], dtype=pl.Int64).replace(NONE, None),
            STATE: pl.Series(STATES, dtype=pl.Utf8).gather(states),
            CODE: pl.Series(states, dtype=pl.UInt8),
            REACHED: pl.Series(reached, dtype=pl.Int32),
            CYCLE: cycle if cycle is not None else same(1, pl.Int32()),
            STOPPED_BY: stopped_by if stopped_by is not None else same(None, pl.Utf8()),
            FIELDS_AT: fields_at if fields_at is not None else same(None, pl.Utf8()),
        }
    )


def measure_cycles(
    rows: pl.DataFrame,
    policy: Policy,
    policy_index: int,
    order: int,
    name: str,
    as_of: Ints,
    kernels: Kernels,
    last_only: bool = False,
    reach: bool = False,
) -> pl.DataFrame:
    """A defined clock's cycles started by each row's instant, each measured as `sla.cycle_clocks` does (the
    latest only, with `last_only`); a row with none gives one clock not started. With `reach`, column REACH + i
    holds the instant each cycle reaches the i-th of its `thresholds` if it runs on (`sla.instant_reaching`;
    null for a clock not started)."""
    kernel = kernels(policy.calendar)
    cycles = cycle_rows(rows, policy.clock(name), as_of, last_only)
    started = cycles.filter(pl.col(CYCLE).is_not_null())
    at = started.get_column("_as_of").to_numpy()
    start, stop, by = _cycle_span(started, policy.clock(name), at, kernel)
    target = targets(kernel, policy, name, start)
    end = np.where(stop == NONE, at, stop)
    pauses = _Pauses.within(started, start, end, [S.clock_pauses(name), S.HELD], False, overlapping=True)
    columns = _clock(policy, target, start, stop, end, pauses, at, kernel)
    amounts = thresholds(policy, target.seconds) if reach else []
    reached = [pl.Series(f"{REACH}{i}", _due(kernel, start, amount, pauses, at)) for i, amount in enumerate(amounts)]
    parts = [
        _clock_frame(
            started.get_column(ROW),
            policy,
            policy_index,
            order,
            name,
            target.seconds,
            columns,
            started.get_column(CYCLE),
            pl.Series(by.tolist(), dtype=pl.Utf8),
            started.get_column("fields_where").replace("", None),
        ).with_columns(reached)
    ]
    waiting = cycles.filter(pl.col(CYCLE).is_null())
    if waiting.height:
        n = waiting.height
        nothing = np.full(n, NONE, dtype=np.int64)
        waited = waiting.get_column("_as_of").to_numpy().astype(np.int64)  # a target in days: as if begun now
        waiting_target = targets(kernel, policy, name, waited).seconds
        zero = np.zeros(n, dtype=np.int64)
        idle = {
            STARTED: nothing,
            DUE: nothing,
            STOPPED: nothing,
            ELAPSED: zero,
            PAUSED: zero,
            STATE: np.full(n, NOT_STARTED),
            REACHED: _reached(policy, waiting_target, zero, np.ones(n, dtype=bool)),
        }
        parts.append(
            _clock_frame(
                waiting.get_column(ROW),
                policy,
                policy_index,
                order,
                name,
                waiting_target,
                idle,
                pl.Series([None] * n, dtype=pl.Int32),
            )
        )
    out = pl.concat(parts, how="diagonal")
    return out.with_columns(pl.col(STARTED).replace(NONE, None), pl.col(DUE).replace(NONE, None))


def cycle_rows(rows: pl.DataFrame, clock: ClockDef, as_of: Ints, last_only: bool) -> pl.DataFrame:
    """One row per cycle started by each row's instant (`_as_of`), numbered from 1 (CYCLE), with its start,
    stop and the rest of the issue's row; a row with none keeps one row with CYCLE null."""
    column = S.cycles(clock.name)
    numbered = rows.with_columns(
        pl.Series("_as_of", as_of, dtype=pl.Int64),
        pl.int_ranges(1, pl.col(column).list.len() + 1, dtype=pl.Int32).alias(CYCLE),
    )
    exploded = numbered.explode(column, CYCLE).unnest(column)
    begun = exploded.filter(pl.col("start").is_not_null() & (pl.col("start") <= pl.col("_as_of")))
    if last_only:
        begun = begun.filter(pl.col(CYCLE) == pl.col(CYCLE).max().over(ROW))
    waiting = numbered.filter(~pl.col(ROW).is_in(begun.get_column(ROW).implode())).drop(column, CYCLE)
    return pl.concat([begun, waiting], how="diagonal_relaxed")


def _cycle_span(
    cycles: pl.DataFrame, clock: ClockDef, as_of: Ints, kernel: Kernel
) -> tuple[Ints, Ints, npt.NDArray[np.object_]]:
    """`sla.cycle_span` by columns: each cycle's start (after `starts_after`), its stop by `as_of` (NONE:
    running) and what stopped it (None while running)."""
    begin = _instants(cycles, "start")
    n = len(begin)
    start = kernel.add(begin, np.full(n, clock.starts_after, dtype=np.int64)) if clock.starts_after else begin
    candidates = [(_instants(cycles, "stop"), np.array(cycles.get_column("stopped_by").to_list(), dtype=object))]
    resolved = _instants(cycles, S.RESOLVED)
    for trigger in clock.stop:
        if trigger.at is not None:
            moment = _instants(cycles, S.FIRST_RESPONSE) if trigger.at == "first_reply" else resolved
            candidates.append((moment, np.full(n, trigger.text)))
    candidates.append((resolved, np.full(n, "resolved")))
    stop = np.full(n, NONE, dtype=np.int64)
    by = np.full(n, None, dtype=object)
    for moment, said in candidates:
        moment = np.where(moment > as_of, NONE, moment)
        better = (moment != NONE) & ((stop == NONE) | (moment < stop))
        stop = np.where(better, moment, stop)
        by[better] = said[better]
    return start, stop, by


STATES = [
    s.value for s in (State.OK, State.WARNING, State.BREACHED, State.PAUSED, State.MET, State.MISSED, State.NOT_STARTED)
]
OK, WARNING, BREACHED, PAUSED_STATE, MET, MISSED, NOT_STARTED = range(7)


def _instants(rows: pl.DataFrame, name: str) -> Ints:
    return rows.get_column(name).fill_null(NONE).to_numpy().astype(np.int64, copy=False)


def stop_of(rows: pl.DataFrame, metric: str) -> Ints:
    """Where each row's built-in clock for `metric` stops, whenever that is (NONE: it does not)."""
    return _span(rows, metric)[1]


def _span(rows: pl.DataFrame, metric: str) -> tuple[Ints, Ints]:
    """When a built-in clock starts, and when it stopped (NONE while running): `sla.clock_span`."""
    created = _instants(rows, S.CREATED)
    resolved = _instants(rows, S.RESOLVED)
    if metric == Metric.FIRST_RESPONSE:
        first = _instants(rows, S.FIRST_RESPONSE)  # whichever came first (sla.clock_span)
        return created, np.where((first != NONE) & ((resolved == NONE) | (first < resolved)), first, resolved)
    if metric == Metric.RESOLUTION:
        return created, resolved
    updated = _instants(rows, S.UPDATED)
    return np.where(updated != NONE, np.maximum(updated, created), created), resolved


def _span_at(rows: pl.DataFrame, metric: str, as_of: Ints, restart: bool) -> tuple[Ints, Ints, Ints]:
    """Where each clock started, where it stopped by `as_of` (NONE: running), and the end of what it measured."""
    start, stop = _span(rows, metric)
    stop = np.where(stop > as_of, NONE, stop)  # not stopped yet at the instant evaluated
    running = stop == NONE
    if restart:
        changed = _instants(rows, S.CHANGED)
        moved = (changed != NONE) & (changed > start) & (running | (stop > changed))
        start = np.where(moved, changed, start)
    return start, stop, np.where(running, as_of, stop)


def _uncounted(rows: pl.DataFrame, policy: Policy, metric: str) -> list[str]:
    """The span columns a built-in clock does not count (`sla.uncounted`)."""
    return [S.PAUSES, S.HELD] if metric in policy.pause else [S.HELD]


def _clock(
    policy: Policy, targets: Targets, start: Ints, stop: Ints, end: Ints, pauses: _Pauses, as_of: Ints, kernel: Kernel
) -> dict[str, Ints]:
    """The clock that ran from `start` to `stop` (NONE: running; `end`: where what it measured ends)."""
    running = stop == NONE
    if len(start):  # open seconds at each instant, counted once: spans are their differences
        first, last = int(min(start.min(), as_of.min())), int(max(end.max(), as_of.max()))
        at_start, at_end, at_lo, at_hi = (
            kernel.opened(x, first, last) for x in (start, end, pauses.lo, pauses.hi(end))
        )
    else:
        at_start = at_end = at_lo = at_hi = start
    paused = np.bincount(
        pauses.row, weights=kernel.elapsed_between(pauses.lo, pauses.hi(end), at_lo, at_hi), minlength=len(start)
    ).astype(np.int64)
    elapsed = kernel.elapsed_between(start, end, at_start, at_end) - paused
    target = targets.seconds
    due = _due(kernel, start, target, pauses, as_of)
    if targets.deadline is not None:  # used at a closing: due when the working days end (`sla.measured`)
        deadline = targets.deadline
        due = np.where((due < deadline) & (kernel.elapsed(due, deadline) == 0), deadline, due)
    passed = as_of >= due
    holds = np.zeros(len(start), dtype=bool)
    holds[pauses.row[pauses.last & pauses.open]] = True  # the clipped pauses end with an open one
    holds &= running
    state = np.where(
        running,
        np.where(
            (elapsed >= target) & passed,
            BREACHED,
            np.where(holds, PAUSED_STATE, np.where(elapsed >= _warn_at(policy, target), WARNING, OK)),
        ),
        np.where(stop <= due, MET, MISSED),  # stopped after due_at is late, business time or not (sla._state)
    )
    reached = _reached(policy, target, elapsed, running, passed)
    return {STARTED: start, DUE: due, STOPPED: stop, ELAPSED: elapsed, PAUSED: paused, STATE: state, REACHED: reached}


@dataclass
class _Pauses:
    """Every row's pauses and time resolved before a reopening (`sla.uncounted`) clipped to its span [start,
    end) (`sla.pauses_within`), flat and in order: the row each belongs to, where it begins, where it ends
    (`open`: still paused at the end of the span)."""

    row: Ints
    lo: Ints
    to: Ints  # the end where it ended within the span, else NONE
    open: npt.NDArray[np.bool_]
    last: npt.NDArray[np.bool_]  # the row's last pause
    first: npt.NDArray[np.bool_]  # the row's first pause

    def hi(self, end: Ints) -> Ints:
        """Where each pause stops counting: its end, or the end of the span while open."""
        hi: Ints = np.where(self.open, end[self.row], self.to)
        return hi

    @classmethod
    def within(
        cls, rows: pl.DataFrame, start: Ints, end: Ints, columns: list[str], open_since: bool, overlapping: bool = False
    ) -> _Pauses:
        """The spans of `columns` (lists of from/to), and with `open_since` the one open pause of a snapshot
        (PAUSED_SINCE). `overlapping`: spans of the columns may overlap (a defined clock's own pauses and the time
        held resolved), and are joined to count once (`sla.merged`); a status is paused or closed, never both."""
        since = _instants(rows, S.PAUSED_SINCE) if open_since else np.full(rows.height, NONE)
        one = np.flatnonzero(since != NONE)  # the one open pause of a snapshot
        lists = [n for n in columns if n in rows.columns and rows.get_column(n).null_count() < rows.height]
        listed = (
            pl.concat(
                [
                    rows.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), pl.col(name).alias("_spans"))
                    .filter(pl.col("_spans").is_not_null())
                    .explode("_spans")
                    .unnest("_spans")
                    .drop_nulls("from")
                    for name in lists
                ]
            )
            if lists
            else pl.DataFrame(schema={"_row": pl.Int64, "from": pl.Int64, "to": pl.Int64})
        )
        row = np.concatenate([one, listed.get_column("_row").to_numpy()]).astype(np.int64)
        begin = np.concatenate([since[one], listed.get_column("from").to_numpy()]).astype(np.int64)
        to = np.concatenate([np.full(len(one), NONE), listed.get_column("to").fill_null(NONE).to_numpy()])
        order = np.lexsort((begin, row))
        row, begin, to = row[order], begin[order], to.astype(np.int64)[order]
        if overlapping and len(lists) > 1:
            row, begin, to = _merged(row, begin, to)
        lo = np.maximum(begin, start[row])
        ended = to != NONE
        kept = np.where(ended, (lo < end[row]) & (to > lo), lo <= end[row])
        row, lo, to, ended = row[kept], lo[kept], to[kept], ended[kept]
        is_open = ~ended | (to > end[row])
        edge = np.ones(len(row) + 1, dtype=bool)
        edge[1:-1] = row[1:] != row[:-1]
        return cls(row, lo, np.where(is_open, NONE, to), is_open, edge[1:], edge[:-1])


def _merged(row: Ints, begin: Ints, to: Ints) -> tuple[Ints, Ints, Ints]:
    """Spans in order (by row, then begin) with those of a row that overlap joined (NONE: no end)."""
    if not len(row):
        return row, begin, to
    endless = np.iinfo(np.int64).max
    spans = pl.DataFrame({"row": row, "from": begin, "to": np.where(to == NONE, endless, to)})
    before = pl.col("to").cum_max().shift(1).over("row")
    grouped = spans.with_columns((before.is_null() | (pl.col("from") > before)).cum_sum().alias("_g"))
    joined = grouped.group_by("_g", maintain_order=True).agg(
        pl.col("row").first(), pl.col("from").min(), pl.col("to").max()
    )
    out_to = joined.get_column("to").to_numpy()
    return (
        joined.get_column("row").to_numpy().astype(np.int64),
        joined.get_column("from").to_numpy().astype(np.int64),
        np.where(out_to == endless, NONE, out_to).astype(np.int64),
    )


def reaching(
    rows: pl.DataFrame, policy: Policy, metric: str, as_of: Ints, kernels: Kernels, restart: bool
) -> list[Ints]:
    """For built-in clocks running and not paused at `as_of` (per row): the instant each reaches each of its
    `thresholds`, if it runs on (`sla.instant_reaching`); where a warning or a step comes."""
    start, _, end = _span_at(rows, metric, as_of, restart)
    pauses = _Pauses.within(rows, start, end, _uncounted(rows, policy, metric), metric in policy.pause)
    kernel = kernels(policy.calendar)
    amounts = thresholds(policy, targets(kernel, policy, metric, start).seconds)
    return [_due(kernel, start, amount, pauses, as_of) for amount in amounts]


def thresholds(policy: Policy, target: Ints) -> list[Ints]:
    """The business time at which each clock warns (each of the policy's `warn`) and escalates (each step)."""
    items: list[Threshold | Step] = [*policy.warn, *policy.steps]
    return [elapsed_at(item, target) for item in items]


def elapsed_at(item: Threshold | Step, target: Ints) -> Ints:
    """`item.elapsed_at` for each target, worked out once per distinct target (a column holds few, and a share
    is an exact fraction whose numerator may not fit in 64 bits)."""
    if not len(target) or target.min() == target.max():  # one target for all: no need to sort them
        return np.full(len(target), item.elapsed_at(int(target[0])) if len(target) else 0, dtype=np.int64)
    distinct, where = np.unique(target, return_inverse=True)
    amounts: Ints = np.array([item.elapsed_at(int(t)) for t in distinct], dtype=np.int64)[where]
    return amounts


def _due(kernel: Kernel, start: Ints, target: Ints, pauses: _Pauses, as_of: Ints) -> Ints:
    """`sla.instant_reaching` for the target, every pause at once: the business time before each pause is
    used first, and the clock goes on where the pause ended; an open pause resumes, for the reckoning, at the
    instant evaluated (when it would be due if resumed now)."""
    resume = np.where(pauses.open, np.maximum(as_of[pauses.row], pauses.lo), pauses.to)
    cursor = np.where(pauses.first, start[pauses.row], np.roll(resume, 1))  # where the clock ran from
    before = kernel.elapsed(cursor, pauses.lo)  # and the open time it used until this pause
    used = np.cumsum(before)
    row_first = np.maximum.accumulate(np.where(pauses.first, np.arange(len(used)), 0))
    remaining = target[pauses.row] - (used - before - (used[row_first] - before[row_first]))  # left as this run began
    reach = kernel.add(cursor, np.maximum(remaining, 0))
    hit = reach <= pauses.lo  # due before this pause began: the first such pause gives the due time
    due_rows, first_hit = np.unique(pauses.row[hit], return_index=True)
    after, left = start.copy(), target.copy()  # else: on from the last resumption
    last = pauses.row[pauses.last]
    after[last] = resume[pauses.last]
    left[last] = remaining[pauses.last] - before[pauses.last]
    due = kernel.add(after, np.maximum(left, 0))
    due[due_rows] = reach[hit][first_hit]
    return due


def _warn_at(policy: Policy, target: Ints) -> Ints:
    """The elapsed time at which the first warning threshold is reached (never, without thresholds)."""
    first = np.full(len(target), np.iinfo(np.int64).max, dtype=np.int64)
    for threshold in policy.warn:
        first = np.minimum(first, elapsed_at(threshold, target))
    return first


def escalated(clocks: pl.DataFrame) -> list[tuple[int, int]]:
    """The (policy index, target) pairs of the clocks that reached a step: the step orders a frame needs."""
    pairs = clocks.filter(pl.col(REACHED) > 0).select(POLICY, TARGET).unique().sort(POLICY, TARGET)
    return [(int(index), int(target)) for index, target in pairs.iter_rows()]


def step_order(policy: Policy, target: int) -> list[int]:
    """The policy's steps in the order they are reached (ties in list order): `escalation.reached_steps`."""
    steps = policy.steps
    return sorted(range(len(steps)), key=lambda i: (steps[i].elapsed_at(target), i))


def _reached(
    policy: Policy,
    target: Ints,
    elapsed: Ints,
    running: npt.NDArray[np.bool_],
    passed: npt.NDArray[np.bool_] | None = None,
) -> Ints:
    """How many steps each running clock has reached (the first that many of `step_order`); one at or past
    the target only where the due time has `passed` (`escalation.reached_steps`)."""
    reached = np.zeros(len(elapsed), dtype=np.int64)
    for step in policy.steps:
        amount = elapsed_at(step, target)
        reached += (elapsed >= amount) & ((amount < target) | (passed if passed is not None else True))
    return np.where(running, reached, 0)
