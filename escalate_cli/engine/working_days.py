"""Targets in open days (`3wd`) for whole columns of starts: `Calendar.days_later` written for arrays.

Each start's local date and time of day come from Polars' time zones; the day it ends on and that day's closing
are worked out once per distinct start date by the scalar calendar (`Calendar.days_after`: a column holds few
dates); the wall time is placed back in the zone by Polars. Only a wall time the zone skips (a spring-forward
hour) and a calendar on a fixed offset go through the scalar `days_later`, which stays the oracle.
"""

from __future__ import annotations

from datetime import timezone

import numpy as np
import numpy.typing as npt
import polars as pl

from escalate_cli.business_time import Calendar
from escalate_cli.model import WorkingDays

Ints = npt.NDArray[np.int64]


def ends(calendar: Calendar, target: WorkingDays, start: Ints) -> Ints:
    """`calendar.days_later(start, target.days, target.end_of_day)` for each start."""
    zone = _zone(calendar)
    if zone is None or not len(start):
        return np.array([calendar.days_later(int(s), target.days, target.end_of_day) for s in start], dtype=np.int64)
    local = pl.from_epoch(pl.Series(start), "s").dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    frame = pl.DataFrame({"day": local.dt.date(), "at": _time_of_day(local)})
    plans = pl.DataFrame(
        [(day, *calendar.days_after(day, target.days)) for day in frame.get_column("day").unique().to_list()],
        schema={"day": pl.Date, "end_day": pl.Date, "opens": pl.Int64, "closes": pl.Int64},
        orient="row",
    )
    at = pl.coalesce("opens", "at")  # a start on a closed day counts from the next open day's opening
    at = pl.col("closes") if target.end_of_day else pl.min_horizontal(at, "closes")
    wall = pl.col("end_day").cast(pl.Datetime("us")) + pl.duration(seconds=at)
    placed = frame.join(plans, on="day", how="left", maintain_order="left").select(
        wall.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.epoch("s")
    )
    placed_at = placed.to_series()
    result: Ints = placed_at.fill_null(0).to_numpy().astype(np.int64)
    for i in placed_at.is_null().arg_true().to_list():  # in an hour the zone skips: the scalar rule
        result[i] = calendar.days_later(int(start[i]), target.days, target.end_of_day)
    return result


def _time_of_day(local: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"t": local})
    hour, minute, second = (getattr(pl.col("t").dt, unit)().cast(pl.Int64) for unit in ("hour", "minute", "second"))
    return frame.select(hour * 3600 + minute * 60 + second).to_series()


def _zone(calendar: Calendar) -> str | None:
    """The calendar's IANA zone name for Polars; None for a fixed offset other than UTC."""
    if calendar.tz is timezone.utc:
        return "UTC"
    key = getattr(calendar.tz, "key", None)
    return key if isinstance(key, str) else None
