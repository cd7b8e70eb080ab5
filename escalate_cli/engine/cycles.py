"""Each issue's history -> the cycles and pause spans of every defined clock, by columns: the rules of the
scalar `escalate_cli.cycles` (its oracle in tests) for every issue at once.

    rows of fields (fires, pause level)  +  messages (fires)  +  the issue's own instants
        ->  one stream per issue in order  ->  each start's end: the next stop at or after it, or the next start
        ->  a list of cycles and a list of pause spans per issue

The stream is a frame sorted by issue (`_n`, the issue's number in the folded frame, from 1), instant and rank;
"the row before, of the same issue" is a shift masked at each issue's first row, and "the next row where X" a
backward fill of row numbers that takes nothing across issues.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from escalate_cli.cycles import NO_VALUE, RESTARTED
from escalate_cli.engine import schema as S
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.engine.match import condition_holds as holds
from escalate_cli.model import ClockDef, Trigger

N, AT, FILE = "_n", "_at", "_file"  # the issue's number, the row's instant, its file order
ROLE = "_role"  # Utf8: customer | agent, on message rows
CYCLE_FIELDS = {
    "start": pl.Int64(),
    "stop": pl.Int64(),
    "started_by": pl.Utf8(),
    "stopped_by": pl.Utf8(),
    "start_where": pl.Utf8(),
    "stop_where": pl.Utf8(),
    "fields_where": pl.Utf8(),
}
CYCLES_TYPE = pl.List(pl.Struct(CYCLE_FIELDS))
SPANS_TYPE = pl.List(pl.Struct({"from": pl.Int64(), "to": pl.Int64()}))


def with_cycles(
    folded: IssueFrame, fields: IssueFrame, messages: pl.DataFrame | None, clocks: Sequence[ClockDef]
) -> IssueFrame:
    """`folded` with each clock's cycles and pause spans. `fields`: its rows of fields up to the instant, with
    N (the folded row's number, from 1), AT and FILE, in order; `messages`: N, AT, FILE, WHERE and ROLE."""
    if not clocks:
        return folded
    frame = folded.frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(N))
    found = [_assembled(frame, *_history_rows(fields, clock), messages, clock) for clock in clocks]
    return _joined(folded, frame, found, clocks)


def with_version_cycles(
    versions: IssueFrame,
    fields: IssueFrame,
    messages: pl.DataFrame | None,
    clocks: Sequence[ClockDef],
    number: str,
    fields_until: str,
    messages_before: str,
) -> IssueFrame:
    """Each version of an issue (`backtest`) with the cycles and pause spans its issue's history gives as it
    stood then: the rows of fields at or before the version's `fields_until` and the messages before its
    `messages_before` (columns of `versions`; `number` is its issue's N in `fields` and `messages`). A message
    inside a version's span starts or stops a cycle that a measurement before it does not see yet: triggers
    look only backwards, so a cycle's start and stop are where they stand in the whole history."""
    if not clocks:
        return versions
    frame = versions.frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_v"))
    spans = frame.select(
        pl.col(number).alias(N), "_v", pl.col(fields_until).alias("_t"), pl.col(messages_before).alias("_u")
    )

    def per_version(rows: pl.DataFrame, keep: pl.Expr) -> pl.DataFrame:
        expanded = rows.join(spans, on=N).filter(keep).drop(N, "_t", "_u").rename({"_v": N})
        return expanded.sort(N, AT, FILE)

    said = per_version(messages, pl.col(AT) < pl.col("_u")) if messages is not None else None
    frame = frame.rename({"_v": N})
    found = []
    for clock in clocks:
        field_rows, levels = _history_rows(fields, clock)
        seen = pl.col(AT) <= pl.col("_t")
        found.append(_assembled(frame, per_version(field_rows, seen), per_version(levels, seen), said, clock))
    return _joined(versions, frame, found, clocks)


def _joined(
    folded: IssueFrame,
    frame: pl.DataFrame,
    found: list[tuple[pl.DataFrame, pl.DataFrame]],
    clocks: Sequence[ClockDef],
) -> IssueFrame:
    """`frame` (the folded rows with N) with each clock's cycles and pauses, by N."""
    for cycles, pauses in found:
        frame = frame.join(cycles, on=N, how="left", maintain_order="left").join(
            pauses, on=N, how="left", maintain_order="left"
        )
    frame = frame.with_columns(
        *(pl.col(S.cycles(c.name)).fill_null(pl.lit([], CYCLES_TYPE)) for c in clocks),
    ).drop(N)
    return IssueFrame(frame, folded.fields, folded.raw_keys, folded.objects, folded.single)


