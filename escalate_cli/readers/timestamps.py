"""Timestamps as exports write them -> epoch seconds. Naive ones are wall times in the configured zone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo

from escalate_cli.business_time import to_epoch

NULLS = frozenset(
    {"", "?", "-", "null", "none", "nil", "n/a", "na", "nan", "nat", "1900-01-01 00:00:00", "1900-01-01"}
)  # Excel's zero date stands for "no value"
# Month abbreviations of other locales -> English, for exports whose UI language was not English (Spanish Jira:
# `18/jul/26`). Only names that differ from English are listed.
_MONTHS = {
    "ene": "Jan",
    "enero": "Jan",
    "abr": "Apr",
    "ago": "Aug",
    "dic": "Dec",
    "set": "Sep",
    "sept": "Sep",  # es/pt/it
    "janv": "Jan",
    "févr": "Feb",
    "fevr": "Feb",
    "mars": "Mar",
    "avr": "Apr",
    "mai": "May",
    "juin": "Jun",  # fr/de
    "juil": "Jul",
    "août": "Aug",
    "aout": "Aug",
    "déc": "Dec",
    "okt": "Oct",
    "dez": "Dec",
    "mär": "Mar",
    "mrz": "Mar",
    "fev": "Feb",
    "out": "Oct",
    "gen": "Jan",
    "mag": "May",
    "giu": "Jun",
    "lug": "Jul",
    "ott": "Oct",
}
_WORD = re.compile(r"[^\W\d_]+\.?")
EARLIEST, LATEST = -2_208_988_800, 32_503_680_000  # 1900-01-01 .. 3000-01-01 UTC: the years calendars cover
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)
_MONTH_FIRST = (
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y",
)
_DAY_FIRST = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y",
)
_NAMED_MONTH = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%a, %d %b %Y %H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)


class TimestampParser:
    """Parses one field's timestamps; remembers the format that worked last, as exports repeat one format."""

    def __init__(self, tz: tzinfo, *, dayfirst: bool = False, fmt: str | None = None) -> None:
        self.tz = tz
        self.dayfirst = dayfirst
        self.formats = (fmt,) if fmt else (_DAY_FIRST if dayfirst else _MONTH_FIRST) + _NAMED_MONTH
        self.explicit = fmt is not None
        self.last: str | None = None
        self._days: dict[str, int] = {}  # "YYYY-MM-DD" -> epoch seconds of that day's UTC midnight
        self._offsets: dict[str, int] = {}  # "YYYY-MM-DDTHH" -> UTC offset of that wall-clock hour, seconds

    def parse(self, value: object) -> int | None:
        """Epoch seconds, None for a missing value; ValueError("cannot parse '...'") otherwise."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = str(value)
            moment: int | None = int(value / 1000 if abs(value) > 100_000_000_000 else value)  # seconds or millis
        else:
            text = str(value).strip()
            if text.lower() in NULLS:
                return None
            moment = self._parse_text(text)
        if moment is None:
            raise ValueError(f"cannot parse {text!r}")
        if not EARLIEST <= moment < LATEST:
            raise ValueError(f"{text!r} is outside the years 1900-2999")
        return moment

    def _parse_text(self, text: str) -> int | None:
        if not self.explicit and len(text) in (19, 20) and text[10] in "T ":
            moment = self._fast_iso(text)
            if moment is not None:
                return moment
        if not self.explicit:
            match = _ISO.fullmatch(text)
            if match:
                return self._from_iso(match)
        if self.last is not None:
            parsed = _strptime(text, self.last)
            if parsed is not None:
                return self._epoch(parsed)
        for fmt in self.formats:
            parsed = _strptime(text, fmt)
            if parsed is not None:
                self.last = fmt
                return self._epoch(parsed)
        english = _WORD.sub(_english_month, text)
        if english != text:
            for fmt in self.formats:
                parsed = _strptime(english, fmt)
                if parsed is not None:
                    return self._epoch(parsed)
        return None if self.explicit else self._fallback(english)

    def _fast_iso(self, text: str) -> int | None:
        """`2024-03-04T09:15:00Z` or a naive `2024-03-04 09:15:00`, by slicing, with the date's epoch and the
        zone's offset for that hour cached (the offset is the same all through any wall-clock hour)."""
        if text[4] != "-" or text[13] != ":" or text[16] != ":" or (len(text) == 20 and text[19] not in "Zz"):
            return None
        try:
            hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
            day = self._days.get(text[:10])
            if day is None:
                day = self._days[text[:10]] = (date.fromisoformat(text[:10]).toordinal() - _EPOCH_DAY) * 86_400
        except ValueError:
            return None
        if hour > 23 or minute > 59 or second > 59:
            return None
        if len(text) == 20:
            return day + hour * 3600 + minute * 60 + second
        offset = self._offsets.get(text[:13])
        if offset is None:
            wall = datetime(*date.fromordinal(day // 86_400 + _EPOCH_DAY).timetuple()[:3], hour)
            offset = _utc_offset(wall, self.tz)
            if offset != _utc_offset(wall.replace(minute=59, second=59), self.tz):
                offset = _VARIES  # the offset changes inside this hour (Lord Howe moves by 30 minutes)
            self._offsets[text[:13]] = offset
        if offset == _VARIES:
            return self._epoch(datetime.fromisoformat(text))
        return day + hour * 3600 + minute * 60 + second - offset

    def _from_iso(self, match: re.Match[str]) -> int | None:
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            return None
        if zone is None:
            return self._epoch(moment)
        if zone in ("Z", "z", "UTC"):
            return self._epoch(moment.replace(tzinfo=timezone.utc))
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        return self._epoch(moment.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset)))

    def _epoch(self, moment: datetime) -> int:
        return to_epoch(moment if moment.tzinfo is not None else moment.replace(tzinfo=self.tz))

    def _fallback(self, text: str) -> int | None:
        """dateutil, for the rare format not listed; refused unless the text names a whole date."""
        from dateutil import parser

        try:
            first = parser.parse(text, dayfirst=self.dayfirst, default=datetime(2000, 1, 1))
            second = parser.parse(text, dayfirst=self.dayfirst, default=datetime(2001, 2, 2))
        except (ValueError, OverflowError, ArithmeticError):  # dateutil on `09:` then thirty 9s: decimal's error
            return None
        if first.date() != second.date():
            return None  # the day, month or year came from the default: not a timestamp
        return self._epoch(first)


_EPOCH_DAY = date(1970, 1, 1).toordinal()
_VARIES = 1 << 40  # an hour's cached offset: not one offset all through the hour


def _utc_offset(wall: datetime, tz: tzinfo) -> int:
    """Seconds east of UTC for a naive wall time in `tz` (as to_epoch of wall.replace(tzinfo=tz) reads it)."""
    delta = wall.replace(tzinfo=tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _english_month(match: re.Match[str]) -> str:
    word = match.group(0).rstrip(".")
    return _MONTHS.get(word.lower(), word)


def _strptime(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None
