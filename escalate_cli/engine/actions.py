"""Escalation actions for the clock frame: the step each clock reached, its level, who is notified, and its
message (`escalation.action_for`) filled in by columns.

A step's template is parsed once (`string.Formatter`); each placeholder becomes a column expression and the
literal text stays literal. A template with a format spec, a conversion or an attribute or index lookup is
left to the scalar writer (`VECTORISED` is false for its clocks), as are durations below zero.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

from escalate_cli.engine import clocks as C
from escalate_cli.engine import schema as S
from escalate_cli.escalation import DEFAULT_AFTER_DUE, DEFAULT_BEFORE_DUE
from escalate_cli.model import Policy, Step

if TYPE_CHECKING:
    from escalate_cli.engine.results import ClockTable

STEP = "step"  # Int64: index in its policy's steps of the highest step a clock reached (null: none)
LEVEL = "step_level"  # Utf8: that step's level (null: none)
NOTIFY = "step_notify"  # Utf8: who it notifies, comma-separated
PLAIN = "step_plain"  # Boolean: its template can be filled in by columns (`_parts`)
Texts = Callable[[Step, Policy], pl.Expr]


def with_steps(clocks: pl.DataFrame, policies: tuple[Policy, ...]) -> pl.DataFrame:
    """Adds STEP, LEVEL, NOTIFY and PLAIN from POLICY, TARGET and REACHED (`clocks.step_order`)."""
    rows = [
        (index, target, reached, k, step.level, ", ".join(step.notify), _parts(step.action) is not None)
        for index, target in C.escalated(clocks)
        for policy in [policies[index]]
        for order in [C.step_order(policy, target)]
        for reached in range(1, len(order) + 1)
        for k in [order[reached - 1]]
        for step in [policy.steps[k]]
    ]
    schema: dict[str, type[pl.DataType]] = {C.POLICY: pl.Int32, C.TARGET: pl.Int64, C.REACHED: pl.Int32}
    schema.update({STEP: pl.Int64, LEVEL: pl.Utf8, NOTIFY: pl.Utf8, PLAIN: pl.Boolean})
    steps = pl.DataFrame(rows, schema=schema, orient="row")
    return clocks.join(steps, on=[C.POLICY, C.TARGET, C.REACHED], how="left", maintain_order="left")


def per_step(frame: pl.DataFrame, policies: tuple[Policy, ...], text: Texts, default: str | None) -> pl.Series:
    """`text(step, policy)` for the rows of `frame` (with STEP) that reached each step, evaluated on those rows
    only; `default` for the rows that reached none."""
    out = pl.repeat(default, frame.height, dtype=pl.Utf8, eager=True)
    groups = frame.select(C.POLICY, STEP).with_row_index("row").drop_nulls(STEP).group_by(C.POLICY, STEP).agg("row")
    for index, k, rows in groups.iter_rows():
        policy = policies[index]
        values = frame[rows].select(text(policy.steps[k], policy)).to_series()
        out = out.scatter(rows, values)
    return out


def vectorised() -> pl.Expr:
    """Whether a clock's action can be written by columns (needs PLAIN)."""
    return pl.col(PLAIN).fill_null(True) & (pl.col(C.ELAPSED) >= 0)


def message(step: Step, policy: Policy, fields: tuple[str, ...], zone: str) -> pl.Expr:
    """The step's message for the clocks that reached it: its template, or the default before or after due;
    null for a template only the scalar code fills in (`vectorised` sends its clocks there)."""
    if step.action and _parts(step.action) is None:
        return pl.lit(None, pl.Utf8)
    if step.action:
        return _filled(step.action, step, policy, fields, zone)
    after = _filled(DEFAULT_AFTER_DUE, step, policy, fields, zone)
    before = _filled(DEFAULT_BEFORE_DUE, step, policy, fields, zone)
    return pl.when(pl.col(C.TARGET) - pl.col(C.ELAPSED) <= 0).then(after).otherwise(before)


def _parts(template: str) -> list[tuple[str, str | None]] | None:
    """(literal, placeholder) pairs, or None for a template only the scalar writer fills in."""
    if not template:
        return []
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if spec or conversion or (name is not None and not name.isidentifier()):
            return None
        parts.append((literal, name))
    return parts


