"""Timestamp cells -> epoch seconds for a whole column: ISO 8601 (with or without an offset) vectorised, and
each distinct cell of any other form once through the scalar `TimestampParser`, the oracle, which also words
the error of a cell nothing reads.

Naive wall times are placed in the zone as the scalar parser places them: a repeated hour (fall back) takes its
first occurrence; a wall time that does not exist (spring forward) is left to the scalar parser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone, tzinfo

import polars as pl

from escalate_cli.readers.timestamps import EARLIEST, LATEST, NULLS, TimestampParser

_ISO = r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
_WALL = "%Y-%m-%d %H:%M:%S"


def zone_name(tz: tzinfo) -> str | None:
    """The IANA name Polars knows the zone by; None for a zone it cannot be given (then the scalar parser)."""
    if tz is timezone.utc:
        return "UTC"
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else None


def parse_instants(cells: pl.Series, parser: TimestampParser) -> tuple[pl.Series, pl.Series]:
    """(Int64 epoch seconds, Utf8 error) per cell; both null for an empty or null-marker cell."""
    text = cells.str.strip_chars()
    blank = text.is_null() | text.str.to_lowercase().is_in(pl.Series(sorted(NULLS)).implode())
    frame = pl.DataFrame({"text": text, "blank": blank}).with_row_index("row")
    zone = zone_name(parser.tz)
    if parser.explicit or zone is None:
        at = pl.Series("at", [None] * len(text), dtype=pl.Int64)
    else:
        at = _plain(text, zone, parser.dayfirst)
        todo = frame.filter(~pl.col("blank") & at.is_null())
        if todo.height:
            at = at.scatter(todo.get_column("row"), _iso(todo.get_column("text"), zone))
    frame = frame.with_columns(at.alias("at"))
    rest = frame.filter(~pl.col("blank") & pl.col("at").is_null()).get_column("text").unique()
    found, error = _scalar(rest.to_list(), parser)
    lookup = pl.DataFrame(
        {"text": rest, "found": pl.Series(found, dtype=pl.Int64), "error": pl.Series(error, dtype=pl.Utf8)}
    )
    joined = frame.join(lookup, on="text", how="left", maintain_order="left") if rest.len() else frame
    if not rest.len():
        joined = joined.with_columns(pl.lit(None, pl.Int64).alias("found"), pl.lit(None, pl.Utf8).alias("error"))
    out = joined.select(
        pl.when(pl.col("blank")).then(None).otherwise(pl.coalesce("at", "found")).alias("at"),
        pl.when(pl.col("blank") | pl.col("at").is_not_null()).then(None).otherwise(pl.col("error")).alias("error"),
    )
    return out.get_column("at"), out.get_column("error")


# Python reads a year 69 as 1969 and Polars as 2069, and only Polars takes `9:15AM`: both go to the scalar parser
_JIRA = r"^[0-9]{1,2}/[A-Za-z]{3}/(?:[0-57-9][0-9]|6[0-8]) [0-9]{1,2}:[0-9]{2} [AaPp][Mm]$"
_OFFSET = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]$"


def _plain(text: pl.Series, zone: str, dayfirst: bool) -> pl.Series:
    """`2024-03-04T09:15:00Z`, a naive `2024-03-04 09:15:00`, `2024-03-04T09:15:00+01:00`, Jira's
    `04/Mar/24 9:15 AM`, and ServiceNow's and Excel's `04/03/2024 09:15` (day or month first, as the field's
    vote says), the forms most exports write, each by one fixed format; null for any other text. A form sees only
    the cells its pattern admits and no form has read yet (Polars' strptime is slow on the others)."""
    at = pl.Series("at", [None] * len(text), dtype=pl.Int64)
    for pattern, read in (*_FORMS, *(_DAY_FIRST if dayfirst else _MONTH_FIRST)):
        mask = at.is_null() & text.str.contains(pattern).fill_null(False)
        if mask.any():
            cells = pl.select(pl.when(pl.lit(mask)).then(pl.lit(text))).to_series()
            at = pl.select(pl.when(pl.lit(mask)).then(read(pl.lit(cells), zone)).otherwise(pl.lit(at))).to_series()
    return pl.select(_bounded(pl.lit(at))).to_series().alias("at")


def _utc(cell: pl.Expr, zone: str) -> pl.Expr:
    return cell.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%SZ", strict=False).dt.epoch("s")


def _naive(cell: pl.Expr, zone: str) -> pl.Expr:
    wall = pl.concat_str([cell.str.slice(0, 10), pl.lit(" "), cell.str.slice(11, 8)])
    return _placed(wall.str.strptime(pl.Datetime("us"), _WALL, strict=False), zone)


def _offset(cell: pl.Expr, zone: str) -> pl.Expr:
    """The offset as the scalar parser's pattern reads it: `+HH:MM` after the wall time."""
    wall = cell.str.slice(0, 19).str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False).dt.epoch("s")
    hours, minutes = (cell.str.slice(n, 2).cast(pl.Int64, strict=False) for n in (20, 23))
    sign = pl.when(cell.str.slice(19, 1) == "-").then(-1).otherwise(1)
    return wall - sign * (hours * 3600 + minutes * 60)


