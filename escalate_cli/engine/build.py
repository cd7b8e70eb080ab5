"""An export's cells -> the issue frame: the preset's column mapping, ids, text fields with their codes,
labels, timestamps (`parse`), the raw columns policies match on, and the checks `readers.issues.IssueBuilder`
makes. A row that fails one is a located error (`file:line: field: message`), the first check it fails in the
builder's order; failing rows are few, so their messages are worded row by row. Snapshot status semantics
are applied by `with_status`, once repeated ids are ruled out.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from escalate_cli.config import ROLE_COLUMN
from escalate_cli.engine import schema as S
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.engine.parse import parse_instants
from escalate_cli.engine.read_csv import LINE, Cells
from escalate_cli.model import Problem, Statuses
from escalate_cli.readers.issues import IssueBuilder

STAMPS = ("created", "first_response", "resolved", "updated")
_LABEL = r"[^,;\s](?:[^,;]*[^,;\s])?"


@dataclass
class Built:
    issues: IssueFrame
    errors: list[Problem]  # in line order


class _Columns:
    """The export's columns by name; a name the header repeats (Jira's Labels x4) is a list of its cells."""

    def __init__(self, header: list[str], read: list[str]) -> None:
        self.positions: dict[str, list[str]] = {}
        self.header = frozenset(header)  # every column the export has; `read`: the positions that were read
        for n, column in enumerate(header):
            if str(n) in read:
                self.positions.setdefault(column, []).append(str(n))

    def has(self, column: str) -> bool:
        return column in self.positions

    def repeated(self, column: str) -> bool:
        return len(self.positions.get(column, ())) > 1

    def cells(self, column: str) -> pl.Expr:
        """List(Utf8) of a repeated column's non-blank cells (as the Python reader keeps them), else Utf8."""
        found = self.positions[column]
        if len(found) == 1:
            return pl.col(found[0])
        cells = pl.concat_list([pl.col(c) for c in found])
        return cells.list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))

    def text(self, column: str) -> pl.Expr:
        """`readers.issues.as_text` of the column's value: stripped, a list's stripped items joined."""
        if not self.has(column):
            return pl.lit("")
        if self.repeated(column):
            return self.cells(column).list.eval(pl.element().str.strip_chars()).list.join(", ")
        return self.cells(column).str.strip_chars()

    def first(self, column: str) -> pl.Expr:
        """A timestamp's cell: a repeated column's first non-blank one."""
        return self.cells(column).list.first() if self.repeated(column) else self.cells(column)


def _packed(cell: pl.Expr, separator: str | None) -> pl.Expr:
    """A timestamp packed with other sub-fields (Jira's `date;account;text` comment cells): the part before the
    separator."""
    return cell if separator is None else cell.str.split(separator).list.first()


