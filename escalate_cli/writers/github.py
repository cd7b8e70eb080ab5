"""GitHub Actions workflow commands: `::error` for each breach, `::warning` for each warning.

Each command points at the export row (file=..., line=...) so the annotation lands on it, has a title naming the
issue and metric, and a message with the time overdue or left and the escalation action. Data is escaped as the
runner requires (% CR LF), property values also , and : (actions/toolkit, packages/core/src/command.ts).
Written by columns (`engine.cells`).
"""

from __future__ import annotations

from datetime import tzinfo

import polars as pl

from escalate_cli.engine import cells as K
from escalate_cli.model import Report, State

_DATA = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY = (*_DATA, (":", "%3A"), (",", "%2C"))


def render(report: Report, *, tz: tzinfo) -> str:
    clocks = K.by_urgency(K.of_report(report, tz, (State.BREACHED, State.WARNING)))
    text: str = clocks.select(pl.concat_str([_command(), pl.lit("\n")]).str.join("")).item() if clocks.height else ""
    for problem in report.errors:
        text += f"::error title={_property_text('escalate: bad input')}::{_data_text(str(problem))}\n"
    return text


def _command() -> pl.Expr:
    state, remaining = pl.col(K.STATE), pl.col(K.REMAINING)
    kind = pl.when(state == State.BREACHED.value).then(pl.lit("error")).otherwise(pl.lit("warning"))
    located = pl.col(K.WHERE).str.extract_groups(r"^(.+):([0-9]+)$")
    title = pl.concat_str([pl.lit("SLA "), state, pl.lit(": "), pl.col(K.ISSUE), pl.lit(" "), pl.col(K.METRIC)])
    where = pl.concat_str(
        [pl.lit("file="), K.escaped(located.struct[0], _PROPERTY), pl.lit(",line="), located.struct[1]]
    )
    props = pl.concat_str([where, pl.lit(","), pl.lit("title="), K.escaped(title, _PROPERTY)], ignore_nulls=False)
    props = props.fill_null(pl.concat_str([pl.lit("title="), K.escaped(title, _PROPERTY)]))
    timing = (
        pl.when(K.overdue())
        .then(pl.concat_str([pl.lit("overdue by "), K.duration(-remaining)]))
        .otherwise(pl.concat_str([K.duration(remaining), pl.lit(" left")]))
    )
    head = pl.concat_str([pl.col(K.POLICY), pl.lit(": "), pl.col(K.METRIC), pl.lit(" "), timing])
    parts = [head, *(pl.when(pl.col(c) != "").then(pl.col(c)) for c in (K.TITLE, K.MESSAGE))]
    message = pl.concat_str(parts, separator=" — ", ignore_nulls=True)
    return pl.concat_str([pl.lit("::"), kind, pl.lit(" "), props, pl.lit("::"), K.escaped(message, _DATA)])


def _data_text(text: str) -> str:
    return K.escaped_text(text, _DATA)


def _property_text(text: str) -> str:
    return K.escaped_text(text, _PROPERTY)
