"""What every reader yields: a position in the file and a record (the row's columns), or why the row is unusable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Malformed:
    message: str


Record = dict[str, object]
Row = tuple[int, "Record | Malformed"]


@dataclass(frozen=True)
class Cells:
    """A CSV export's rows as lists of cells, for readers that want them raw: the csv reader (positioned after
    the rows `Rows.rows` has already yielded) and the lines it reads, the header, and how a list of cells
    becomes a record."""

    reader: Any  # csv's _reader; its line_num is the last physical line read
    lines: Iterator[str]  # what the reader reads, one line at a time: after its last row, the rest of the file
    header: list[str]
    record: Callable[[list[str]], Record | Malformed | None]  # None: a blank line
    # The head read to sniff the delimiter, for `halves` to split the rest: its length in bytes without a byte
    # order mark (None unless the text is UTF-8) and in lines as the reader counts them.
    head_bytes: int | None = None
    head_lines: int = 0


@dataclass
class Rows:
    """The rows of one export; `where(position)` turns a row's position into `file:line`."""

    rows: Iterator[Row]
    where: Callable[[int], str]
    columns: list[str] | None = None  # the header, for formats that have one
    first: Record | None = None  # the first record of a JSON export, to check the mapping against
    cells: Cells | None = None  # CSV only
    closer: Callable[[], object] | None = None  # see close()

    def close(self) -> None:
        """Let go of the export's file once its rows are read (stdin itself stays open)."""
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()
