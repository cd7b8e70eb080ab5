"""Escalation actions for the clock frame: the step each clock reached, its level, who is notified, and its
message (`escalation.action_for`) filled in by columns.

A step's template is parsed once (`string.Formatter`); each placeholder becomes a column expression and the
literal text stays literal. A template with a format spec, a conversion or an attribute or index lookup is
left to the scalar writer (`VECTORISED` is false for its clocks), as are durations below zero.
"""

from __future__ import annotations

import string
from collections.abc import Callable

import polars as pl

from escalate_cli.engine import clocks as C
from escalate_cli.engine import schema as S
from escalate_cli.escalation import DEFAULT_AFTER_DUE, DEFAULT_BEFORE_DUE
from escalate_cli.model import Policy, Step

STEP = "step"  # Int64: index in its policy's steps of the highest step a clock reached (null: none)
Texts = Callable[[Step, Policy], pl.Expr]


def with_steps(clocks: pl.DataFrame, policies: tuple[Policy, ...]) -> pl.DataFrame:
    """Adds STEP from POLICY, TARGET and REACHED (`clocks.step_order`)."""
    rows = [
        (index, target, reached, order[reached - 1])
        for index, policy in enumerate(policies)
        for target in set(policy.targets.values())
        for order in [C.step_order(policy, target)]
        for reached in range(1, len(order) + 1)
    ]
    steps = pl.DataFrame(
        rows, schema={C.POLICY: pl.Int32, C.TARGET: pl.Int64, C.REACHED: pl.Int32, STEP: pl.Int64}, orient="row"
    )
    return clocks.join(steps, on=[C.POLICY, C.TARGET, C.REACHED], how="left", maintain_order="left")


def by_step(policies: tuple[Policy, ...], text: Texts, default: pl.Expr) -> pl.Expr:
    """One expression over every (policy, step): `text(step, policy)` where the clock reached that step."""
    out = default
    for index, policy in enumerate(policies):
        for k, step in enumerate(policy.steps):
            out = pl.when((pl.col(C.POLICY) == index) & (pl.col(STEP) == k)).then(text(step, policy)).otherwise(out)
    return out


def vectorised(policies: tuple[Policy, ...]) -> pl.Expr:
    """Whether a clock's action can be written by columns."""
    plain = by_step(policies, lambda step, _: pl.lit(_parts(step.action) is not None), pl.lit(True))
    return plain & (pl.col(C.ELAPSED) >= 0)


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
    """`durations.format_duration` for seconds >= 0: `2d4h`, `1h30m`, `45s`; seconds show only under an hour."""
    minutes, secs = seconds // 60, seconds % 60
    short = (
        pl.when(minutes == 0)
        .then(pl.concat_str([secs.cast(pl.Utf8), pl.lit("s")]))
        .when(secs == 0)
        .then(pl.concat_str([minutes.cast(pl.Utf8), pl.lit("m")]))
        .otherwise(pl.concat_str([minutes.cast(pl.Utf8), pl.lit("m"), secs.cast(pl.Utf8), pl.lit("s")]))
    )
    days, hours, mins = seconds // 86_400, seconds % 86_400 // 3600, seconds % 3600 // 60

    def unit(value: pl.Expr, suffix: str) -> pl.Expr:
        return pl.when(value > 0).then(pl.concat_str([value.cast(pl.Utf8), pl.lit(suffix)])).otherwise(pl.lit(""))

    long = pl.concat_str([unit(days, "d"), unit(hours, "h"), unit(mins, "m")])
    return pl.when(seconds < 3600).then(short).otherwise(long)
