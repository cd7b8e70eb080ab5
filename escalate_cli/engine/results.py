"""The clock frame -> JSON results (schema v1, `writers.json_`) and CSV rows (`writers.csv_`), a batch of
clocks at a time, by columns.

Each result is one `concat_str` of its keys' texts: instants in the config's zone with its offset, strings
escaped as `json.encoder.encode_basestring` escapes them. Escalation actions come from `engine.actions`. A clock whose
step's template only the scalar code fills in, or whose texts hold a control character other than the common
five (JSON), or an instant whose zone offset has seconds (historical local mean time), is written by the
format's scalar writer from its `Clock`: the scalar writers are the oracles, and tests hold the two to the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import tzinfo

import polars as pl

from escalate_cli.engine import actions as A
from escalate_cli.engine import clocks as C
from escalate_cli.engine import schema as S
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.engine.parse import zone_name
from escalate_cli.model import Action, Clock, Policy, Step

_BATCH = 20_000
_MESSAGE, _LEVEL_JSON, _ACTIONS_JSON = "_message", "_level_json", "_actions_json"  # per-step texts of a batch
ITEM = "\n      "
_ODD_CONTROL = r"[\x00-\x07\x0b\x0e-\x1f]"
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\b", "\\b"), ("\f", "\\f"))


@dataclass
class ClockTable:
    """Every clock of a report, in report order, with what writing it needs: the issue frame it came from, the
    policies, and how rows of the clock frame become `Clock`s (for the clocks the scalar writer writes)."""

    clocks: pl.DataFrame  # the clock frame (`engine.clocks`), sorted by ROW and ORDER
    issues: IssueFrame  # rows by ROW
    policies: tuple[Policy, ...]
    clock_objects: Callable[[pl.DataFrame], list[Clock]]


def json_results(table: ClockTable, tz: tzinfo, separator: str) -> Iterator[str]:
    """`separator` + the result text of each clock, in batches."""
    from escalate_cli.writers.json_ import result_text

    zone = zone_name(tz)
    fields = table.issues.fields
    if not table.clocks.height:
        return  # no clock: no results (and a clock frame without its columns)
    rows = joined(table)
    if zone is not None:
        rows = rows.with_columns(
            A.per_step(rows, table.policies, lambda step, _: pl.lit(_json_string(step.level)), "null").alias(
                _LEVEL_JSON
            ),
            A.per_step(rows, table.policies, lambda step, policy: _json_action(step, policy, fields, zone), "[]").alias(
                _ACTIONS_JSON
            ),
        )
    for batch in rows.iter_slices(_BATCH):
        if zone is None:
            scalar = pl.Series([True] * batch.height)
            texts = pl.Series([""] * batch.height, dtype=pl.Utf8)
        else:
            texts = batch.select(_result(table, zone, _plain_columns(batch)).alias("text")).to_series()
            scalar = batch.select(_needs_scalar(table, zone).alias("scalar")).to_series()
        if scalar.any():
            rows = batch.filter(scalar)
            written = [result_text(clock, tz) for clock in table.clock_objects(rows)]
            texts = texts.scatter(scalar.arg_true(), pl.Series(written, dtype=pl.Utf8))
        yield pl.select(pl.concat_str([pl.lit(separator), pl.lit(texts)]).str.join("")).item()


def csv_rows(table: ClockTable, tz: tzinfo) -> Iterator[str]:
    """Every clock's CSV row (`writers.csv_.row`, as csv.writer writes it), in batches."""
    import csv
    import io

    from escalate_cli.writers.csv_ import row

    zone = zone_name(tz)
    fields = table.issues.fields
    extra = list(fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if not table.clocks.height:
        return
    rows = joined(table)
    if zone is not None:
        message = A.per_step(rows, table.policies, lambda step, policy: A.message(step, policy, fields, zone), "")
        rows = rows.with_columns(message.alias(_MESSAGE))
    for batch in rows.iter_slices(_BATCH):
        if zone is None:
            scalar = pl.Series([True] * batch.height)
            texts = pl.Series([""] * batch.height, dtype=pl.Utf8)
        else:
            texts = batch.select(_csv_row(table, zone).alias("text")).to_series()
            scalar = batch.select(_csv_needs_scalar(table, zone).alias("scalar")).to_series()
        if scalar.any():
            written = []
            for clock in table.clock_objects(batch.filter(scalar)):
                out.seek(0)
                out.truncate()
                writer.writerow(row(clock, tz, extra))
                written.append(out.getvalue())
            texts = texts.scatter(scalar.arg_true(), pl.Series(written, dtype=pl.Utf8))
        yield pl.select(pl.lit(texts).str.join("")).item()


def _csv_needs_scalar(table: ClockTable, zone: str) -> pl.Expr:
    instants = (C.STARTED, C.DUE, C.STOPPED, S.CHANGED)
    escalated = (pl.col(C.REACHED) > 0) & ~A.vectorised()
    return escalated | pl.any_horizontal(*(odd_offset(c, zone) for c in instants))


def _csv_cell(text: pl.Expr) -> pl.Expr:
    """A text cell as `csv_.text` and csv.writer write it (QUOTE_MINIMAL, a line feed ending rows): `'` before
    what a spreadsheet would run; quoted where it holds the delimiter, a quote or a line feed, quotes doubled."""
    text = pl.when(text.str.contains(r"^[=+\-@\t\r]")).then(pl.concat_str([pl.lit("'"), text])).otherwise(text)
    quoted = pl.concat_str([pl.lit('"'), text.str.replace_all('"', '""', literal=True), pl.lit('"')])
    return pl.when(text.str.contains(r'[,"\n]')).then(quoted).otherwise(text)


def _csv_row(table: ClockTable, zone: str) -> pl.Expr:

    def instant(column: str) -> pl.Expr:
        moment = pl.from_epoch(pl.col(column), "s").dt.convert_time_zone(zone).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
        return moment.fill_null("")

    cells = [
        _csv_cell(pl.col(S.ID)),
        _csv_cell(pl.col(C.METRIC)),
        _csv_cell(pl.col("policy_name")),
        _csv_cell(pl.col("calendar_name")),
        pl.col(C.STATE),
        instant(C.STARTED),
        instant(C.DUE),
        instant(C.STOPPED),
        pl.col(C.ELAPSED).cast(pl.Utf8),
        pl.col(C.TARGET).cast(pl.Utf8),
        (pl.col(C.TARGET) - pl.col(C.ELAPSED)).cast(pl.Utf8),
        pl.col(C.PAUSED).cast(pl.Utf8),
        instant(S.CHANGED),
        _csv_cell(pl.col(S.PREVIOUS).fill_null("")),
        _csv_cell(pl.col(A.LEVEL).fill_null("")),
        _csv_cell(pl.col(A.NOTIFY).fill_null("")),
        _csv_cell(pl.col(_MESSAGE)),
        *(_csv_cell(pl.col(name)) for name in table.issues.fields),
        _csv_cell(pl.col(S.LABELS).list.join(", ")),
        _csv_cell(pl.col(S.WHERE)),
    ]
    return pl.concat_str([pl.concat_str(cells, separator=","), pl.lit("\n")])


def joined(table: ClockTable, clocks: pl.DataFrame | None = None) -> pl.DataFrame:
    """The clock frame (or `clocks`, some of its rows) with each clock's step, policy and calendar names and
    its issue's texts."""
    frame = table.issues.frame
    source = [S.SOURCE] if S.SOURCE in frame.columns else []
    issues = frame.select(C.ROW, S.ID, S.WHERE, S.LABELS, S.CHANGED, S.PREVIOUS, *source, *table.issues.fields)
    names = pl.DataFrame(
        {
            C.POLICY: pl.Series(range(len(table.policies)), dtype=pl.Int32),
            "policy_name": [p.name for p in table.policies],
            "calendar_name": [p.calendar_name for p in table.policies],
        }
    )
    clocks = A.with_steps(table.clocks if clocks is None else clocks, table.policies)
    return clocks.join(names, on=C.POLICY, how="left", maintain_order="left").join(
        issues, on=C.ROW, how="left", maintain_order="left"
    )


def quoted(text: pl.Expr, plain: bool = False) -> pl.Expr:
    """A JSON string; `plain`: the text has nothing to escape (see `_plain_columns`)."""
    if not plain:
        for raw, escaped in _ESCAPES:
            text = text.str.replace_all(raw, escaped, literal=True)
    return pl.concat_str([pl.lit('"'), text, pl.lit('"')])


def _plain_columns(batch: pl.DataFrame) -> frozenset[str]:
    """The text columns of a batch with nothing JSON escapes: most ids, states and `file:line`s."""
    escaped = r'[\\"\x00-\x1f]'
    texts = [name for name, dtype in batch.schema.items() if dtype == pl.Utf8]
    found = batch.select(pl.col(name).str.contains(escaped).any() for name in texts).row(0) if texts else ()
    return frozenset(name for name, has in zip(texts, found) if not has)


def _instant(column: str, zone: str) -> pl.Expr:
    moment = pl.from_epoch(pl.col(column), "s").dt.convert_time_zone(zone)
    text = pl.concat_str([pl.lit('"'), moment.dt.to_string("%Y-%m-%dT%H:%M:%S%:z"), pl.lit('"')])
    return pl.when(pl.col(column).is_null()).then(pl.lit("null")).otherwise(text)


def odd_offset(column: str, zone: str) -> pl.Expr:
    """The instant's offset in the zone has seconds (local mean time), which Polars' `%:z` cuts."""
    local = pl.from_epoch(pl.col(column), "s").dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.epoch("s")
    return ((local - pl.col(column)) % 60 != 0).fill_null(False)


def _needs_scalar(table: ClockTable, zone: str) -> pl.Expr:
    texts = [S.ID, S.WHERE, "policy_name", "calendar_name", S.PREVIOUS, *table.issues.fields]
    odd = pl.any_horizontal(*(pl.col(c).str.contains(_ODD_CONTROL).fill_null(False) for c in texts))
    odd = odd | pl.col(S.LABELS).list.eval(pl.element().str.contains(_ODD_CONTROL)).list.any().fill_null(False)
    instants = (C.STARTED, C.DUE, C.STOPPED, S.CHANGED)
    escalated = (pl.col(C.REACHED) > 0) & ~A.vectorised()
    return escalated | odd | pl.any_horizontal(*(odd_offset(c, zone) for c in instants))


def _json_action(step: Step, policy: Policy, fields: tuple[str, ...], zone: str) -> pl.Expr:
    """The `actions` value of a clock that reached `step`, as `json_.actions_text` writes it."""
    from escalate_cli.writers.json_ import actions_text

    mark = "\u0000message\u0000"
    around = actions_text([Action(step.level, step.notify, mark)]).split(_json_string(mark))
    return pl.concat_str([pl.lit(around[0]), quoted(A.message(step, policy, fields, zone)), pl.lit(around[1])])


def _result(table: ClockTable, zone: str, plain: frozenset[str] = frozenset()) -> pl.Expr:
    i = ITEM

    def text(column: str) -> pl.Expr:
        return quoted(pl.col(column), column in plain)

    def key(name: str) -> pl.Expr:
        return pl.lit(f"{i}{_json_string(name)}: ")

    def number(column: str | pl.Expr) -> pl.Expr:
        return (pl.col(column) if isinstance(column, str) else column).cast(pl.Utf8)

    def nullable(column: str) -> pl.Expr:
        return pl.when(pl.col(column).is_null()).then(pl.lit("null")).otherwise(quoted(pl.col(column)))

    inner = i + "  "
    items = pl.col(S.LABELS).list.eval(quoted(pl.element())).list.join("," + inner)
    listed = pl.concat_str([pl.lit("[" + inner), items, pl.lit(i + "]")])
    labels = pl.when(pl.col(S.LABELS).list.len() == 0).then(pl.lit("[]")).otherwise(listed)
    parts: list[pl.Expr] = [
        pl.lit("{"),
        key("issue"),
        text(S.ID),
        pl.lit(","),
        key("metric"),
        text(C.METRIC),
        pl.lit(","),
        key("policy"),
        text("policy_name"),
        pl.lit(","),
        key("calendar"),
        text("calendar_name"),
        pl.lit(","),
        key("state"),
        text(C.STATE),
        pl.lit(","),
        key("started_at"),
        _instant(C.STARTED, zone),
        pl.lit(","),
        key("due_at"),
        _instant(C.DUE, zone),
        pl.lit(","),
        key("stopped_at"),
        _instant(C.STOPPED, zone),
        pl.lit(","),
        key("elapsed_seconds"),
        number(C.ELAPSED),
        pl.lit(","),
        key("target_seconds"),
        number(C.TARGET),
        pl.lit(","),
        key("remaining_seconds"),
        number(pl.col(C.TARGET) - pl.col(C.ELAPSED)),
        pl.lit(","),
        key("paused_seconds"),
        number(C.PAUSED),
        pl.lit(","),
        key("policy_changed_at"),
        _instant(S.CHANGED, zone),
        pl.lit(","),
        key("previous_policy"),
        nullable(S.PREVIOUS),
        pl.lit(","),
        key("level"),
        pl.col(_LEVEL_JSON),
        pl.lit(","),
        key("actions"),
        pl.col(_ACTIONS_JSON),
        pl.lit(","),
    ]
    for name in table.issues.fields:
        parts += [key(name), text(name), pl.lit(",")]
    parts += [key("labels"), labels, pl.lit(","), key("where"), text(S.WHERE), pl.lit("\n    }")]
    return pl.concat_str(parts)


def _json_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
