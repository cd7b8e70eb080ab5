"""What the table, JUnit, GitHub and markdown writers show of each clock, as one frame: from the clock frame of a
report (`ClockTable`) by columns, or from its `Clock` objects (a report built by the scalar code, and the
clocks whose step template only the scalar code fills in). The writers turn these columns into their text.

Columns (one row per clock):
    state, issue, metric, policy, level, message, title, where: Utf8 ("" when none; message is the text of the
        last escalation step the clock reached)
    due_at, elapsed_seconds, target_seconds, remaining_seconds: Int64
    state_code: UInt8 (the state's index in `clocks.STATES`)
    escalated: Boolean (the clock reached an escalation step)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import polars as pl

from escalate_cli.engine import actions as A
from escalate_cli.engine import clocks as C
from escalate_cli.engine import schema as S
from escalate_cli.engine.parse import zone_name
from escalate_cli.model import Clock, Report, State

if TYPE_CHECKING:
    from escalate_cli.engine.results import ClockTable

STATE, ISSUE, METRIC, POLICY, LEVEL, MESSAGE, TITLE, WHERE = (
    "state",
    "issue",
    "metric",
    "policy",
    "level",
    "message",
    "title",
    "where",
)
DUE, ELAPSED, TARGET, REMAINING, CODE = "due_at", "elapsed_seconds", "target_seconds", "remaining_seconds", "state_code"
ESCALATED = "escalated"
SOURCE = "source"  # the preset the clock's export was read with (null: not known)
SCHEMA: dict[str, pl.DataType] = {
    **{name: pl.Utf8() for name in (STATE, ISSUE, METRIC, POLICY, LEVEL, MESSAGE, TITLE, WHERE, SOURCE)},
    **{name: pl.Int64() for name in (DUE, ELAPSED, TARGET, REMAINING)},
    CODE: pl.UInt8(),
    ESCALATED: pl.Boolean(),
}
_URGENCY = [State.BREACHED, State.WARNING, State.PAUSED, State.OK, State.MISSED, State.MET, State.NOT_STARTED]
_RANK = "rank"


def of_report(report: Report, tz: tzinfo, states: Iterable[State] | None = None) -> pl.DataFrame:
    """The report's clocks in report order, only those in `states` when given; instants are shown in `tz`."""
    wanted = None if states is None else [s.value for s in states]
    if report.table is None:
        clocks = report.clocks if wanted is None else [c for c in report.clocks if c.state.value in wanted]
        return of_clocks(clocks)
    table = report.table
    if not table.clocks.height:
        return pl.DataFrame(schema=SCHEMA)
    from escalate_cli.engine.results import joined, odd_offset

    chosen = table.clocks if wanted is None else table.clocks.filter(pl.col(C.STATE).is_in(wanted))
    if not chosen.height:
        return pl.DataFrame(schema=SCHEMA)
    rows = joined(table, chosen)
    zone = zone_name(tz)
    if zone is None:
        scalar = pl.col(C.REACHED) > 0
        message = pl.repeat(None, rows.height, dtype=pl.Utf8, eager=True)
    else:
        scalar = (pl.col(C.REACHED) > 0) & (~A.vectorised() | odd_offset(C.DUE, zone))  # {due} shows the offset
        fields = table.issues.fields
        message = A.per_step(rows, table.policies, lambda step, policy: A.message(step, policy, fields, zone), "")
    frame = rows.select(
        pl.col(C.STATE).alias(STATE),
        pl.col(S.ID).alias(ISSUE),
        pl.col(C.METRIC).alias(METRIC),
        pl.col("policy_name").alias(POLICY),
        pl.col(A.LEVEL).fill_null("").alias(LEVEL),
        pl.lit(message).alias(MESSAGE),
        pl.col("title").alias(TITLE),
        pl.col(S.WHERE).alias(WHERE),
        (pl.col(S.SOURCE) if S.SOURCE in rows.columns else pl.lit(None, pl.Utf8)).alias(SOURCE),
        pl.col(C.DUE).alias(DUE),
        pl.col(C.ELAPSED).alias(ELAPSED),
        pl.col(C.TARGET).alias(TARGET),
        (pl.col(C.TARGET) - pl.col(C.ELAPSED)).alias(REMAINING),
        pl.col(C.CODE).cast(pl.UInt8).alias(CODE),
        (pl.col(C.REACHED) > 0).alias(ESCALATED),
        scalar.alias("scalar"),
    )
    by_scalar = frame.get_column("scalar")
    if by_scalar.any():  # the messages only the scalar code writes, from `Clock`s of those rows
        written = [_message(clock) for clock in table.clock_objects(rows.filter(by_scalar))]
        messages = frame.get_column(MESSAGE).scatter(by_scalar.arg_true(), pl.Series(written, dtype=pl.Utf8))
        frame = frame.with_columns(messages)
    return frame.drop("scalar")


