"""Durations as people write them (`90s`, `1h30m`, `2d`, `1w`) and as escalate prints them."""

from __future__ import annotations

import re

_UNITS = {"w": 7 * 86_400, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as `4h` or `1h30m` (d = 24 hours, w = 7 days); ValueError if malformed."""
    compact = text.strip().lower().replace(" ", "")
    match = _DURATION.fullmatch(compact)
    if not compact or match is None:
        raise ValueError(text)
    return sum(int(n) * unit for n, unit in zip(match.groups(), _UNITS.values()) if n)


def format_duration(seconds: int) -> str:
    """`52h30m`, `1h30m`, `45s`, `0s`; negative values get a leading minus. Seconds show only under an hour.
    Never days: the durations shown are business time, where a 24-hour "day" would be three working days on
    an 8-hour calendar (a 40h target prints as `40h`, not `1d16h`). Written out case by case: it fills in
    escalation messages, where a loop over the units cost a microsecond."""
    sign = "-" if seconds < 0 else ""
    rest = -seconds if seconds < 0 else seconds
    if rest < 3_600:
        minutes, secs = divmod(rest, 60)
        if not minutes:
            return f"{sign}{secs}s"
        return f"{sign}{minutes}m{secs}s" if secs else f"{sign}{minutes}m"
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    return f"{sign}{hours}h{f'{minutes}m' if minutes else ''}"


def format_clock(seconds: int) -> str:
    """A window edge, in seconds after the midnight of its day, as wall-clock `HH:MM`: `24:00` ends a day, and
    an overnight window's end (past 24:00) shows as the next day's time."""
    if seconds > 86_400:
        seconds -= 86_400
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
