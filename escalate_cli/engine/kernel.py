"""The clock kernel: `Calendar.elapsed_ts` and `add_ts` for whole columns of instants at once.

The calendar's own open intervals (`business_time._OpenIntervals`: sorted starts and ends in epoch seconds with
running totals of open seconds) are the only source; this module puts them in numpy arrays and answers with
`searchsorted`, so a million clocks cost two binary searches each in C. The scalar methods stay the oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from escalate_cli.business_time import Calendar

Instants = npt.NDArray[np.int64]


@dataclass
class _Arrays:
    starts: Instants
    ends: Instants
    cum: Instants  # open seconds before interval i
    cum_end: Instants  # open seconds up to the end of interval i
    safe_hi: int


class Kernel:
    """Vectorised open-time arithmetic on one calendar."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._arrays: _Arrays | None = None
        self._built: object = None

    def _cover(self, lo: int, hi: int) -> _Arrays:
        index = self.calendar._index
        index.cover(lo)
        index.cover(hi)
        if self._arrays is None or self._built is not index.starts:  # rebuilt: totals start elsewhere
            self._built = index.starts
            self._arrays = _Arrays(
                np.asarray(index.starts, dtype=np.int64),
                np.asarray(index.ends, dtype=np.int64),
                np.asarray(index.cum, dtype=np.int64),
                np.asarray(index.cum_end, dtype=np.int64),
                index.safe_hi,
            )
        return self._arrays

    def _opened(self, arrays: _Arrays, moments: Instants) -> Instants:
        """Open seconds before each instant, counted from the first interval held."""
        if not len(arrays.starts):
            return np.zeros(len(moments), dtype=np.int64)
        i = np.searchsorted(arrays.starts, moments, side="right") - 1
        j = np.maximum(i, 0)
        inside = np.minimum(moments, arrays.ends[j]) - arrays.starts[j]
        opened: Instants = np.where(i < 0, 0, arrays.cum[j] + inside)
        return opened

    def opened(self, moments: Instants, lo: int, hi: int) -> Instants:
        """Open seconds before each instant, counted from a fixed origin, for instants in [lo, hi]: differences
        of two such columns (with the same lo and hi) are elapsed times; see `elapsed_between`."""
        return self._opened(self._cover(lo, hi), moments)

    @staticmethod
    def elapsed_between(start: Instants, end: Instants, opened_start: Instants, opened_end: Instants) -> Instants:
        spans: Instants = np.where(end > start, opened_end - opened_start, 0)
        return spans

    def elapsed(self, start: Instants, end: Instants) -> Instants:
        """Open seconds in [start, end) per row; 0 where end <= start."""
        if not len(start):
            return np.zeros(0, dtype=np.int64)
        arrays = self._cover(int(min(start.min(), end.min())), int(max(start.max(), end.max())))
        spans = self._opened(arrays, end) - self._opened(arrays, start)
        return np.where(end > start, spans, 0)

    def add(self, start: Instants, seconds: Instants) -> Instants:
        """The earliest instant u with elapsed(start, u) == seconds, per row (start itself for 0 seconds)."""
        if not len(start):
            return np.zeros(0, dtype=np.int64)
        if (seconds < 0).any():
            raise ValueError("cannot add a negative duration")
        out: Instants = start.copy()
        todo = np.flatnonzero(seconds > 0)
        lo, hi = int(start.min()), int(start.max())
        while len(todo):
            arrays = self._cover(lo, hi)
            goal = self._opened(arrays, start[todo]) + seconds[todo]
            i = np.searchsorted(arrays.cum_end, goal, side="left")
            held = i < len(arrays.starts)
            j = np.minimum(i, max(len(arrays.starts) - 1, 0))
            moment = arrays.starts[j] + goal - arrays.cum[j] if len(arrays.starts) else goal
            found = held & (moment <= arrays.safe_hi)
            out[todo[found]] = moment[found]
            todo = todo[~found]
            if len(todo):  # beyond the years built: the scalar code extends them (or says it never gets there)
                first = int(todo[0])
                hi = max(hi, self.calendar.add_ts(int(start[first]), int(seconds[first])))
        return out
