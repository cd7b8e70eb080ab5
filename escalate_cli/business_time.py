"""Business-time arithmetic: open seconds between instants and due times on a calendar, exact across DST.

A calendar's opening windows are wall-clock times in its zone. An instant is open when its local wall time lies
in a window of the day the window belongs to (an overnight window such as 22:00-06:00 belongs to the day it starts
on). Each year of days is turned once into sorted open intervals in epoch seconds with running totals of open
seconds, so `elapsed` is two bisections and `add` is one: the cost of a call does not grow with the span.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import Protocol

DAY = 86_400
Window = tuple[int, int]
"""Seconds after the local midnight of the day a window belongs to; an overnight window ends past 86400."""

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_PROBE_STEP = 3 * 3600  # offset changes are looked for at this spacing, then pinned to the second
_EDGE = 3 * DAY  # instants this close to the edge of the built years may see windows of unbuilt days
_MIN_YEAR, _MAX_YEAR = 1900, 2999
# IANA names of UTC itself (links to Etc/UTC), whose offset never changes
UTC_NAMES = frozenset(
    prefix + name
    for name in ("UTC", "UCT", "Universal", "Zulu", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich")
    for prefix in ("", "Etc/")
)


@dataclass(frozen=True)
class PartDay:
    """A day that closes early: at `closes` (seconds after midnight), or with `shorter` seconds of its usual
    opening hours taken off the end (`holidays`' half days: "from 1pm", "workday shortened by 3 hours")."""

    closes: int | None = None
    shorter: int = 0

    def cut(self, windows: tuple[Window, ...]) -> tuple[Window, ...]:
        if self.closes is not None:
            end = self.closes
            return tuple((start, min(stop, end)) for start, stop in windows if start < end)
        left, kept = sum(stop - start for start, stop in windows) - self.shorter, []
        for start, stop in windows:
            if left <= 0:
                break
            kept.append((start, min(stop, start + left)))
            left -= stop - start
        return tuple(kept)


class PartDays(Protocol):
    def part_day(self, day: date) -> PartDay | None: ...

    def untimed(self, day: date) -> str | None:
        """The name of a half day whose closing time is not known (closed all day), if `day` is one."""
        ...


@dataclass(frozen=True, eq=False)
class Calendar:
    """Opening hours in a time zone, with whole-day closures and special days that replace a day's windows."""

    tz: tzinfo
    week: tuple[tuple[Window, ...], ...]  # Monday first, 7 entries
    closed: Container[date] = frozenset()
    special: Mapping[date, tuple[Window, ...]] = field(default_factory=lambda: MappingProxyType({}))
    name: str = ""
    part: PartDays | None = None  # days that close early (part-day holidays), unless special
    _index: _OpenIntervals = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("week needs 7 entries, Monday first")
        object.__setattr__(self, "_index", _OpenIntervals(self))

    @classmethod
    def always_open(cls, name: str = "24x7") -> Calendar:
        return cls(tz=timezone.utc, week=(((0, DAY),),) * 7, name=name)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The windows that belong to `day`: its special hours, none on a closed day, else its weekday's (cut
        short on a part day)."""
        if day in self.special:
            return self.special[day]
        if day in self.closed:
            return ()
        part = self.part.part_day(day) if self.part is not None else None
        return part.cut(self.week[day.weekday()]) if part is not None else self.week[day.weekday()]

    # Epoch-second interface: the hot path works on integers.
    def elapsed_ts(self, start: int, end: int) -> int:
        """Open seconds in [start, end); 0 when end <= start."""
        if end <= start:
            return 0
        index = self._index
        index.cover(start)
        index.cover(end)
        return index.opened_before(end) - index.opened_before(start)

    def add_ts(self, start: int, seconds: int) -> int:
        """The earliest instant u with elapsed_ts(start, u) == seconds."""
        if seconds < 0:
            raise ValueError(f"cannot add a negative duration ({seconds}s)")
        if seconds == 0:
            return start
        return self._index.reach(start, seconds)

    def open_spans(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The open intervals inside [start, end), clipped to it, in order."""
        if end <= start:
            return
        index = self._index
        index.cover(start)
        index.cover(end)
        i = max(bisect_right(index.starts, start) - 1, 0)
        while i < len(index.starts) and index.starts[i] < end:
            lo, hi = max(index.starts[i], start), min(index.ends[i], end)
            if lo < hi:
                yield lo, hi
            i += 1

    def days_later(self, start: int, days: int, end_of_day: bool = False) -> int:
        """The instant `days` open days after `start` (a day is open when it has a window): the same wall time of
        day, at most that day's last closing (`end_of_day`: at it). A start on a day with no window counts from
        the first opening of the next open day, as GLPI's working-day delays do; wall times the zone repeats
        take their first occurrence, and one it skips the offset before the change (`fold=0`)."""
        local = datetime.fromtimestamp(start, self.tz)
        day, opens, closing = self.days_after(local.date(), days)
        time_of_day = opens if opens is not None else local.hour * 3600 + local.minute * 60 + local.second
        wall = datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=closing if end_of_day else min(time_of_day, closing)
        )
        return to_epoch(wall.replace(tzinfo=self.tz))

    def days_after(self, day: date, days: int) -> tuple[date, int | None, int]:
        """For a start on `day`: the day `days` open days on, the opening it counts from when `day` has no window
        (None: from the start's own time of day), and the last closing of the day it ends on."""
        opens = None
        if not self.windows_on(day):
            day = self.next_open_day(day)
            opens = min(window[0] for window in self.windows_on(day))
        for _ in range(days):
            day = self.next_open_day(day)
        return day, opens, max(window[1] for window in self.windows_on(day))

    def next_open_day(self, day: date) -> date:
        """The first day after `day` with a window."""
        for _ in range(3 * 366):
            day += timedelta(days=1)
            if self.windows_on(day):
                return day
        raise ValueError(f"calendar {self.name!r} has no open day in the three years after {day.isoformat()}")

    # Datetime interface, for aware datetimes; sub-second parts are dropped.
    def elapsed(self, start: datetime, end: datetime) -> int:
        """Open seconds in [start, end); 0 when end <= start."""
        return self.elapsed_ts(to_epoch(start), to_epoch(end))

    def add(self, start: datetime, seconds: int) -> datetime:
        """Earliest instant u with elapsed(start, u) == seconds (start itself for 0), in the calendar's zone."""
        if seconds == 0:
            return start
        return datetime.fromtimestamp(self.add_ts(to_epoch(start), seconds), self.tz)


