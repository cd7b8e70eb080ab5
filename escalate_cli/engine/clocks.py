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
from escalate_cli.engine.kernel import Kernel
from escalate_cli.model import Metric, Policy, State

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
) -> pl.DataFrame:
    """The clocks of `rows` (issues under `policy`, with a ROW column), every target of the policy, at `as_of`:
    one instant, or one per row (`backtest` measures each version of an issue at its own instants)."""
    instants = np.broadcast_to(np.asarray(as_of, dtype=np.int64), (rows.height,))
    out = []
    for order, metric in enumerate(policy.targets):
        measured, at = (rows, instants) if metric is not Metric.FIRST_RESPONSE else replying(rows, instants)
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
    metric: Metric,
    as_of: Ints,
    kernels: Kernels,
    restart_on_reclassify: bool,
) -> pl.DataFrame:
    """The clock of one of the policy's targets (the `order`-th) for each row, at each row's instant."""
    target = policy.targets[metric]
    columns = _clock(rows, policy, metric, target, as_of, kernels(policy.calendar), restart_on_reclassify)
    reached = _reached(policy, target, columns[ELAPSED], columns[STOPPED] == NONE)
    stopped = columns.pop(STOPPED)
    states = columns.pop(STATE)
    n = rows.height
    return pl.DataFrame(
        {
            ROW: rows.get_column(ROW),
            ORDER: pl.Series([order] * n, dtype=pl.UInt32),
            POLICY: pl.Series([policy_index] * n, dtype=pl.Int32),
            METRIC: pl.Series([metric.value] * n, dtype=pl.Utf8),
            TARGET: pl.Series([target] * n, dtype=pl.Int64),
            **{name: pl.Series(values, dtype=pl.Int64) for name, values in columns.items()},
            STOPPED: pl.Series(stopped, dtype=pl.Int64).replace(NONE, None),
            STATE: pl.Series(STATES, dtype=pl.Utf8).gather(states),
            CODE: pl.Series(states, dtype=pl.UInt8),
            REACHED: pl.Series(reached, dtype=pl.Int32),
        }
    )


def reaching(
    rows: pl.DataFrame, policy: Policy, metric: Metric, seconds: list[int], as_of: Ints, kernels: Kernels, restart: bool
) -> list[Ints]:
    """For clocks running and not paused at `as_of` (per row): the instant each reaches each of `seconds` of
    business time, if it runs on (`sla.instant_reaching`); where a warning, the due time or a step comes."""
    start, _, end = _span_at(rows, metric, as_of, restart)
    pauses = _Pauses.within(rows, start, end, metric in policy.pause)
    kernel = kernels(policy.calendar)
    return [_due(kernel, start, amount, pauses, as_of) for amount in seconds]


STATES = [s.value for s in (State.OK, State.WARNING, State.BREACHED, State.PAUSED, State.MET, State.MISSED)]
OK, WARNING, BREACHED, PAUSED_STATE, MET, MISSED = range(6)


def _instants(rows: pl.DataFrame, name: str) -> Ints:
    return rows.get_column(name).fill_null(NONE).to_numpy().astype(np.int64, copy=False)


def stop_of(rows: pl.DataFrame, metric: Metric) -> Ints:
    """Where each row's clock for `metric` stops, whenever that is (NONE: it does not)."""
    return _span(rows, metric)[1]


def _span(rows: pl.DataFrame, metric: Metric) -> tuple[Ints, Ints]:
    """When the metric's clock starts, and when it stopped (NONE while running): `sla.clock_span`."""
    created = _instants(rows, S.CREATED)
    resolved = _instants(rows, S.RESOLVED)
    if metric is Metric.FIRST_RESPONSE:
        first = _instants(rows, S.FIRST_RESPONSE)  # whichever came first (sla.clock_span)
        return created, np.where((first != NONE) & ((resolved == NONE) | (first < resolved)), first, resolved)
    if metric is Metric.RESOLUTION:
        return created, resolved
    updated = _instants(rows, S.UPDATED)
    return np.where(updated != NONE, np.maximum(updated, created), created), resolved


def _span_at(rows: pl.DataFrame, metric: Metric, as_of: Ints, restart: bool) -> tuple[Ints, Ints, Ints]:
    """Where each clock started, where it stopped by `as_of` (NONE: running), and the end of what it measured."""
    start, stop = _span(rows, metric)
    stop = np.where(stop > as_of, NONE, stop)  # not stopped yet at the instant evaluated
    running = stop == NONE
    if restart:
        changed = _instants(rows, S.CHANGED)
        moved = (changed != NONE) & (changed > start) & (running | (stop > changed))
        start = np.where(moved, changed, start)
    return start, stop, np.where(running, as_of, stop)


