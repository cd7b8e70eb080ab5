"""A calendar's days in a range (windows, holidays by name, special days) and a lint of what may surprise:
windows in a DST gap or over a repeated hour, holidays on days that are closed anyway, holiday data that does not
cover the range, special days that repeat the weekly hours, overlaps with an overnight window, no opening at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from escalate_cli.business_time import DAY, Calendar, Window
from escalate_cli.durations import format_clock


@dataclass(frozen=True)
class DayView:
    day: date
    windows: tuple[Window, ...]
    open_seconds: int  # real seconds, so a window over a DST change shows what it really holds
    note: str = ""  # holiday name, "special", "no hours"


def days(
    calendar: Calendar, first: date, last: date, holiday_name: Callable[[Calendar, date], str | None]
) -> list[DayView]:
    out = []
    day = first
    while day <= last:
        windows = calendar.windows_on(day)
        seconds = sum(_real_seconds(calendar, day, window) for window in windows)
        if day in calendar.special:
            note = "special hours" if windows else "closed (special day)"
        elif (name := holiday_name(calendar, day)) is not None:
            note = f"part day: {name}" if day not in calendar.closed and windows else f"closed: {name}"
        elif not windows:
            note = "no hours"
        else:
            note = ""
        out.append(DayView(day, windows, seconds, note))
        day += timedelta(days=1)
    return out


def _instant(calendar: Calendar, day: date, seconds: int, *, last: bool = False) -> int:
    """The first instant at or after the wall time `seconds` after `day`'s midnight (gap times move forward);
    with `last`, a wall time that comes twice (fall back) is its second occurrence: a window that ends inside
    the repeated hour holds every instant whose wall time is in it, as the clock counts (`business_time`)."""
    wall = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)
    first, second = (int(wall.replace(tzinfo=calendar.tz, fold=fold).timestamp()) for fold in (0, 1))
    moment = second if last else first
    if _wall(calendar, moment) == wall:
        return moment
    # In a gap: the two readings of the wall time fall either side of the jump; the jump is the first instant
    # whose wall time is at or after the one asked for.
    lo, hi = sorted((first, second))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _wall(calendar, mid) < wall else (lo, mid)
    return hi


def _wall(calendar: Calendar, moment: int) -> datetime:
    return datetime.fromtimestamp(moment, calendar.tz).replace(tzinfo=None)


def _real_seconds(calendar: Calendar, day: date, window: Window) -> int:
    start, end = _instant(calendar, day, window[0]), _instant(calendar, day, window[1], last=True)
    return calendar.elapsed_ts(start, end) if end > start else 0


def lint(
    calendar: Calendar,
    first: date,
    last: date,
    holiday_name: Callable[[Calendar, date], str | None],
    holiday_years: tuple[int, int] | None,
) -> list[str]:
    notes: list[str] = []
    views = days(calendar, first, last, holiday_name)
    for view in views:
        notes += _dst_notes(calendar, view)
        weekly = calendar.week[view.day.weekday()]
        name = holiday_name(calendar, view.day)
        if name is not None and not weekly and view.day not in calendar.special:
            notes.append(f"{_d(view.day)}: {name} falls on a day with no hours anyway")
        untimed = calendar.part.untimed(view.day) if calendar.part is not None else None
        if untimed is not None and view.day not in calendar.special:
            notes.append(
                f"{_d(view.day)}: {untimed} is a half day, but the holidays package does not say when it closes: "
                "closed all day (give it special hours to keep it open part of the day)"
            )
        if view.day in calendar.special and calendar.special[view.day] == weekly and name is None:
            notes.append(f"{_d(view.day)}: special hours repeat the weekly hours")
        before = calendar.windows_on(view.day - timedelta(days=1))
        spill = max((end - DAY for _, end in before), default=0)
        if spill > 0 and view.windows and view.windows[0][0] < spill:
            notes.append(
                f"{_d(view.day)}: opens at {format_clock(view.windows[0][0])}, inside the overnight window of "
                f"the day before (until {format_clock(spill)}); the overlap counts once"
            )
    if holiday_years is not None:
        lo, hi = holiday_years
        if first.year < lo or last.year > hi:
            notes.append(f"holiday data covers {lo}-{hi} only; days outside it have no package holidays")
    if views and not any(view.open_seconds for view in views):
        notes.append("the calendar is never open in this range: clocks on it do not move")
    return notes


def _dst_notes(calendar: Calendar, view: DayView) -> list[str]:
    notes = []
    for start, end in view.windows:
        for label, wall in (("starts", start), ("ends", end)):
            moment = _instant(calendar, view.day, wall)
            shown = datetime.fromtimestamp(moment, calendar.tz)
            expected = datetime.combine(view.day, datetime.min.time()) + timedelta(seconds=wall)
            if shown.replace(tzinfo=None) != expected:
                notes.append(
                    f"{_d(view.day)}: window {format_clock(start)}-{format_clock(end)} {label} in the DST gap; "
                    f"it {'opens' if label == 'starts' else 'closes'} at {shown:%H:%M}"
                )
        real = _real_seconds(calendar, view.day, (start, end))
        if real > end - start:
            notes.append(
                f"{_d(view.day)}: window {format_clock(start)}-{format_clock(end)} spans the repeated hour of the DST "
                f"change and holds {(real - (end - start)) // 60} minutes more than on other days"
            )
    return notes


def _d(day: date) -> str:
    return day.strftime("%a %Y-%m-%d")