def of_clocks(clocks: list[Clock]) -> pl.DataFrame:
    """The same columns from `Clock` objects."""
    columns: dict[str, list[object]] = {name: [] for name in SCHEMA}
    for clock in clocks:
        for name, value in (
            (STATE, clock.state.value),
            (ISSUE, clock.issue.id),
            (METRIC, clock.metric),
            (POLICY, clock.policy),
            (LEVEL, clock.level or ""),
            (MESSAGE, _message(clock)),
            (TITLE, clock.issue.fields.get("title", "")),
            (WHERE, clock.issue.where),
            (SOURCE, None),
            (DUE, clock.due_at),
            (ELAPSED, clock.elapsed),
            (TARGET, clock.target),
            (REMAINING, clock.remaining),
            (CODE, C.STATES.index(clock.state.value)),
            (ESCALATED, bool(clock.actions)),
        ):
            columns[name].append(value)
    return pl.DataFrame(columns, schema=SCHEMA)


def _message(clock: Clock) -> str:
    return "; ".join(action.message for action in clock.actions)


def by_urgency(frame: pl.DataFrame) -> pl.DataFrame:
    """Breaches first, most overdue first; then warnings, soonest due first; then
    paused, ok, missed, met; ties by issue id and metric."""
    ranks = pl.Series([_URGENCY.index(State(name)) for name in C.STATES], dtype=pl.UInt8)
    ranked = frame.with_columns(pl.lit(ranks).gather(pl.col(CODE)).alias(_RANK))
    return ranked.sort(_RANK, REMAINING, ISSUE, METRIC).drop(_RANK)


def local(column: str, tz: tzinfo, layout: str) -> pl.Expr:
    """Epoch seconds as wall-clock text in `tz` (strftime `layout`), by Polars for an IANA zone, else one
    `datetime` per value; null stays null."""
    zone = zone_name(tz)
    if zone is not None:
        return pl.from_epoch(pl.col(column), "s").dt.convert_time_zone(zone).dt.to_string(layout)
    return pl.col(column).map_elements(
        lambda moment: datetime.fromtimestamp(moment, tz).strftime(layout), return_dtype=pl.Utf8
    )


def iso(frame: pl.DataFrame, column: str, tz: tzinfo) -> pl.Series:
    """Epoch seconds as `datetime.isoformat()` writes them in `tz` (`writers.iso`): by Polars, and by
    `datetime` for the instants whose offset has seconds (local mean time before 1900), which Polars cuts."""
    zone = zone_name(tz)
    if zone is None:
        values = frame.get_column(column).to_list()
        return pl.Series([datetime.fromtimestamp(m, tz).isoformat() for m in values], dtype=pl.Utf8)
    from escalate_cli.engine.results import odd_offset

    texts, odd_rows = frame.select(
        local(column, tz, "%Y-%m-%dT%H:%M:%S%:z").alias("text"), odd_offset(column, zone).alias("odd")
    ).get_columns()
    if odd_rows.any():
        moments = frame.get_column(column).filter(odd_rows).to_list()
        texts = texts.scatter(odd_rows.arg_true(), [datetime.fromtimestamp(m, tz).isoformat() for m in moments])
    return texts


def overdue() -> pl.Expr:
    """A clock past its due time: time left below zero, or breached with none left (a target in open days that
    used its time at a closing has none left and is not due until the next opening)."""
    return (pl.col(REMAINING) < 0) | (pl.col(STATE) == State.BREACHED.value)


def duration(seconds: pl.Expr) -> pl.Expr:
    """`durations.format_duration` for any seconds (a leading minus below zero)."""
    return pl.concat_str([pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit("")), A.duration(seconds.abs())])


def only(table: ClockTable, keys: list[tuple[str, str]]) -> ClockTable:
    """The table with only the clocks whose (issue id, metric) is among `keys`."""
    from dataclasses import replace

    wanted = pl.DataFrame(keys, schema={S.ID: pl.Utf8, C.METRIC: pl.Utf8}, orient="row")
    ids = table.issues.frame.select(C.ROW, S.ID)
    rows = table.clocks.join(ids, on=C.ROW, how="left", maintain_order="left")
    kept = rows.join(wanted, on=[S.ID, C.METRIC], how="semi", maintain_order="left").drop(S.ID)
    return replace(table, clocks=kept)


def escaped(text: pl.Expr, escapes: tuple[tuple[str, str], ...]) -> pl.Expr:
    """Each (raw, escaped) pair replaced in turn, as a writer's escaping is written: `&` before `&lt;`."""
    for raw, replacement in escapes:
        text = text.str.replace_all(raw, replacement, literal=True)
    return text


def escaped_text(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    """`escaped` for one text."""
    for raw, replacement in escapes:
        text = text.replace(raw, replacement)
    return text