def _jira(cell: pl.Expr, zone: str) -> pl.Expr:
    """The format the scalar parser settles on for Jira's dates."""
    return _placed(cell.str.strptime(pl.Datetime("us"), "%d/%b/%y %I:%M %p", strict=False), zone)


_FORMS = (
    (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", _utc),
    (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}$", _naive),
    (_OFFSET, _offset),
    (_JIRA, _jira),
)


def _wall(layout: str) -> Callable[[pl.Expr, str], pl.Expr]:
    """A naive wall time of one fixed layout, placed in the zone. The patterns below admit only zero-padded
    cells that no other layout of the scalar parser's list reads, so its choice cannot differ."""

    def read(cell: pl.Expr, zone: str) -> pl.Expr:
        return _placed(cell.str.strptime(pl.Datetime("us"), layout, strict=False), zone)

    return read


_NUMERIC = r"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}$"
_NUMERIC_SECONDS = r"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
_DAY_FIRST = (
    (_NUMERIC, _wall("%d/%m/%Y %H:%M")),
    (_NUMERIC_SECONDS, _wall("%d/%m/%Y %H:%M:%S")),
    (r"^[0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}$", _wall("%d.%m.%Y %H:%M")),
    (r"^[0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}$", _wall("%d.%m.%Y %H:%M:%S")),
)
_MONTH_FIRST = ((_NUMERIC, _wall("%m/%d/%Y %H:%M")), (_NUMERIC_SECONDS, _wall("%m/%d/%Y %H:%M:%S")))


def _iso(text: pl.Series, zone: str) -> pl.Series:
    """Every other form the scalar parser's ISO pattern reads, the pattern applied once."""
    parts = text.str.extract_groups(_ISO).struct.unnest()
    hour, minute, second = (pl.col(str(n)).fill_null("00") for n in (4, 5, 6))
    wall = pl.concat_str(
        [pl.col("1"), pl.lit("-"), pl.col("2"), pl.lit("-"), pl.col("3"), pl.lit(" "), hour, pl.lit(":"), minute]
    )
    wall = pl.concat_str([wall, pl.lit(":"), second]).str.strptime(pl.Datetime("us"), _WALL, strict=False)
    offset = pl.col("7")
    digits = offset.str.slice(1).str.replace(":", "", literal=True)
    seconds = digits.str.slice(0, 2).cast(pl.Int64, strict=False) * 3600 + (
        digits.str.slice(2, 2).replace("", "0").cast(pl.Int64, strict=False).fill_null(0) * 60
    )
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    utc = wall.dt.epoch("s")
    moment = (
        pl.when(offset.is_null())
        .then(_placed(wall, zone))
        .when(offset.is_in(pl.Series(["Z", "z", "UTC"]).implode()))
        .then(utc)
        .when(seconds < 86_400)  # datetime.timezone refuses a day or more: the scalar parser says so
        .then(utc - sign * seconds)
    )
    return parts.select(_bounded(moment).alias("at")).to_series()


def _placed(wall: pl.Expr, zone: str) -> pl.Expr:
    """Naive wall times in the zone: a repeated hour's first occurrence, a missing one null (the scalar parser's)."""
    return wall.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.epoch("s")


def _bounded(moment: pl.Expr) -> pl.Expr:
    return pl.when((moment >= EARLIEST) & (moment < LATEST)).then(moment).otherwise(None)


def _scalar(texts: list[str], parser: TimestampParser) -> tuple[list[int | None], list[str | None]]:
    at: list[int | None] = []
    error: list[str | None] = []
    for text in texts:
        try:
            at.append(parser.parse(text))
            error.append(None)
        except ValueError as exc:
            at.append(None)
            error.append(str(exc))
    return at, error