def _history_rows(fields: IssueFrame, clock: ClockDef) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of fields with the start and stop triggers each fires, and whether the clock's pause holds on
    each (N, AT, FILE, `_p`). What a row fires depends only on the rows before it, so any issue's history cut
    at an instant fires as its whole history does up to there."""
    rows = fields.frame
    new = pl.col(N).ne_missing(pl.col(N).shift(1))
    field_rows = rows.select(
        N,
        AT,
        pl.col(FILE).cast(pl.Int64),
        S.WHERE,
        pl.lit(1, pl.Int8).alias("_kind"),
        _fired(fields, clock.start, new).alias("_start"),
        _fired(fields, clock.stop, new).alias("_stop"),
    )
    levels = rows.select(N, AT, pl.col(FILE).cast(pl.Int64), _any(fields, clock.pause).alias("_p"))
    return field_rows, levels


def _assembled(
    folded: pl.DataFrame,
    field_rows: pl.DataFrame,
    levels: pl.DataFrame,
    messages: pl.DataFrame | None,
    clock: ClockDef,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The clock's cycles and pause spans per N of `folded`, from its rows of fields, pause levels (in order)
    and messages."""
    parts = [field_rows]
    if messages is not None and messages.height and any(t.message for t in (*clock.start, *clock.stop)):
        parts.append(_message_rows(messages, clock))
    instants = _instant_rows(folded, clock)
    if instants is not None:
        parts.append(instants)
    stream = pl.concat([p.select(field_rows.columns) for p in parts]).sort(N, AT, "_kind", FILE)
    return _cycles(stream, clock), _pauses(levels, clock)


def _fired(fields: IssueFrame, triggers: tuple[Trigger, ...], new: pl.Expr) -> pl.Expr:
    """The text of the first trigger firing at each row of fields (null where none does)."""
    out: pl.Expr = pl.lit(None, pl.Utf8)
    for trigger in reversed([t for t in triggers if t.when or t.changes]):
        out = pl.when(_fires(fields, trigger, new)).then(pl.lit(trigger.text)).otherwise(out)
    return out


def _fires(fields: IssueFrame, trigger: Trigger, new: pl.Expr) -> pl.Expr:
    if trigger.changes is not None:
        now = value_of(fields, trigger.changes)
        return (now != "") & (new | now.ne_missing(now.shift(1)))
    now = _all(fields, trigger)
    return now & (new | ~now.shift(1).fill_null(False))


def _all(fields: IssueFrame, trigger: Trigger) -> pl.Expr:
    out = pl.lit(True)
    for condition in trigger.when:
        out = out & holds(fields, condition)
    return out


def _any(fields: IssueFrame, triggers: tuple[Trigger, ...]) -> pl.Expr:
    out = pl.lit(False)
    for trigger in triggers:
        out = out | _all(fields, trigger)
    return out


def value_of(fields: IssueFrame, key: str) -> pl.Expr:
    """`cycles.value_of` by columns: the field's values trimmed and joined, "" when all are blank."""
    blank = pl.Series(NO_VALUE, dtype=pl.Utf8).implode()
    if key in (S.ID, *fields.fields):
        text = pl.col(key).cast(pl.Utf8).fill_null("").str.strip_chars()
        return pl.when(text.str.to_lowercase().is_in(blank)).then(pl.lit("")).otherwise(text)
    column = S.LABELS if key == S.LABELS else S.raw(key) if key in fields.raw_keys else None
    if column is None:
        return pl.lit("")
    values = pl.col(column).list.eval(pl.element().fill_null("").str.strip_chars())
    joined = values.list.join("\x1f").fill_null("")
    some = values.list.eval(~pl.element().str.to_lowercase().is_in(blank)).list.any().fill_null(False)
    return pl.when(some).then(joined).otherwise(pl.lit(""))


def _message_rows(messages: pl.DataFrame, clock: ClockDef) -> pl.DataFrame:
    """Messages in order with the start and stop triggers each fires: its side's first since the other wrote."""
    ordered = messages.sort(N, AT, FILE)
    same = pl.col(N) == pl.col(N).shift(1)
    before = pl.when(same).then(pl.col(ROLE).shift(1))

    def fired(triggers: tuple[Trigger, ...]) -> pl.Expr:
        out: pl.Expr = pl.lit(None, pl.Utf8)
        for trigger in reversed([t for t in triggers if t.message]):
            hit = (pl.col(ROLE) == trigger.message) & (pl.lit(trigger.every) | before.ne_missing(trigger.message))
            out = pl.when(hit).then(pl.lit(trigger.text)).otherwise(out)
        return out

    return ordered.select(
        N,
        AT,
        FILE,
        S.WHERE,
        pl.lit(2, pl.Int8).alias("_kind"),
        fired(clock.start).alias("_start"),
        fired(clock.stop).alias("_stop"),
    )


def _instant_rows(folded: pl.DataFrame, clock: ClockDef) -> pl.DataFrame | None:
    """A row at each issue's own instant for the `at` start triggers (`cycles.start_instant`)."""
    parts = []
    for trigger in clock.start:
        if trigger.at is None:
            continue
        if trigger.at == "created":
            moment = pl.col(S.CREATED)
        elif trigger.at == "updated":
            moment = pl.max_horizontal(pl.col(S.UPDATED), pl.col(S.CREATED))
        else:
            moment = pl.col(S.FIRST_RESPONSE)
        parts.append(
            folded.select(
                N,
                moment.alias(AT),
                pl.lit(-1, pl.Int64).alias(FILE),
                pl.lit("").alias(S.WHERE),
                pl.lit(0, pl.Int8).alias("_kind"),
                pl.lit(trigger.text).alias("_start"),
                pl.lit(None, pl.Utf8).alias("_stop"),
            ).drop_nulls(AT)
        )
    return pl.concat(parts) if parts else None


