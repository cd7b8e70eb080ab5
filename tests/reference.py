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
