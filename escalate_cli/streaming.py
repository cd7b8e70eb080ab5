"""`check` without holding the export: each issue is evaluated as it is read and only counts are kept, so memory
stays flat in the number of issues.

That is right only while no id repeats (repeated ids are copies to merge or an event log to fold, which need every
row): ids are remembered as 64-bit hashes in a compact open-addressing table, and the first repeat stops the
stream (`NeedsAllRows`) so that the caller can run the ordinary path instead. A hash collision between two different
ids stops it too, which costs time, never correctness.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from escalate_cli.config import Config
from escalate_cli.errors import InputError
from escalate_cli.history import with_status
from escalate_cli.model import Clock, Issue, Problem, Report
from escalate_cli.readers import ReadOptions, encoding_label, read_export
from escalate_cli.readers.issues import _SNIFF_ROWS, IssueBuilder, RowError
from escalate_cli.readers.records import Malformed
from escalate_cli.sla import evaluate


class NeedsAllRows(Exception):
    """An id came twice (or rows must be skipped and counted): the export needs the ordinary path."""


class IdSet:
    """A set of 64-bit hashes in flat arrays, about 16 bytes an id (a set of str costs 100-odd). The hashes are
    spread over 256 tables that grow one at a time, so growing never holds two copies of everything."""

    BUCKETS = 256

    def __init__(self) -> None:
        self.tables = [array("q", bytes(8 * 64)) for _ in range(self.BUCKETS)]
        self.counts = [0] * self.BUCKETS
        self.size = 0

    def add(self, key: str) -> bool:
        """Add the key's hash; False if it was there already."""
        value = hash(key) or 1  # 0 marks an empty slot
        bucket = value & 255
        table = self.tables[bucket]
        mask = len(table) - 1
        i = (value >> 8) & mask
        while table[i]:
            if table[i] == value:
                return False
            i = (i + 1) & mask
        table[i] = value
        self.size += 1
        self.counts[bucket] += 1
        if self.counts[bucket] * 2 > mask:
            self.tables[bucket] = _rehashed(table)
        return True

    @property
    def slots(self) -> int:
        return sum(len(table) for table in self.tables)


def _rehashed(old: array[int]) -> array[int]:
    table = array("q", bytes(8 * 2 * len(old)))
    mask = len(table) - 1
    for value in old:
        if value:
            i = (value >> 8) & mask
            while table[i]:
                i = (i + 1) & mask
            table[i] = value
    return table


def stream_check(
    exports: Iterable[str],
    config: Config,
    options: ReadOptions,
    as_of: int,
    show_instant: Callable[[int], str],
    sink: Callable[[Clock], None],
) -> Report:
    """Evaluate every issue as it is read; each clock goes to `sink`, the report keeps only counts."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    report = evaluate(
        _issues(exports, config, options, errors, warnings),
        config.policies,
        as_of,
        show_instant,
        restart_on_reclassify=config.restart_on_reclassify,
        sink=sink,
    )
    report.errors, report.warnings = errors, warnings
    return report


def _issues(
    exports: Iterable[str], config: Config, options: ReadOptions, errors: list[Problem], warnings: list[Problem]
) -> Iterator[Issue]:
    ids = IdSet()
    for name in exports:
        rows = read_export(name, options)
        try:
            head = list(itertools.islice(rows.rows, _SNIFF_ROWS))
            builder = IssueBuilder(
                config, name, rows, [r for _, r in head if not isinstance(r, Malformed)], options.keep
            )
            count = 0
            for position, record in itertools.chain(head, rows.rows):
                count += 1
                if isinstance(record, Malformed):
                    errors.append(Problem(rows.where(position), record.message))
                    continue
                if builder.is_skipped(record):
                    raise NeedsAllRows  # the ordinary path says how many were skipped
                try:
                    issue = builder.build(record, rows.where(position))
                except RowError as exc:
                    errors.append(Problem(rows.where(position), str(exc)))
                    continue
                if not ids.add(issue.id):
                    raise NeedsAllRows
                yield with_status(issue, config.statuses)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: not {encoding_label(options.encoding)} text ({exc.reason}); try --encoding"
            ) from exc
        if count == 0:
            warnings.append(Problem(name, "the export has no records"))


def streamed_output(
    exports: list[str], config: Config, options: ReadOptions, as_of: int, fmt: str
) -> tuple[Report, Iterable[str]]:
    """Run the stream for `quiet`, `json` or `csv` output: the report (counts only) and the output, spooled
    through a temporary file so that nothing reaches the user before the stream has finished."""
    import csv
    import tempfile

    from escalate_cli.writers import csv_, iso, json_

    tz = config.timezone
    spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 - read back below
    extra: list[str] = []
    writer = csv.writer(spool, lineterminator="\n")

    def to_csv(clock: Clock) -> None:
        if not extra:
            extra.extend(clock.issue.fields)
        writer.writerow(csv_.row(clock, tz, extra))

    def to_json(clock: Clock) -> None:
        spool.write(json_.result_text(clock, tz) + "\0")

    sinks: dict[str, Callable[[Clock], None]] = {"csv": to_csv, "json": to_json, "quiet": lambda clock: None}
    try:
        report = stream_check(exports, config, options, as_of, lambda m: iso(m, tz) or "", sinks[fmt])
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    if fmt == "json":
        return report, json_.chunks(report, tz=tz, results=_spooled_items(spool))
    if fmt == "csv":
        header = _csv_line(csv_.header(extra))
        return report, itertools.chain([header], _spooled_blocks(spool))
    spool.close()
    return report, ()


def _csv_line(cells: list[str]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _spooled_blocks(spool: Any) -> Iterable[str]:
    with spool:
        while block := spool.read(1 << 16):
            yield block


def _spooled_items(spool: Any) -> Iterable[str]:
    rest = ""
    for block in _spooled_blocks(spool):
        parts = (rest + block).split("\0")
        rest = parts.pop()
        yield from parts