def _next(mark: pl.Expr, value: pl.Expr) -> pl.Expr:
    """`value` at the next row at or after this one where `mark` holds, within the issue (null: none)."""
    carried = pl.when(mark).then(pl.struct(pl.col(N).alias("n"), value.alias("v"))).backward_fill()
    return pl.when(carried.struct.field("n") == pl.col(N)).then(carried.struct.field("v"))


def _cycles(stream: pl.DataFrame, clock: ClockDef) -> pl.DataFrame:
    stream = stream.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_pos"),
        _last_where().alias("_fields_where"),
    )
    starts = pl.col("_start").is_not_null()
    if clock.cycles == "first":
        first = starts & (starts.cast(pl.Int32).cum_sum() - _before_issue(starts)).eq(1)
        stream = stream.with_columns(pl.when(first).then(pl.col("_start")).alias("_start"))
        starts = pl.col("_start").is_not_null()
    stops = pl.col("_stop").is_not_null()
    pos = pl.col("_pos")
    next_stop = _next(stops, pos)
    following = _next(starts, pos).shift(-1)
    next_start: pl.Expr = pl.when(following.is_not_null() & (pl.col(N) == pl.col(N).shift(-1))).then(following)
    if clock.cycles == "first":
        next_start = pl.lit(None, pl.Int64)
    marked = stream.with_columns(next_stop.alias("_ns"), next_start.alias("_nx"))
    begun = marked.filter(starts)
    by_stop = pl.col("_nx").is_null() | (pl.col("_ns").is_not_null() & (pl.col("_ns") <= pl.col("_nx")))
    end = pl.when(by_stop).then(pl.col("_ns")).otherwise(pl.col("_nx"))
    begun = begun.with_columns(end.alias("_end"), by_stop.alias("_by_stop"))
    ends = stream.select(
        pl.col("_pos").alias("_end"),
        pl.col(AT).alias("_end_at"),
        pl.col(S.WHERE).alias("_end_where"),
        pl.col("_stop").alias("_end_by"),
    )
    begun = begun.join(ends, on="_end", how="left", maintain_order="left")
    cycle = pl.struct(
        pl.col(AT).alias("start"),
        pl.col("_end_at").alias("stop"),
        pl.col("_start").alias("started_by"),
        pl.when(pl.col("_end").is_null())
        .then(pl.lit(""))
        .when(pl.col("_by_stop"))
        .then(pl.col("_end_by"))
        .otherwise(pl.lit(RESTARTED))
        .alias("stopped_by"),
        pl.col(S.WHERE).alias("start_where"),
        pl.col("_end_where").fill_null("").alias("stop_where"),
        pl.col("_fields_where").fill_null("").alias("fields_where"),
    )
    return begun.group_by(N, maintain_order=True).agg(cycle.alias(S.cycles(clock.name)))


def _before_issue(mark: pl.Expr) -> pl.Expr:
    """How many rows before this issue's first row `mark` held (to count `mark` within the issue)."""
    counted = mark.cast(pl.Int32).cum_sum() - mark.cast(pl.Int32)
    return pl.when(pl.col(N).ne_missing(pl.col(N).shift(1))).then(counted).forward_fill()


def _last_where() -> pl.Expr:
    """At each row, the WHERE of the last row of fields at or before it, within the issue."""
    fields = pl.col("_kind") == 1
    carried = pl.when(fields).then(pl.struct(pl.col(N).alias("n"), pl.col(S.WHERE).alias("w"))).forward_fill()
    return pl.when(carried.struct.field("n") == pl.col(N)).then(carried.struct.field("w"))


def _pauses(rows: pl.DataFrame, clock: ClockDef) -> pl.DataFrame:
    """Each issue's pause spans: from each row that makes the pause true to the next that makes it false."""
    name = S.clock_pauses(clock.name)
    if not clock.pause:
        return pl.DataFrame(schema={N: pl.Int64, name: SPANS_TYPE})
    same = pl.col(N) == pl.col(N).shift(1)
    was = pl.when(same).then(pl.col("_p").shift(1)).fill_null(False)
    edges = rows.with_columns((pl.col("_p") & ~was).alias("_rise"), (~pl.col("_p") & was).alias("_fall")).filter(
        pl.col("_rise") | pl.col("_fall")
    )
    after = pl.when(pl.col(N) == pl.col(N).shift(-1)).then(pl.col(AT).shift(-1))
    spans = edges.with_columns(after.alias("to")).filter(pl.col("_rise"))
    spans = spans.filter(pl.col("to").is_null() | (pl.col("to") > pl.col(AT)))
    return spans.group_by(N, maintain_order=True).agg(pl.struct(pl.col(AT).alias("from"), "to").alias(name))
