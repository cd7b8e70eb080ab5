"""A CSV export's bytes -> its header and a frame of its cells (Utf8, one column per header position) with the
physical line each row starts on. Polars reads the cells; `layout.scan` checks the structure it cannot see.

Rows with another number of fields than the header are located errors, blank lines are skipped, as the Python
reader does. None when the text is not one this reader takes (not UTF-8, quoting Polars refuses, a bare CR, a
row count that does not agree with the scan): the caller then reads it with `readers.csv_`, which words the
error. Either way the same issues come out; tests hold the two to each other.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from escalate_cli.engine.layout import scan
from escalate_cli.model import Problem
from escalate_cli.readers.csv_ import _sniff

LINE = "line"  # UInt32 column: the physical line a row starts on
SAMPLE = 1000  # as readers.issues._SNIFF_ROWS


@dataclass
class Cells:
    header: list[str]
    frame: pl.DataFrame  # columns "0", "1", ... (header positions) and LINE
    errors: list[Problem]
    records: int  # rows read, good or malformed (blank lines do not count)
    sample: int  # good rows among the first SAMPLE records, which the day-first vote reads


def read_cells(
    name: str,
    data: bytes,
    delimiter: str | None,
    wanted: Callable[[list[str]], Collection[str]] | None = None,
    broken: dict[int, int] | None = None,
) -> Cells | None:
    """`wanted`: the columns worth reading, given the header (default: all); the others are never read.
    `broken`: lines (1-based) that held bytes that are not UTF-8, each with its first such byte: their rows are
    row errors (the bytes were replaced so that the rest can be read)."""
    text_head = data[: 1 << 16].decode("utf-8", "replace").lstrip("\ufeff")
    if not text_head.strip():
        return None  # the plain reader says the export is empty
    separator = delimiter or _sniff(text_head)
    if len(separator.encode()) != 1:
        return None
    layout = scan(data, separator)
    header = _header(data[: layout.lengths[0]], separator) if layout is not None else None
    if layout is None or header is None:
        return None
    width = len(header)
    names = set(wanted(header)) if wanted is not None else set(header)
    positions = sorted({0} | {n for n, column in enumerate(header) if column in names})  # 0: to tell blank lines
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            columns=positions,
            infer_schema=False,
            empty_string_is_null=False,
            separator=separator,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        found = _not_utf8(data) if broken is None else {}
        if not found:
            return None
        return read_cells(name, data.decode("utf-8", "replace").encode("utf-8"), delimiter, wanted, found)
    if frame.height != len(layout.lines) or not frame.height or frame.width != len(positions):
        return None
    frame = frame.rename({old: str(n) for n, old in zip(positions, frame.columns)}).with_columns(
        pl.Series(LINE, layout.lines, dtype=pl.UInt32)
    )
    fields, lines = layout.fields[1:], layout.lines[1:]
    body = frame.slice(1)
    blank = (fields == 1) & _blank_first_cells(body, layout.lengths[1:])
    ragged = (fields != width) & ~blank
    errors = [
        Problem(f"{name}:{line}", f"expected {width} columns as in the header, got {count}")
        for line, count in zip(lines[ragged].tolist(), fields[ragged].tolist())
    ]
    bad = np.zeros(len(lines), dtype=bool)
    for line, byte in (broken or {}).items():
        record = int(np.searchsorted(lines, line, side="right")) - 1  # the row that line belongs to
        if record >= 0 and not bad[record] and not blank[record] and not ragged[record]:
            bad[record] = True
            within = f" on line {line}" if line != lines[record] else ""
            errors.append(Problem(f"{name}:{lines[record]}", f"not UTF-8 text (byte 0x{byte:02x}{within})"))
    keep = ~(blank | ragged | bad)
    first = np.flatnonzero(~blank)[:SAMPLE]
    sample = int(keep[first].sum())
    if not keep.all():
        body = body.filter(pl.Series(keep))
    return Cells(header, body, errors, int((~blank).sum()), sample)


def _not_utf8(data: bytes) -> dict[int, int]:
    """Lines (1-based) that hold bytes that are not UTF-8, each with the first of them."""
    text = data.decode("utf-8", "surrogateescape")  # each such byte becomes one lone surrogate
    found: dict[int, int] = {}
    line, counted = 1, 0
    for match in _ESCAPED.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        found.setdefault(line, ord(match.group()) - 0xDC00)
    return found


_ESCAPED = re.compile("[\udc80-\udcff]")


def _header(raw: bytes, separator: str) -> list[str] | None:
    """The header's names as Python's reader reads them (stripped); None where it would refuse them."""
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    return [column.strip() for column in row] or None


def _blank_first_cells(body: pl.DataFrame, lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Rows whose one field is white space or empty (a blank line): Python's reader skips them."""
    if not body.height:
        return np.zeros(0, dtype=bool)
    first = body.get_column("0").str.strip_chars().str.len_bytes().to_numpy()
    return np.asarray((first == 0) | (lengths == 0), dtype=bool)
