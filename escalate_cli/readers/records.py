"""What every reader yields: a position in the file and a record (the row's columns), or why the row is unusable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from escalate_cli.model import Problem


@dataclass(frozen=True)
class Malformed:
    message: str


Record = dict[str, object]
Row = tuple[int, "Record | Malformed"]


@dataclass
class Rows:
    """The rows of one export; `where(position)` turns a row's position into `file:line`."""

    rows: Iterator[Row]
    where: Callable[[int], str]
    columns: list[str] | None = None  # the header, for formats that have one
    first: Record | None = None  # the first record of a JSON export, to check the mapping against
    closer: Callable[[], object] | None = None  # see close()
    by_line: bool = False  # positions are physical lines (where = file:position), as in NDJSON and JSON lists
    surrogates: list[int] = field(default_factory=list)  # positions of records whose lone surrogates were replaced
    cut: Callable[[], bool] = lambda: False  # whether its compressed file ended too soon (once read)

    def surrogate_warning(self, name: str) -> Problem | None:
        """One located warning for every record whose text held a lone UTF-16 surrogate."""
        if not self.surrogates:
            return None
        count = len(self.surrogates)
        records = f"{count} record{'s' * (count != 1)}"
        return Problem(
            self.where(self.surrogates[0]),
            f"{records} of {name} held a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), each replaced "
            "by U+FFFD; the first is here",
        )

    def close(self) -> None:
        """Let go of the export's file once its rows are read (stdin itself stays open)."""
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()
