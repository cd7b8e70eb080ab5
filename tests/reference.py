"""A slow, obviously-correct business clock: the reference the fast code in business_time is checked against.

It asks the zone for the wall time of each minute and tests it against the windows of that day and of the day
before (an overnight window belongs to the day it starts on). Every window boundary and every DST change in the
zones used here falls on a whole minute, so openness is constant within a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from escalate_cli.business_time import DAY, Calendar


def is_open(calendar: Calendar, moment: int) -> bool:
    wall = datetime.fromtimestamp(moment, calendar.tz).replace(tzinfo=None)
    of_day = wall.hour * 3600 + wall.minute * 60 + wall.second
    day = wall.date()
    if any(start <= of_day < end for start, end in calendar.windows_on(day)):
        return True
    return any(start <= of_day + DAY < end for start, end in calendar.windows_on(day - timedelta(days=1)))


def _minutes(start: int):
    moment = start
    while True:
        boundary = (moment // 60 + 1) * 60
        yield moment, boundary
        moment = boundary


def elapsed(calendar: Calendar, start: int, end: int) -> int:
    total = 0
    for moment, boundary in _minutes(start):
        if moment >= end:
            return total
        if is_open(calendar, moment):
            total += min(boundary, end) - moment


def add(calendar: Calendar, start: int, seconds: int) -> int:
    if seconds == 0:
        return start
    total = 0
    for moment, boundary in _minutes(start):
        if is_open(calendar, moment):
            if total + (boundary - moment) >= seconds:
                return moment + (seconds - total)
            total += boundary - moment
    raise AssertionError("unreachable")


ALWAYS = 1 << 62
"""A start instant later than any: returned when every start has reached a threshold (zero seconds)."""


def latest_start_reaching(calendar: Calendar, seconds: int, as_of: int, floor: int) -> int | None:
    """The latest start s from which a clock running until `as_of` has used at least `seconds` of business time.

    Elapsed time only grows as the start moves back, so a running clock has reached `seconds` exactly when its
    start is at or before the result: one comparison instead of two bisections per clock. None when no start in
    [floor, as_of] has (a calendar that is hardly ever open); starts before `floor` are then unknown."""
    if seconds <= 0:
        return ALWAYS
    step = seconds
    reached = as_of - step  # elapsed <= wall time, so nothing later than this can have reached it
    while calendar.elapsed_ts(reached, as_of) < seconds:
        if reached <= floor:
            return None
        step *= 2
        reached = max(as_of - step, floor)
    short = as_of - step // 2 if step > seconds else as_of  # has not reached it (or is as_of itself)
    while short - reached > 1:
        middle = (reached + short) // 2
        if calendar.elapsed_ts(middle, as_of) >= seconds:
            reached = middle
        else:
            short = middle
    return reached