def build(
    name: str,
    cells: Cells,
    builder: IssueBuilder,
    fields: tuple[str, ...],
    raw_keys: tuple[str, ...],
    *,
    labels: pl.Series | None = None,
    raw: dict[str, pl.Series] | None = None,
) -> Built:
    """The rows as they are, statuses not applied yet (see `with_status`): repeated ids need them so. `labels`
    and `raw`: those columns made already (JSON values, by the Python reader's rules), one value per row."""
    columns = _Columns(cells.header, cells.frame.columns)
    mapped = builder.columns
    where = pl.concat_str([pl.lit(f"{name}:"), pl.col(LINE).cast(pl.Utf8)])
    has_id = columns.has(mapped["id"])
    ids = columns.text(mapped["id"])
    if builder.id_after:
        ids = ids.str.split(builder.id_after).list.last().str.strip_chars()
    selected: dict[str, pl.Expr] = {S.ID: ids if has_id else where, S.WHERE: where}
    for field in fields:
        codes = builder.codes.get(field)
        value = columns.text(mapped[field])
        selected[field] = value.replace(dict(codes)) if codes else value
    selected[S.LABELS] = _labels(columns, mapped["labels"]) if labels is None else pl.lit(labels)
    for key in raw_keys:
        if raw is not None:
            selected[S.raw(key)] = pl.lit(raw[key])
        elif not columns.has(key):
            selected[S.raw(key)] = pl.lit(None, pl.List(pl.Utf8))
        else:
            selected[S.raw(key)] = columns.cells(key) if columns.repeated(key) else pl.concat_list(columns.cells(key))
    talk = _talk(columns, builder) if ROLE_COLUMN in raw_keys else None  # messages are told by their role column
    if talk is not None:
        selected.update(talk)
    present = [f for f in STAMPS if columns.has(mapped[f])]
    selected.update({f"cell:{f}": _packed(columns.first(mapped[f]), builder.packed.get(f)) for f in present})
    frame = cells.frame.select(LINE, **selected)
    parsed = {f: parse_instants(frame.get_column(f"cell:{f}"), builder.parsers[f]) for f in present}
    frame = frame.with_columns(
        *(parsed[f][0].alias(f) if f in parsed else pl.lit(None, pl.Int64).alias(f) for f in STAMPS),
        *(parsed[f][1].alias(f"error:{f}") for f in present),
    )
    failed = _failed(frame, present, has_id)
    errors: list[Problem] = []
    if failed.any():  # few rows: their messages quote the cells as the export has them
        bad = frame.with_row_index("at").filter(failed)
        texts = cells.frame[bad.get_column("at")].select(**{f"text:{f}": columns.text(mapped[f]) for f in present})
        rows = pl.concat([bad, texts], how="horizontal").iter_rows(named=True)
        errors = [Problem(row[S.WHERE], _message(row, present, has_id), _issue(row, has_id)) for row in rows]
        frame = frame.filter(~failed)
    issues = frame.with_columns(
        pl.lit(None, pl.Int64).alias(S.PAUSED_SINCE),
        pl.lit(None, pl.Int64).alias(S.CHANGED),
        pl.lit(None, pl.Utf8).alias(S.PREVIOUS),
        pl.lit(None, S.BASE[S.PAUSES]).alias(S.PAUSES),
        pl.lit(None, S.BASE[S.HELD]).alias(S.HELD),
        pl.lit(None, pl.Int64).alias(S.STATUS_SINCE),
        pl.lit(builder.replies_known).alias(S.REPLIES),
        pl.lit(None, pl.Int64).alias(S.OBJECT),
    ).select(*S.empty(fields, raw_keys).columns)
    if talk is not None:
        said, unread = _messages(frame, builder, fields, raw_keys)
        issues = pl.concat([issues, said.select(issues.columns)])
        errors = sorted(errors + unread, key=lambda problem: int(problem.where.rsplit(":", 1)[1]))
    single = frozenset(k for k in raw_keys if columns.has(k) and not columns.repeated(k))
    return Built(IssueFrame(issues, fields, raw_keys, single=single), errors)


_TALK, _ASKER = "talk:cells", "talk:requester"  # a row's packed messages, its requester's account


def _talk(columns: _Columns, builder: IssueBuilder) -> dict[str, pl.Expr] | None:
    """The columns of the messages the export packs into its rows (`presets.Conversation`), if it has them."""
    conversation = builder.conversation
    if conversation is None:
        return None
    cells = next((c for c in conversation.cells if columns.has(c)), None)
    if cells is None:
        return None
    requester = next((c for c in conversation.requester if columns.has(c)), None)
    packed = columns.cells(cells) if columns.repeated(cells) else pl.concat_list(columns.cells(cells))
    asker = columns.text(requester) if requester is not None else pl.lit(None, pl.Utf8)
    return {_TALK: packed, _ASKER: asker}


