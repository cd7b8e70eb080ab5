"""Every clock of every matched issue at one instant, a (policy, metric) at a time, as columns.

Per row this is `sla.clock_for`, written for arrays: the span a metric measures, the open pause, business time
elapsed and paused (`Kernel.elapsed`), the due time (`Kernel.add`, resumed after a pause), the state and the
number of escalation steps reached. Rows whose history holds pauses that ended (event logs) are few: the scalar
`clock_for` measures them and its figures replace theirs (see `_oracle`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from escalate_cli.business_time import Calendar
from escalate_cli.engine import schema as S
from escalate_cli.engine.kernel import Kernel
from escalate_cli.model import Issue, Metric, Policy, State
from escalate_cli.sla import clock_for

Ints = npt.NDArray[np.int64]
NONE = np.iinfo(np.int64).min  # a missing instant inside numpy arrays

# The clock frame: one row per issue x metric
ROW = "row"  # UInt32: the issue's row in the frame evaluated
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
    as_of: int,
    kernels: Kernels,
    objects: list[Issue | None],
    restart_on_reclassify: bool,
) -> pl.DataFrame:
    """The clocks of `rows` (issues under `policy`, with a ROW column), every target of the policy."""
    kernel = kernels(policy.calendar)
    out = []
    for order, (metric, target) in enumerate(policy.targets.items()):
        columns = _clock(rows, policy, metric, target, as_of, kernel, restart_on_reclassify)
        oracle = np.flatnonzero(rows.get_column(S.ORACLE).to_numpy())
        if len(oracle):
            _oracle(columns, oracle, [objects[i] for i in oracle], policy, metric, target, as_of, restart_on_reclassify)
        columns[REACHED] = _reached(policy, target, columns[ELAPSED], columns[STOPPED] == NONE)
        stopped = columns.pop(STOPPED)
        states = columns.pop(STATE)
        out.append(
            pl.DataFrame(
                {
                    ROW: rows.get_column(ROW),
                    ORDER: pl.Series([order] * len(rows), dtype=pl.UInt32),
                    POLICY: pl.Series([policy_index] * len(rows), dtype=pl.Int32),
                    METRIC: pl.Series([metric.value] * len(rows), dtype=pl.Utf8),
                    TARGET: pl.Series([target] * len(rows), dtype=pl.Int64),
                    **{name: pl.Series(values, dtype=pl.Int64) for name, values in columns.items() if name != REACHED},
                    STOPPED: pl.Series(stopped, dtype=pl.Int64).replace(NONE, None),
                    STATE: pl.Series(STATES, dtype=pl.Utf8).gather(states),
                    CODE: pl.Series(states, dtype=pl.UInt8),
                    REACHED: pl.Series(columns[REACHED], dtype=pl.Int32),
                }
            )
        )
    return pl.concat(out) if out else pl.DataFrame()


STATES = [s.value for s in (State.OK, State.WARNING, State.BREACHED, State.PAUSED, State.MET, State.MISSED)]
OK, WARNING, BREACHED, PAUSED_STATE, MET, MISSED = range(6)


def _instants(rows: pl.DataFrame, name: str) -> Ints:
    return rows.get_column(name).fill_null(NONE).to_numpy().astype(np.int64, copy=False)


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


def _clock(
    rows: pl.DataFrame, policy: Policy, metric: Metric, target: int, as_of: int, kernel: Kernel, restart: bool
) -> dict[str, Ints]:
    start, stop = _span(rows, metric)
    stop = np.where(stop > as_of, NONE, stop)  # not stopped yet at the instant evaluated
    running = stop == NONE
    if restart:
        changed = _instants(rows, S.CHANGED)
        moved = (changed != NONE) & (changed > start) & (running | (stop > changed))
        start = np.where(moved, changed, start)
    end = np.where(running, as_of, stop)
    pause = _instants(rows, S.PAUSED_SINCE) if metric in policy.pause else np.full(len(start), NONE)
    lo = np.maximum(pause, start)
    holds = (pause != NONE) & (lo <= end)  # an open pause that began by the end holds the clock
    lo = np.where(holds, lo, end)
    if len(start):  # open seconds at each instant, counted once: spans are their differences
        first, last = int(min(start.min(), as_of)), int(max(end.max(), as_of))
        at_start, at_end, at_lo = (kernel.opened(x, first, last) for x in (start, end, lo))
    else:
        at_start = at_end = at_lo = start
    paused = kernel.elapsed_between(lo, end, at_lo, at_end)
    elapsed = kernel.elapsed_between(start, end, at_start, at_end) - paused
    targets = np.full(len(start), target, dtype=np.int64)
    due = kernel.add(start, targets)
    resumed = holds & (due > lo)  # due after the pause began: when it would be if resumed now
    if resumed.any():
        cursor = np.maximum(as_of, lo[resumed])
        left = target - kernel.elapsed_between(start[resumed], lo[resumed], at_start[resumed], at_lo[resumed])
        due[resumed] = kernel.add(cursor, left)
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


def _oracle(
    columns: dict[str, Ints],
    rows: Ints,
    issues: list[Issue | None],
    policy: Policy,
    metric: Metric,
    target: int,
    as_of: int,
    restart: bool,
) -> None:
    """The scalar clock's figures for rows whose history the columns do not model (pauses that ended)."""
    for name in (STARTED, DUE, STOPPED, ELAPSED, PAUSED, STATE):
        columns[name] = columns[name].copy()  # some are views of the frame's own memory
    for row, issue in zip(rows.tolist(), issues):
        assert issue is not None, "only issues built as objects have a history of pauses"
        clock = clock_for(issue, policy, metric, target, as_of, str, restart)
        columns[STARTED][row] = clock.started_at
        columns[DUE][row] = clock.due_at
        columns[STOPPED][row] = NONE if clock.stopped_at is None else clock.stopped_at
        columns[ELAPSED][row] = clock.elapsed
        columns[PAUSED][row] = clock.paused_seconds
        columns[STATE][row] = STATES.index(clock.state.value)
