"""Markdown: a summary line and a table of breaches and warnings (all clocks with show_all), for a pull-request
comment, a ticket or $GITHUB_STEP_SUMMARY. A cell's text stays text (`ESCAPES`: pipes, line breaks, raw HTML,
links and images). Written by columns (`engine.cells`)."""

from __future__ import annotations

from datetime import datetime, tzinfo

import polars as pl

from escalate_cli.engine import cells as K
from escalate_cli.model import Report, State

_ICON = {
    State.BREACHED: "🔴",
    State.WARNING: "🟡",
    State.PAUSED: "⏸️",
    State.OK: "🟢",
    State.MET: "✅",
    State.MISSED: "❌",
    State.NOT_STARTED: "⚪",
}
# A cell's text stays text: no table break (`|`, line breaks), no raw HTML or autolink (`<`), no link or image
# (`[`, `]`); the backslash first, as it escapes the others.
ESCAPES = (
    ("\\", "\\\\"),
    ("|", "\\|"),
    ("\r", " "),
    ("\n", " "),
    ("<", "&lt;"),
    ("[", "\\["),
    ("]", "\\]"),
)


def render(report: Report, *, tz: tzinfo, show_all: bool = False) -> str:
    counts = report.counts()
    shown = K.by_urgency(K.of_report(report, tz, None if show_all else (State.BREACHED, State.WARNING)))
    as_of = datetime.fromtimestamp(report.as_of, tz).isoformat()
    sometimes = (State.PAUSED, State.NOT_STARTED)  # said where some clock is so
    states = ", ".join(
        f"{counts.get(s.value, 0)} {s.value.replace('_', ' ')}"
        for s in _ICON
        if counts.get(s.value, 0) or s not in sometimes
    )
    lines = [
        f"### SLA report as of {as_of}",
        "",
        f"**{states}** across {report.issues} issues ({len(report.unmatched)} unmatched, {len(report.errors)} errors)",
        "",
    ]
    if not shown.height:
        return "\n".join([*lines, "No breaches or warnings."]) + "\n"
    lines += [
        "| State | Issue | Metric | Policy | Due | Business time | Level | Action / title |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows: str = shown.select(_row(tz).str.join("\n")).item()
    return "\n".join(lines) + "\n" + rows + "\n"


def _row(tz: tzinfo) -> pl.Expr:
    state, remaining = pl.col(K.STATE), pl.col(K.REMAINING)
    running = state.is_in([s.value for s in State if s.is_running])
    timing = (
        pl.when(running & K.overdue())
        .then(pl.concat_str([K.duration(-remaining), pl.lit(" overdue")]))
        .when(running)
        .then(pl.concat_str([K.duration(remaining), pl.lit(" left")]))
        .otherwise(K.duration(pl.col(K.ELAPSED)))
    )
    icon = state.replace_strict({s.value: f"{icon} {s.value}" for s, icon in _ICON.items()}, return_dtype=pl.Utf8)
    detail = pl.when(pl.col(K.MESSAGE) != "").then(pl.col(K.MESSAGE)).otherwise(pl.col(K.TITLE))
    cells = [icon, pl.col(K.ISSUE), pl.col(K.METRIC), pl.col(K.POLICY)]
    cells += [K.local(K.DUE, tz, "%Y-%m-%d %H:%M"), timing, pl.col(K.LEVEL), detail]
    return pl.concat_str([pl.lit("| "), pl.concat_str([_cell(c) for c in cells], separator=" | "), pl.lit(" |")])


def _cell(text: pl.Expr) -> pl.Expr:
    return K.escaped(text, ESCAPES)