def _messages(
    frame: pl.DataFrame, builder: IssueBuilder, fields: tuple[str, ...], raw_keys: tuple[str, ...]
) -> tuple[pl.DataFrame, list[Problem]]:
    """A message row for each packed message of the good rows (`frame`): its issue's id, its instant as
    `created`, `author_role` customer where its account is the requester's (else agent), located at its row
    ("file:line comment N"); and an error for each whose date cannot be read."""
    assert builder.conversation is not None
    separator = builder.conversation.separator
    talk = (
        frame.select(
            S.ID,
            S.WHERE,
            pl.col(_TALK).list.eval(pl.element().filter(pl.element().str.strip_chars() != "")).alias(_TALK),
            _ASKER,
        )
        .with_columns(pl.int_ranges(1, pl.col(_TALK).list.len() + 1).alias("_k"))
        .explode(_TALK, "_k")
        .drop_nulls(_TALK)
    )
    parts = talk.get_column(_TALK).str.split(separator)
    at, error = parse_instants(parts.list.get(0, null_on_oob=True), builder.parsers["first_response"])
    account = parts.list.get(1, null_on_oob=True).str.strip_chars()
    talk = talk.with_columns(at.alias("_at"), error.alias("_error"), account.alias("_account"))
    bad = talk.filter(pl.col("_error").is_not_null() | pl.col("_at").is_null())
    unread = [
        Problem(where, f"comment {k}: {message or 'no date'}", issue)
        for issue, where, k, message in bad.select(S.ID, S.WHERE, "_k", "_error").iter_rows()
    ]
    good = talk.filter(pl.col("_error").is_null() & pl.col("_at").is_not_null())
    role = (
        pl.when(pl.col("_account") == pl.col(_ASKER).str.strip_chars())
        .then(pl.lit("customer"))
        .otherwise(pl.lit("agent"))
    )
    empty = S.empty(fields, raw_keys)
    said = good.select(
        S.ID,
        pl.concat_str([pl.col(S.WHERE), pl.lit(" comment "), pl.col("_k").cast(pl.Utf8)]).alias(S.WHERE),
        pl.col("_at").alias(S.CREATED),
        *(pl.lit("").alias(f) for f in fields),
        pl.lit([], pl.List(pl.Utf8)).alias(S.LABELS),
        *(
            (pl.concat_list(role) if key == ROLE_COLUMN else pl.lit(None, pl.List(pl.Utf8))).alias(S.raw(key))
            for key in raw_keys
        ),
        pl.lit(builder.replies_known).alias(S.REPLIES),
    )
    rest = [c for c in empty.columns if c not in said.columns]
    said = said.with_columns(*(pl.lit(None, empty.schema[c]).alias(c) for c in rest))
    return said.select(empty.columns).cast(empty.schema), unread


def _labels(columns: _Columns, column: str) -> pl.Expr:
    """`readers.issues.as_labels`: a cell split at commas and semicolons, or a repeated column's cells."""
    if not columns.has(column):
        return pl.lit([], pl.List(pl.Utf8))
    if columns.repeated(column):
        items = columns.cells(column).list.eval(pl.element().str.strip_chars())
    else:  # the items between commas and semicolons, stripped, the empty ones dropped
        return columns.cells(column).str.extract_all(_LABEL).fill_null([])
    return items.list.eval(pl.element().filter(pl.element() != ""))


def _failed(frame: pl.DataFrame, present: list[str], has_id: bool) -> pl.Series:
    bad = pl.lit(False)
    if has_id:
        bad = bad | (pl.col(S.ID) == "")
    bad = bad | pl.col("created").is_null()
    for field in present:
        bad = bad | pl.col(f"error:{field}").is_not_null()
    for stop in ("first_response", "resolved"):
        bad = bad | (pl.col(stop) < pl.col("created")).fill_null(False)
    return frame.select(bad.alias("failed")).to_series()


def _issue(row: dict[str, object], has_id: bool) -> str:
    """The failing row's issue id, where the export has one (without, its id is its position)."""
    return str(row[S.ID]) if has_id else ""


def _message(row: dict[str, object], present: list[str], has_id: bool) -> str:
    """The first check the row fails, worded as `IssueBuilder.build` words it."""
    if has_id and row[S.ID] == "":
        return "id: missing"
    for field in ("created", "first_response", "resolved"):
        if field in present and row[f"error:{field}"] is not None:
            return f"{field}: {row[f'error:{field}']}"
        if field == "created" and row["created"] is None:
            return "created: missing"
    for stop in ("first_response", "resolved"):
        at, created = row[stop], row["created"]
        if isinstance(at, int) and isinstance(created, int) and at < created:
            return f"{stop}: {row[f'text:{stop}']!r} is before created ({row['text:created']!r})"
    return f"updated: {row['error:updated']}"


def with_status(issues: pl.DataFrame, statuses: Statuses) -> pl.DataFrame:
    """`history.with_status`: a closed status without a resolution stops at the last update; a paused status
    pauses since it."""
    status = pl.col("status").str.strip_chars().str.to_lowercase()
    latest = pl.max_horizontal(S.UPDATED, S.CREATED)
    since = pl.when(pl.col(S.UPDATED).is_not_null()).then(latest).otherwise(pl.col(S.CREATED))
    closed = status.is_in(pl.Series(sorted(statuses.closed), dtype=pl.Utf8).implode())
    paused = status.is_in(pl.Series(sorted(statuses.paused), dtype=pl.Utf8).implode())
    stops = closed & pl.col(S.RESOLVED).is_null()
    return issues.with_columns(
        pl.when(stops).then(since).otherwise(pl.col(S.RESOLVED)).alias(S.RESOLVED),
        pl.when(~stops & paused).then(since).otherwise(None).cast(pl.Int64).alias(S.PAUSED_SINCE),
    )