def _filled(template: str, step: Step, policy: Policy, fields: tuple[str, ...], zone: str) -> pl.Expr:
    parts = _parts(template) or []
    remaining = pl.col(C.TARGET) - pl.col(C.ELAPSED)
    due = pl.from_epoch(pl.col(C.DUE), "s").dt.convert_time_zone(zone).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    known: dict[str, pl.Expr] = {name: pl.col(name) for name in fields}
    known.update(
        id=pl.col(S.ID),
        metric=pl.col(C.METRIC),
        policy=pl.lit(policy.name),
        calendar=pl.lit(policy.calendar_name),
        state=pl.col(C.STATE),
        level=pl.lit(step.level),
        notify=pl.lit(", ".join(step.notify) or "nobody"),
        overdue=duration(pl.max_horizontal(-remaining, pl.lit(0))),
        remaining=duration(pl.max_horizontal(remaining, pl.lit(0))),
        elapsed=duration(pl.col(C.ELAPSED)),
        target=duration(pl.col(C.TARGET)),
        due=due,
        labels=pl.col(S.LABELS).list.join(", "),
    )
    pieces: list[pl.Expr] = []
    for literal, name in parts:
        if literal:
            pieces.append(pl.lit(literal))
        if name is not None:
            pieces.append(known.get(name, pl.lit("")))  # a field the export did not have prints as nothing
    return pl.concat_str(pieces) if pieces else pl.lit("")


def duration(seconds: pl.Expr) -> pl.Expr:
    """`durations.format_duration` for seconds >= 0: `52h30m`, `1h30m`, `45s`; seconds show only under an hour,
    never days."""
    minutes, secs = seconds // 60, seconds % 60
    short = (
        pl.when(minutes == 0)
        .then(pl.concat_str([secs.cast(pl.Utf8), pl.lit("s")]))
        .when(secs == 0)
        .then(pl.concat_str([minutes.cast(pl.Utf8), pl.lit("m")]))
        .otherwise(pl.concat_str([minutes.cast(pl.Utf8), pl.lit("m"), secs.cast(pl.Utf8), pl.lit("s")]))
    )
    hours, mins = seconds // 3600, seconds % 3600 // 60
    tail = pl.when(mins > 0).then(pl.concat_str([mins.cast(pl.Utf8), pl.lit("m")])).otherwise(pl.lit(""))
    long = pl.concat_str([hours.cast(pl.Utf8), pl.lit("h"), tail])
    return pl.when(seconds < 3600).then(short).otherwise(long)


def unannounced(table: ClockTable, announced: set[str]) -> pl.DataFrame:
    """The clocks (rows of table.clocks) that reached a step whose announcement key (`changes.Announcement.key`)
    is not in `announced`: the only ones whose announcements need building."""
    rows = [
        (index, target, reached, [policy.steps[k].level for k in order[:reached]])
        for index, target in C.escalated(table.clocks)
        for policy in [table.policies[index]]
        for order in [C.step_order(policy, target)]
        for reached in range(1, len(order) + 1)
    ]
    schema = pl.Schema(
        {C.POLICY: pl.Int32(), C.TARGET: pl.Int64(), C.REACHED: pl.Int32(), "levels": pl.List(pl.Utf8())}
    )
    levels = pl.DataFrame(rows, schema=schema, orient="row")
    names = pl.DataFrame({C.POLICY: pl.Series(range(len(table.policies)), dtype=pl.Int32)}).with_columns(
        pl.Series("policy_name", [p.name for p in table.policies])
    )
    clocks = table.clocks.filter(pl.col(C.REACHED) > 0)
    keys = (
        clocks.select(C.ROW, C.METRIC, C.POLICY, C.TARGET, C.REACHED)
        .join(levels, on=[C.POLICY, C.TARGET, C.REACHED], how="inner")
        .join(names, on=C.POLICY, how="left")
        .join(table.issues.frame.select(C.ROW, S.ID), on=C.ROW, how="left")
        .explode("levels")
        .select(
            C.ROW,
            C.METRIC,
            pl.concat_str([pl.col(S.ID), C.METRIC, "policy_name", "levels"], separator="\x1f").alias("key"),
        )
    )
    new = keys.filter(~pl.col("key").is_in(pl.Series(sorted(announced), dtype=pl.Utf8).implode()))
    return clocks.join(new.select(C.ROW, C.METRIC).unique(), on=[C.ROW, C.METRIC], how="semi", maintain_order="left")