def to_epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime (floored)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: business time needs an aware one")
    delta = moment - _EPOCH
    return delta.days * DAY + delta.seconds


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class _OpenIntervals:
    """A calendar's open intervals for a contiguous run of years, extended on demand."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.years: dict[int, list[Window]] = {}
        self.lo_year = self.hi_year = 0
        self.safe_lo = self.safe_hi = 0  # instants in [safe_lo, safe_hi] see every window around them
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum: list[int] = []  # open seconds before interval i
        self.cum_end: list[int] = []  # open seconds up to the end of interval i

    def cover(self, moment: int) -> None:
        if self.years and self.safe_lo <= moment <= self.safe_hi:
            return
        year = datetime.fromtimestamp(min(max(moment, -2_000_000_000), 32_000_000_000), timezone.utc).year
        lo, hi = year - 1, year + 1
        if self.years:
            lo, hi = min(lo, self.lo_year), max(hi, self.hi_year)
        self._build(lo, hi)

    def opened_before(self, moment: int) -> int:
        i = bisect_right(self.starts, moment) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum[i] + (moment if moment < end else end) - self.starts[i]

    def reach(self, start: int, seconds: int) -> int:
        self.cover(start)
        while True:
            target = self.opened_before(start) + seconds
            i = bisect_left(self.cum_end, target)
            if i < len(self.starts):
                moment = self.starts[i] + target - self.cum[i]
                if moment <= self.safe_hi:
                    return moment
            if self.hi_year >= _MAX_YEAR or self.hi_year - self.lo_year > 400:
                raise ValueError(f"calendar {self.calendar.name!r} never accumulates {seconds}s of open time")
            self._build(self.lo_year, self.hi_year + max(1, (self.hi_year - self.lo_year) // 2))

    def _build(self, lo: int, hi: int) -> None:
        if lo < _MIN_YEAR or hi > _MAX_YEAR:
            raise ValueError(f"instant outside the years {_MIN_YEAR}-{_MAX_YEAR} that calendars cover")
        for year in range(lo, hi + 1):
            if year not in self.years:
                self.years[year] = _year_intervals(self.calendar, year)
        merged = _merge(sorted(iv for year in range(lo, hi + 1) for iv in self.years[year]))
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        self.cum, self.cum_end, total = [], [], 0
        for s, e in merged:
            self.cum.append(total)
            total += e - s
            self.cum_end.append(total)
        self.lo_year, self.hi_year = lo, hi
        self.safe_lo = _year_start(lo) + _EDGE
        self.safe_hi = _year_start(hi + 1) - _EDGE


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY


def _year_intervals(calendar: Calendar, year: int) -> list[Window]:
    """Open instants (epoch seconds) of the windows that belong to the days of `year`."""
    wall: list[Window] = []  # wall-clock intervals, counted as if the local clock were UTC
    first = date(year, 1, 1).toordinal()
    for ordinal in range(first, date(year + 1, 1, 1).toordinal()):
        base = (ordinal - _EPOCH_ORDINAL) * DAY
        for start, end in calendar.windows_on(date.fromordinal(ordinal)):
            wall.append((base + start, base + end))
    if not wall:
        return []
    margin = 2 * DAY  # more than any UTC offset
    out: list[Window] = []
    for seg_start, seg_end, offset in _offset_segments(calendar.tz, wall[0][0] - margin, wall[-1][1] + margin):
        # While the offset is constant, wall time w is the instant w - offset; keep what falls in the segment.
        for start, end in wall:
            lo, hi = max(start - offset, seg_start), min(end - offset, seg_end)
            if lo < hi:
                out.append((lo, hi))
    return out


def _offset_segments(tz: tzinfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """Maximal runs [from, to) of instants in [start, end) over which the zone's UTC offset is constant."""
    if isinstance(tz, timezone) or getattr(tz, "key", None) in UTC_NAMES:  # fixed: no need to probe
        return [(start, end, _offset(tz, start))]
    segments: list[tuple[int, int, int]] = []
    seg_start, offset = start, _offset(tz, start)
    probe = start
    while probe < end:
        nxt = min(probe + _PROBE_STEP, end)
        if _offset(tz, nxt) != offset:
            change = _first_change(tz, probe, nxt, offset)
            segments.append((seg_start, change, offset))
            seg_start, offset = change, _offset(tz, change)
            probe = change
        else:
            probe = nxt
    segments.append((seg_start, end, offset))
    return segments


def _first_change(tz: tzinfo, lo: int, hi: int, offset: int) -> int:
    """The first instant in (lo, hi] whose offset differs from `offset` (which holds at lo)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(tz, mid) == offset:
            lo = mid
        else:
            hi = mid
    return hi


def _offset(tz: tzinfo, moment: int) -> int:
    delta = datetime.fromtimestamp(moment, tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _merge(intervals: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
