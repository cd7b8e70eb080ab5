"""JSON and NDJSON exports -> the issue frame, a batch of records at a time: the Python readers decode the
records (`readers.json_`: envelopes, streamed lists, located malformed records), then each mapped path's values
become a column and `build` makes the rows, as it does for CSV cells.

A value that is text (or absent) goes straight into its column; numbers, booleans, lists and objects in a
text field take `readers.issues.as_text` first, labels and raw columns take the Python reader's own rules
(`as_labels`, `sla.field_values`), value by value. A batch whose records this cannot put in columns exactly
(a timestamp that is a number or a list, an id present in some records and not others) is built by the
Python builder record by record, so the issues are always the ones `readers.issues` makes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from escalate_cli.config import Config
from escalate_cli.engine.build import build
from escalate_cli.engine.frame import IssueFrame, from_issues
from escalate_cli.engine.read_csv import LINE, Cells
from escalate_cli.model import Issue, Problem
from escalate_cli.readers.issues import (
    _ABSENT,
    _SNIFF_ROWS,
    IssueBuilder,
    RowError,
    as_labels,
    as_text,
    lookup,
    read_warnings,
)
from escalate_cli.readers.records import Malformed, Record, Rows

BATCH = 100_000
_STAMPS = ("created", "first_response", "resolved", "updated")


@dataclass
class Batch:
    lines: list[int]
    records: list[Record]


def read_records(
    label: str,
    rows: Rows,
    config: Config,
    keep: frozenset[str],
    fields: tuple[str, ...],
    raw_keys: tuple[str, ...],
    errors: list[Problem],
    warnings: list[Problem],
) -> Iterator[IssueFrame]:
    """The frames of the export's records, a batch at a time; `rows` must place records at physical lines."""
    head = list(itertools.islice(rows.rows, _SNIFF_ROWS))  # as readers.issues.issues_from
    builder = IssueBuilder(config, label, rows, [r for _, r in head if not isinstance(r, Malformed)], keep)
    warnings += builder.notes()
    count = skipped = 0
    problems: list[Problem] = []
    batch = Batch([], [])
    for line, record in itertools.chain(head, rows.rows):
        count += 1
        if isinstance(record, Malformed):
            problems.append(Problem(rows.where(line), record.message))
        elif builder.is_skipped(record):
            skipped += 1
        else:
            batch.lines.append(line)
            batch.records.append(record)
            if len(batch.records) == BATCH:
                yield _frame(label, rows, batch, builder, fields, raw_keys, problems)
                batch = Batch([], [])
    if batch.records:
        yield _frame(label, rows, batch, builder, fields, raw_keys, problems)
    errors += sorted(problems, key=lambda p: int(p.where.rsplit(":", 1)[1]))
    warnings += read_warnings(label, rows, count, skipped)


def _frame(
    label: str,
    rows: Rows,
    batch: Batch,
    builder: IssueBuilder,
    fields: tuple[str, ...],
    raw_keys: tuple[str, ...],
    problems: list[Problem],
) -> IssueFrame:
    cells = _cells(batch, builder, fields)
    if cells is None:  # the Python builder, record by record
        issues: list[Issue] = []
        for line, record in zip(batch.lines, batch.records):
            try:
                issues.append(builder.build(record, rows.where(line)))
            except RowError as exc:
                problems.append(Problem(rows.where(line), str(exc), exc.issue))
        return from_issues(issues, fields, raw_keys)
    labels = _lists([_labels(value) for value in _values(batch.records, builder.columns["labels"])])
    raw = {key: _raw(batch.records, key) for key in raw_keys}
    built = build(label, cells, builder, fields, raw_keys, labels=labels.fill_null([]), raw=raw)
    problems += built.errors
    single = frozenset(key for key in raw_keys if all(type(r.get(key, "")) is str for r in batch.records))
    frame = built.issues
    return IssueFrame(frame.frame, fields, raw_keys, single=single)


def _cells(batch: Batch, builder: IssueBuilder, fields: tuple[str, ...]) -> Cells | None:
    """The batch's mapped values as text cells (one column per distinct path); None when a value cannot be."""
    paths: dict[str, list[str | None]] = {}
    stamps = {builder.columns[f] for f in _STAMPS}
    for name in ("id", *_STAMPS, *fields):
        path = builder.columns[name]
        if path in paths:
            continue
        values = _values(batch.records, path)
        absent = sum(value is _ABSENT for value in values)
        if absent == len(values) and name not in fields:
            continue  # the export has no such column: as a CSV without it
        if name == "id" and absent:
            return None  # the id of a record without one is its position, record by record
        if path in stamps:
            if any(value is not _ABSENT and value is not None and type(value) is not str for value in values):
                return None  # an epoch number or a repeated value: the scalar reading
            paths[path] = [value if type(value) is str else None for value in values]
        else:
            paths[path] = [value if type(value) is str else as_text(value) for value in values]
    header = list(paths)
    columns = {str(n): pl.Series(values, dtype=pl.Utf8) for n, values in enumerate(paths.values())}
    frame = pl.DataFrame({**columns, LINE: pl.Series(batch.lines, dtype=pl.UInt32)})
    return Cells(header, frame, [], len(batch.records), 0)


def _values(records: list[Record], path: str) -> list[object]:
    """`IssueBuilder.build`'s lookup of a mapped column in each record."""
    if "." not in path:
        return [record.get(path, _ABSENT) for record in records]
    out = []
    for record in records:
        value = record.get(path, _ABSENT)
        out.append(value if value is not _ABSENT else lookup(record, path))
    return out


def _labels(value: object) -> list[str]:
    """`as_labels`, with its common case (a list of texts) written out."""
    if type(value) is list and all(type(item) is str for item in value):
        return [text for text in (item.strip() for item in value) if text]
    return list(as_labels(value))


def _raw(records: list[Record], key: str) -> pl.Series:
    """A raw column as `frame.from_issues` keeps it: `sla.field_values` of the record's value (by its name or
    dotted path, `lookup`), null when the record has no such key."""
    out: list[list[str] | None] = []
    for value in (lookup(record, key) for record in records):
        if value is _ABSENT:
            out.append(None)
        elif type(value) is str:
            out.append([value])
        elif value is None:
            out.append([])
        elif isinstance(value, list):
            out.append([str(item) for item in value if item is not None])
        else:
            out.append([str(value)])
    return _lists(out)


_SEPARATOR = "\x1f"


def _lists(values: list[list[str] | None]) -> pl.Series:
    """List(Utf8) of Python lists of texts, by one split of joined texts (Polars builds nested lists from
    Python objects an element at a time); null stays null."""
    joined = [None if items is None else _SEPARATOR.join(items) for items in values]
    empty = [items is not None and not items for items in values]
    if any(_SEPARATOR in text for items in values if items for text in items):
        return pl.Series(values, dtype=pl.List(pl.Utf8))  # a text holds the separator: element by element
    split = pl.Series(joined, dtype=pl.Utf8).str.split(_SEPARATOR)
    lists = pl.when(pl.lit(pl.Series(empty))).then(pl.lit([], pl.List(pl.Utf8))).otherwise(pl.lit(split))
    out: pl.Series = pl.select(lists).to_series()
    return out
