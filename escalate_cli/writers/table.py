"""The terminal table: breaches (most overdue first), then warnings (soonest due first), then a summary line.

With show_all, ok, missed and met clocks follow, and the issues no policy matched are listed. Times left and
overdue are business time; instants are in the config's zone. Colour only when asked for.

One line per clock at any width of 60 or more: when the columns' natural widths do not fit, the last column
(the action or title) is cut with an ellipsis down to 30 cells, then the columns of `drop` rank 1, 2, ... go,
then the last column is cut further. `wide` shows every column whole. Control characters in a cell (a
multi-line title) print as one space each run, so a cell never breaks its line or writes to the terminal.
Written by columns (`engine.cells`), so a table of a million clocks costs what its JSON costs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, tzinfo

import polars as pl

from escalate_cli.engine import cells as K
from escalate_cli.model import Report, State
from escalate_cli.writers import summary_line

MIN_WIDTH = 60  # narrower terminals get lines this long
KEEP_LAST = 30  # cells the last column keeps before a column is dropped
GAP = "  "
_ELLIPSIS = "…"
_CONTROL = r"[\x00-\x1f\x7f-\x9f]+"
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_STYLE = {
    State.PAUSED.value: "\x1b[34m",
    State.BREACHED.value: "\x1b[1;31m",
    State.WARNING.value: "\x1b[33m",
    State.OK.value: "\x1b[32m",
    State.MET.value: "\x1b[2m",
    State.MISSED.value: "\x1b[35m",
}


@dataclass(frozen=True)
class Column:
    heading: str
    key: str  # the column of the cell frame
    drop: int = 0  # rank in which it goes when the width is short (0: kept)
    styled: bool = False  # coloured by the row's state


CLOCKS = (
    Column("State", "state", styled=True),
    Column("Issue", "issue"),
    Column("Metric", "metric"),
    Column("Policy", "policy", drop=1),
    Column("Due", "due", drop=2),
    Column("Business time", "business"),
    Column("Level", "level", drop=3),
    Column("Action / title", "detail"),
)
CHANGES = (
    Column("Change", "change"),
    Column("Issue", "issue"),
    Column("Metric", "metric"),
    Column("Was", "was"),
    Column("Now", "now"),
    Column("Due", "due", drop=2),
    Column("Level", "level", drop=1),
    Column("Action / title", "detail"),
)
UNMATCHED = (Column("Issue", "issue"), Column("Where", "where", drop=1), Column("Title", "title"))


def render(
    report: Report,
    *,
    tz: tzinfo,
    color: bool = False,
    width: int = 120,
    show_all: bool = False,
    changes_only: bool = False,
    wide: bool = False,
) -> str:
    room = None if wide else max(width, MIN_WIDTH)
    blocks: list[str] = []  # each ends in a line feed
    if changes_only:  # cron: silent unless something changed
        if report.changes:
            blocks.append(layout(_change_cells(report, tz), CHANGES, room, color))
            kinds = Counter(change.kind.value for change in report.changes)
            as_of = datetime.fromtimestamp(report.as_of, tz).isoformat()
            blocks.append(", ".join(f"{n} {kind}" for kind, n in kinds.items()) + f" | as of {as_of}\n")
        return "".join(blocks)
    shown = None if show_all else (State.BREACHED, State.WARNING)
    clocks = K.by_urgency(K.of_report(report, tz, shown))
    if clocks.height:
        blocks.append(layout(_clock_cells(clocks, tz), CLOCKS, room, color))
    if show_all and report.unmatched:
        unmatched = pl.DataFrame(
            {
                "issue": [issue.id for issue in report.unmatched],
                "where": [issue.where for issue in report.unmatched],
                "title": [issue.fields.get("title", "") for issue in report.unmatched],
            },
            schema={"issue": pl.Utf8, "where": pl.Utf8, "title": pl.Utf8},
        )
        blocks.append("Matched by no policy\n")
        blocks.append(layout(unmatched, UNMATCHED, room, color))
    blocks.append(summary_line(report, tz) + "\n")
    return "".join(blocks)


def _clock_cells(clocks: pl.DataFrame, tz: tzinfo) -> pl.DataFrame:
    remaining = pl.col(K.REMAINING)
    state = pl.col(K.STATE)
    met, missed = state == State.MET.value, state == State.MISSED.value
    overdue = K.overdue()
    shown = pl.when(met).then(pl.col(K.ELAPSED)).when(missed | overdue).then(-remaining).otherwise(remaining)
    suffix = (
        pl.when(met)
        .then(pl.concat_str([pl.lit(" of "), K.duration(pl.col(K.TARGET))]))
        .when(missed)
        .then(pl.lit(" late"))
        .when(overdue)
        .then(pl.lit(" overdue"))
        .when(state == State.PAUSED.value)
        .then(pl.lit(" left (paused)"))
        .otherwise(pl.lit(" left"))
    )
    business = pl.concat_str([K.duration(shown), suffix])
    detail = pl.when(pl.col(K.MESSAGE) != "").then(pl.col(K.MESSAGE)).otherwise(pl.col(K.TITLE))
    return clocks.select(
        K.STATE,
        K.ISSUE,
        K.METRIC,
        K.POLICY,
        K.local(K.DUE, tz, "%Y-%m-%d %H:%M").alias("due"),
        business.alias("business"),
        K.LEVEL,
        detail.alias("detail"),
    )


def _change_cells(report: Report, tz: tzinfo) -> pl.DataFrame:
    rows: list[tuple[str, ...]] = []
    for change in report.changes or ():
        due = "" if change.due_at is None else datetime.fromtimestamp(change.due_at, tz).strftime("%Y-%m-%d %H:%M")
        after, before, level = change.after or "gone", change.before or "", change.level or ""
        rows.append((change.kind.value, change.issue, change.metric, before, after, due, level, change.detail))
    return pl.DataFrame(rows, schema={c.key: pl.Utf8 for c in CHANGES}, orient="row")


def layout(cells: pl.DataFrame, columns: tuple[Column, ...], room: int | None, color: bool) -> str:
    """The heading line and one line per row of `cells`, each ending in a line feed, fitted into `room` cells
    (None: as wide as needed)."""
    heading = pl.DataFrame({c.key: [c.heading] for c in columns}, schema={c.key: pl.Utf8 for c in columns})
    texts = pl.concat([heading, cells.select(c.key for c in columns)]).select(
        pl.col(c.key).fill_null("").str.replace_all(_CONTROL, " ") for c in columns
    )
    spans = texts.select(_spans(texts.get_column(c.key)) for c in columns)
    natural = spans.max().row(0, named=True)
    kept, widths = fit(columns, natural, room)
    texts = texts.with_columns(_cut(texts.get_column(c.key), spans.get_column(c.key), widths[c.key]) for c in kept)
    spans = spans.select(pl.col(c.key).clip(upper_bound=widths[c.key]) for c in kept)
    parts = []
    for column in kept[:-1]:
        text = pl.col(column.key)
        padded = text.str.pad_end(widths[column.key] + text.str.len_chars() - spans.get_column(column.key))
        parts.append(_styled(padded, cells, column) if color else padded)
    last = kept[-1] if kept else None
    if last is not None:
        parts.append(_styled(pl.col(last.key), cells, last) if color else pl.col(last.key))
    lines = texts.select(pl.concat_str(parts, separator=GAP).str.strip_chars_end(" ")).to_series()
    rows: str = pl.select(pl.concat_str([pl.lit(lines.slice(1)), pl.lit("\n")]).str.join("")).item()
    head: str = lines[0]
    return (f"{_BOLD}{head}{_RESET}" if color else head) + "\n" + rows


def _styled(text: pl.Expr, cells: pl.DataFrame, column: Column) -> pl.Expr:
    """`text` in the colour of its row's state, for a styled column (the heading row, first, stays plain)."""
    if not column.styled:
        return text
    codes = cells.get_column(column.key).replace_strict(_STYLE, default="", return_dtype=pl.Utf8)
    style = pl.concat([pl.Series([""], dtype=pl.Utf8), codes])
    ends = (style != "").cast(pl.Utf8).replace_strict({"true": _RESET, "false": ""}, return_dtype=pl.Utf8)
    return pl.concat_str([pl.lit(style), text, pl.lit(ends)])


