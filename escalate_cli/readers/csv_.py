"""CSV exports -> (line, record) pairs. Repeated column names (Jira's Labels x4) are merged into one list."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from typing import IO, Any

from escalate_cli.errors import InputError
from escalate_cli.readers.records import Malformed, Record, Row, Rows

_CANDIDATES = ",;\t|"
csv.field_size_limit(1 << 30)


def read_csv(name: str, stream: IO[str], delimiter: str | None) -> Rows:
    """The header, and the rows as (first physical line, record)."""
    head = stream.read(1 << 16)
    if not head.endswith("\n"):
        head += stream.readline()
    if not head.strip():
        raise InputError(f"{name}: the export is empty")
    head = head.lstrip("\ufeff")
    sep = delimiter or _sniff(head)
    lines = list(io.StringIO(head, newline=""))  # split as the file splits the rest: str.splitlines breaks more
    source = itertools.chain(lines, stream)
    reader = csv.reader(source, delimiter=sep, strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except csv.Error as exc:
        raise InputError(f"{name}:1: malformed CSV header: {exc}") from exc
    record = _record_maker(header)
    return Rows(
        _rows(name, reader, record),
        lambda line: f"{name}:{line}",
        columns=header,
    )


def _sniff(head: str) -> str:
    """The candidate delimiter that occurs most often in the header line, outside quotes."""
    first = head.splitlines()[0] if head else ""
    unquoted = "".join(part for i, part in enumerate(first.split('"')) if i % 2 == 0)
    counts = {c: unquoted.count(c) for c in _CANDIDATES}
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def _record_maker(header: list[str]) -> Callable[[list[str]], Record | Malformed | None]:
    """cells -> the row's record (None for a blank line); repeated columns become one list of their values."""
    repeated = {column for column in header if header.count(column) > 1}
    width = len(header)

    def record(cells: list[str]) -> Record | Malformed | None:
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            return None
        if len(cells) != width:
            return Malformed(f"expected {width} columns as in the header, got {len(cells)}")
        if not repeated:
            return dict(zip(header, cells))
        merged: Record = {}
        for column, cell in zip(header, cells):
            if column in repeated:
                values = merged.setdefault(column, [])
                if cell.strip() and isinstance(values, list):
                    values.append(cell)
            else:
                merged[column] = cell
        return merged

    return record


def _rows(name: str, reader: Any, record_of: Callable[[list[str]], Record | Malformed | None]) -> Iterator[Row]:
    line = reader.line_num  # reader: csv's _reader
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # this row, not the file: the reader goes on at the next line
            line = reader.line_num
            yield start, Malformed(f"malformed CSV: {exc}")
            continue
        line = reader.line_num
        record = record_of(cells)
        if record is not None:
            yield start, record
