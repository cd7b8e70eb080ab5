"""`check` without holding the export: each issue is evaluated as it is read and only counts are kept, so memory
stays flat in the number of issues.

That is right only while no id repeats (repeated ids are copies to merge or an event log to fold, which need every
row): ids are remembered as 64-bit hashes (`fastlane.IdHashes`), and a repeat, looked for after the first rows of
each export and at the end, stops the stream (`NeedsAllRows`) so that the caller can run the ordinary path
instead. Output is spooled meanwhile, so nothing reaches the user twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from escalate_cli.config import Config
from escalate_cli.errors import InputError
from escalate_cli.fastlane import IdHashes, Lane, Tally
from escalate_cli.history import with_status
from escalate_cli.model import Clock, Issue, Problem, Report
from escalate_cli.readers import ReadOptions, encoding_label, read_export
from escalate_cli.readers.issues import _SNIFF_ROWS, IssueBuilder, RowError
from escalate_cli.readers.records import Malformed, Row, Rows
from escalate_cli.sla import evaluate


class NeedsAllRows(Exception):
    """An id came twice (or rows must be skipped and counted): the export needs the ordinary path."""


def stream_check(
    exports: Iterable[str],
    config: Config,
    options: ReadOptions,
    as_of: int,
    show_instant: Callable[[int], str],
    sink: Callable[[Clock], None],
    *,
    counts_only: bool = False,
) -> Report:
    """Evaluate every issue as it is read; each clock goes to `sink`, the report keeps only counts. With
    `counts_only` (nothing needs the clocks themselves), plain CSV rows take the fast lane and reach no sink."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    tally = Tally() if counts_only else None
    report = evaluate(
        _issues(exports, config, options, as_of, errors, warnings, tally),
        config.policies,
        as_of,
        show_instant,
        restart_on_reclassify=config.restart_on_reclassify,
        sink=sink,
    )
    report.errors, report.warnings = errors, warnings
    if tally is not None and report.counted is not None:
        report.counted.update(tally.by_state())
        report.issues += tally.issues
    return report


def _issues(
    exports: Iterable[str],
    config: Config,
    options: ReadOptions,
    as_of: int,
    errors: list[Problem],
    warnings: list[Problem],
    tally: Tally | None,
) -> Iterator[Issue]:
    ids = IdHashes()
    for name in exports:
        rows = read_export(name, options)
        try:
            head = list(itertools.islice(rows.rows, _SNIFF_ROWS))
            builder = IssueBuilder(
                config, name, rows, [r for _, r in head if not isinstance(r, Malformed)], options.keep
            )
            yield from _built(head, builder, rows, config, ids, errors)
            if ids.repeats():
                raise NeedsAllRows  # an event log, most likely: better found before reading it all
            lane = Lane.for_export(config, builder, rows.cells, as_of) if tally is not None else None
            plain = tally.rows if tally is not None else 0
            rest = rows.rows if lane is None or tally is None else lane.rows(name, ids, tally)
            count = len(head) + (yield from _built(rest, builder, rows, config, ids, errors))
            count += tally.rows - plain if tally is not None else 0
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: not {encoding_label(options.encoding)} text ({exc.reason}); try --encoding"
            ) from exc
        if count == 0:
            warnings.append(Problem(name, "the export has no records"))
    if ids.repeats():
        raise NeedsAllRows


def _built(
    records: Iterable[Row], builder: IssueBuilder, rows: Rows, config: Config, ids: IdHashes, errors: list[Problem]
) -> Generator[Issue, None, int]:
    """Each record as an issue with its status applied; the number of records."""
    count = 0
    for position, record in records:
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
        ids.add(issue.id)
        yield with_status(issue, config.statuses)
    return count


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
        report = stream_check(
            exports, config, options, as_of, lambda m: iso(m, tz) or "", sinks[fmt], counts_only=fmt == "quiet"
        )
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
