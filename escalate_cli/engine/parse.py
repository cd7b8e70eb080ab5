"""Timestamp cells -> epoch seconds for a whole column: ISO 8601 (with or without an offset) vectorised, and
each distinct cell of any other form once through the scalar `TimestampParser`, the oracle, which also words
the error of a cell nothing reads.

Naive wall times are placed in the zone as the scalar parser places them: a repeated hour (fall back) takes its
first occurrence; a wall time that does not exist (spring forward) is left to the scalar parser.
"""

from __future__ import annotations

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
    frame = pl.DataFrame({"text": text, "blank": blank})
    zone = zone_name(parser.tz)
    if parser.explicit or zone is None:
        parsed = pl.Series("at", [None] * len(text), dtype=pl.Int64)
    else:
        parsed = frame.select(_iso(pl.col("text"), zone).alias("at")).to_series()
    frame = frame.with_columns(parsed.alias("at"))
    rest = frame.filter(~pl.col("blank") & pl.col("at").is_null()).get_column("text").unique()
    at, error = _scalar(rest.to_list(), parser)
    lookup = pl.DataFrame(
        {"text": rest, "found": pl.Series(at, dtype=pl.Int64), "error": pl.Series(error, dtype=pl.Utf8)}
    )
    joined = frame.join(lookup, on="text", how="left", maintain_order="left", nulls_equal=False)
    found = joined.select(
        pl.when(pl.col("blank")).then(None).otherwise(pl.coalesce("at", "found")).alias("at"),
        pl.when(pl.col("blank") | pl.col("at").is_not_null()).then(None).otherwise(pl.col("error")).alias("error"),
    )
    return found.get_column("at"), found.get_column("error")


def _iso(text: pl.Expr, zone: str) -> pl.Expr:
    parts = text.str.extract_groups(_ISO)
    year, month, day = (parts.struct.field(str(n)) for n in (1, 2, 3))
    hour, minute, second = (parts.struct.field(str(n)).fill_null("00") for n in (4, 5, 6))
    offset = parts.struct.field("7")
    wall = pl.concat_str([year, pl.lit("-"), month, pl.lit("-"), day, pl.lit(" "), hour, pl.lit(":"), minute])
    wall = pl.concat_str([wall, pl.lit(":"), second]).str.strptime(pl.Datetime("us"), _WALL, strict=False)
    local = wall.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.epoch("s")
    utc = wall.dt.epoch("s")
    digits = offset.str.slice(1).str.replace(":", "", literal=True)
    seconds = digits.str.slice(0, 2).cast(pl.Int64, strict=False) * 3600 + (
        digits.str.slice(2, 2).replace("", "0").cast(pl.Int64, strict=False).fill_null(0) * 60
    )
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    moment = (
        pl.when(offset.is_null())
        .then(local)
        .when(offset.is_in(pl.Series(["Z", "z", "UTC"]).implode()))
        .then(utc)
        .otherwise(utc - sign * seconds)
    )
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