def fit(columns: tuple[Column, ...], natural: dict[str, int], room: int | None) -> tuple[list[Column], dict[str, int]]:
    """The columns kept and each one's width: see the module's docstring."""
    kept = list(columns)
    widths = dict(natural)
    if room is None:
        return kept, widths
    last = columns[-1].key
    for rank in [*sorted({c.drop for c in columns if c.drop}), None]:
        others = sum(widths[c.key] for c in kept[:-1]) + len(GAP) * (len(kept) - 1)
        if others + widths[last] <= room:
            return kept, widths
        if room - others >= min(KEEP_LAST, natural[last]) or rank is None:
            widths[last] = room - others
            break
        kept = [c for c in kept if c.drop != rank]
    if widths[last] <= 0:  # not even room for an ellipsis
        kept = kept[:-1]
    return kept, widths


def _one_line(values: pl.Series) -> pl.Series:
    return values.fill_null("").str.replace_all(_CONTROL, " ")


def _span(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _spans(values: pl.Series) -> pl.Series:
    """Terminal cells per value: one per character for ASCII, `rich.cells` for the rest (once per distinct)."""
    spans = values.str.len_chars().cast(pl.Int64)
    wide = values.str.len_bytes() != spans
    if wide.any():
        lookup = {text: _span(text) for text in values.filter(wide).unique().to_list()}
        spans = spans.scatter(wide.arg_true(), [lookup[text] for text in values.filter(wide).to_list()])
    out: pl.Series = spans.alias(values.name)
    return out


def _cut(values: pl.Series, spans: pl.Series, width: int) -> pl.Series:
    """Values longer than `width` cells cut to it, an ellipsis in the last cell."""
    long = spans > width
    if not long.any():
        return values
    wide = values.str.len_bytes() != values.str.len_chars()
    frame = pl.DataFrame({"v": values, "cut": long & ~wide})
    cut = frame.select(
        pl.when(pl.col("cut"))
        .then(pl.concat_str([pl.col("v").str.slice(0, width - 1), pl.lit(_ELLIPSIS)]))
        .otherwise(pl.col("v"))
    ).to_series()
    others = long & wide
    if others.any():
        cut = cut.scatter(others.arg_true(), [_cut_text(text, width) for text in values.filter(others).to_list()])
    return cut.alias(values.name)


def _cut_text(text: str, width: int) -> str:
    from rich.cells import chop_cells

    head = chop_cells(text, width - 1)[0]
    return head + " " * (width - 1 - _span(head)) + _ELLIPSIS