def _clock(
    rows: pl.DataFrame, policy: Policy, metric: Metric, target: int, as_of: Ints, kernel: Kernel, restart: bool
) -> dict[str, Ints]:
    start, stop, end = _span_at(rows, metric, as_of, restart)
    running = stop == NONE
    pauses = _Pauses.within(rows, start, end, metric in policy.pause)
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
    due = _due(kernel, start, target, pauses, as_of)
    holds = np.zeros(len(start), dtype=bool)
    holds[pauses.row[pauses.last & pauses.open]] = True  # the clipped pauses end with an open one
    holds &= running
    state = np.where(
        running,
        np.where(
            elapsed >= target,
            BREACHED,
            np.where(holds, PAUSED_STATE, np.where(elapsed >= _warn_at(policy, target), WARNING, OK)),
        ),
        np.where(stop <= due, MET, MISSED),  # stopped after due_at is late, business time or not (sla._state)
    )
    return {STARTED: start, DUE: due, STOPPED: stop, ELAPSED: elapsed, PAUSED: paused, STATE: state}


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
    def within(cls, rows: pl.DataFrame, start: Ints, end: Ints, pausing: bool) -> _Pauses:
        """`pausing`: the policy pauses this metric (else only the time resolved before a reopening counts)."""
        since = _instants(rows, S.PAUSED_SINCE) if pausing else np.full(rows.height, NONE)
        one = np.flatnonzero(since != NONE)  # the one open pause of a snapshot
        lists = [
            n for n in ([S.PAUSES, S.HELD] if pausing else [S.HELD]) if rows.get_column(n).null_count() < rows.height
        ]
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
        lo = np.maximum(begin, start[row])
        ended = to != NONE
        kept = np.where(ended, (lo < end[row]) & (to > lo), lo <= end[row])
        row, lo, to, ended = row[kept], lo[kept], to[kept], ended[kept]
        is_open = ~ended | (to > end[row])
        edge = np.ones(len(row) + 1, dtype=bool)
        edge[1:-1] = row[1:] != row[:-1]
        return cls(row, lo, np.where(is_open, NONE, to), is_open, edge[1:], edge[:-1])


def _due(kernel: Kernel, start: Ints, target: int, pauses: _Pauses, as_of: Ints) -> Ints:
    """`sla.instant_reaching` for the target, every pause at once: the business time before each pause is
    used first, and the clock goes on where the pause ended; an open pause resumes, for the reckoning, at the
    instant evaluated (when it would be due if resumed now)."""
    resume = np.where(pauses.open, np.maximum(as_of[pauses.row], pauses.lo), pauses.to)
    cursor = np.where(pauses.first, start[pauses.row], np.roll(resume, 1))  # where the clock ran from
    before = kernel.elapsed(cursor, pauses.lo)  # and the open time it used until this pause
    used = np.cumsum(before)
    row_first = np.maximum.accumulate(np.where(pauses.first, np.arange(len(used)), 0))
    remaining = target - (used - before - (used[row_first] - before[row_first]))  # left when this run began
    reach = kernel.add(cursor, np.maximum(remaining, 0))
    hit = reach <= pauses.lo  # due before this pause began: the first such pause gives the due time
    due_rows, first_hit = np.unique(pauses.row[hit], return_index=True)
    after, left = start.copy(), np.full(len(start), target, dtype=np.int64)  # else: on from the last resumption
    last = pauses.row[pauses.last]
    after[last] = resume[pauses.last]
    left[last] = remaining[pauses.last] - before[pauses.last]
    due = kernel.add(after, np.maximum(left, 0))
    due[due_rows] = reach[hit][first_hit]
    return due


def _warn_at(policy: Policy, target: int) -> int:
    """The elapsed time at which the first warning threshold is reached (never, without thresholds)."""
    return min((t.elapsed_at(target) for t in policy.warn), default=np.iinfo(np.int64).max)


def step_order(policy: Policy, target: int) -> list[int]:
    """The policy's steps in the order they are reached (ties in list order): `escalation.reached_steps`."""
    steps = policy.steps
    return sorted(range(len(steps)), key=lambda i: (steps[i].elapsed_at(target), i))


def _reached(policy: Policy, target: int, elapsed: Ints, running: npt.NDArray[np.bool_]) -> Ints:
    thresholds = np.array([policy.steps[i].elapsed_at(target) for i in step_order(policy, target)], dtype=np.int64)
    if not len(thresholds):
        return np.zeros(len(elapsed), dtype=np.int64)
    reached = np.searchsorted(thresholds, elapsed, side="right")
    return np.where(running, reached, 0)
