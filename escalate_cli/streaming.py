"""`check` without holding the export: each issue is evaluated as it is read and only counts are kept, so memory
stays flat in the number of issues.

That is right only while no id repeats (repeated ids are copies to merge or an event log to fold, which need every
row): ids are remembered as 64-bit hashes (`fastlane.IdHashes`), and a repeat, looked for after the first rows of
each export and at the end, stops the stream (`NeedsAllRows`) so that the caller can run the ordinary path
instead. Output is spooled meanwhile, so nothing reaches the user twice.

A big CSV export is split in two (`halves`) for `--quiet` and JSON output: a forked process counts (or
evaluates into a spool of its own) the second half while this one reads the first.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from escalate_cli import halves
from escalate_cli.config import Config
from escalate_cli.errors import InputError
from escalate_cli.fastlane import STATES, IdHashes, Lane, Tally
from escalate_cli.history import with_status
from escalate_cli.lane_json import JsonResults
from escalate_cli.model import Clock, Issue, Problem, Report
from escalate_cli.readers import ReadOptions, encoding_label, read_export
from escalate_cli.readers.issues import _SNIFF_ROWS, IssueBuilder, RowError
from escalate_cli.readers.records import Malformed, Row
from escalate_cli.readers.source import plain_file
from escalate_cli.sla import evaluate
from escalate_cli.writers import Piece, Spooled


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
    spools: Spools | None = None,
) -> Report:
    """Evaluate every issue as it is read; each clock goes to `sink`, the report keeps only counts. With
    `counts_only` (nothing needs the clocks themselves), plain CSV rows take the fast lane and reach no sink.
    With `spools` (JSON results, where `sink` writes), the fast lane writes plain CSV rows' results there
    itself, and a big CSV export's second half is evaluated by a forked process into a spool of its own, which
    takes its place in `spools`; with `counts_only`, it is just counted."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    tally = Tally()
    with _few_collections():
        report = evaluate(
            _issues(exports, config, options, as_of, show_instant, errors, warnings, tally, counts_only, spools),
            config.policies,
            as_of,
            show_instant,
            restart_on_reclassify=config.restart_on_reclassify,
            sink=sink,
        )
    report.errors, report.warnings = errors, warnings
    if report.counted is not None:  # what the lane and a second half counted
        report.counted.update(tally.by_state())
        report.issues += tally.issues
    return report


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """The cyclic garbage collector, run rarely and over new objects only while the stream runs. The stream
    allocates a few short-lived lists and tuples per row, which free themselves (no cycles), and the collector
    went through them every 700 allocations: 3% of the run. What was built before (the config, modules,
    tables) is set aside (`gc.freeze`), so the collections that do run skip it, and a forked half does not
    copy the pages they would have touched."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], _YOUNG), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


_YOUNG = 50_000  # allocations between collections of the youngest generation while streaming (Python's is 700)


def _issues(
    exports: Iterable[str],
    config: Config,
    options: ReadOptions,
    as_of: int,
    show_instant: Callable[[int], str],
    errors: list[Problem],
    warnings: list[Problem],
    tally: Tally,
    counts_only: bool,
    spools: Spools | None,
) -> Iterator[Issue]:
    ids = IdHashes()
    for name in exports:
        rows = read_export(name, options)
        try:
            head = list(itertools.islice(rows.rows, _SNIFF_ROWS))
            builder = IssueBuilder(
                config, name, rows, [r for _, r in head if not isinstance(r, Malformed)], options.keep
            )
            early = list(_built(head, builder, rows.where, config, ids, errors))  # built, evaluated when yielded
            if ids.repeats():
                raise NeedsAllRows  # an event log, most likely: better found before reading it all
            lane = Lane.for_export(config, builder, rows.cells, as_of) if counts_only or spools is not None else None
            if lane is None:
                yield from early
                rest = yield from _built(rows.rows, builder, rows.where, config, ids, errors)
            else:
                if not counts_only:  # JSON: the lane writes the results of plain rows, or only splits the export
                    results = JsonResults.for_export(builder, lane.cells.header, rows.where, as_of, lane.keys)
                    if results is None:
                        lane.hand_over_all()
                    else:
                        lane.write_results(results)
                job = _Job(name, config, as_of, show_instant, builder, rows.where, spools)
                rest = yield from _laned(job, lane, ids, errors, tally, early)
            count = len(head) + rest
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: not {encoding_label(options.encoding)} text ({exc.reason}); try --encoding"
            ) from exc
        finally:
            rows.close()
        if count == 0:
            warnings.append(Problem(name, "the export has no records"))
    if ids.repeats():
        raise NeedsAllRows


@dataclass(frozen=True)
class _Job:
    """What evaluating one export's rows needs besides the rows."""

    name: str
    config: Config
    as_of: int
    show_instant: Callable[[int], str]
    builder: IssueBuilder
    where: Callable[[int], str]
    spools: Spools | None  # where clocks are written, if they are


def _laned(
    job: _Job, lane: Lane, ids: IdHashes, errors: list[Problem], tally: Tally, early: list[Issue]
) -> Generator[Issue, None, int]:
    """The `early` issues (already built), then the rest of a CSV export through the fast lane, rows it cannot
    read through the ordinary path; the number of records after the early ones. A big file's second half is read
    by a forked process meanwhile (`halves`), which finds where to split while the early issues are evaluated."""
    plain = tally.rows
    spill: Any = None
    child: halves.Forked[_Half | None] | None = None
    out = None  # the child's spool
    if lane.cells.head_bytes is not None and plain_file(job.name) and halves.worth_splitting(job.name):
        spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        out = job.spools.for_child() if job.spools is not None else None
        child = halves.Forked(lambda tell: _second_half(job, lane, tell, spill, out))
    try:
        yield from early
        split = child.heard() if child is not None else None
        assert split is None or isinstance(split, halves.Split)
        until = split.line if split is not None else None
        write = job.spools.write if job.spools is not None else None
        count = yield from _built(
            lane.rows(job.name, ids, tally, until=until, write=write), job.builder, job.where, job.config, ids, errors
        )
        held = lane.held
        if child is not None and split is not None and held is not None:
            half = child.result()
            if half is not None and half.first == held:  # the child began at the row this process stopped before
                if half.failure is not None:
                    raise half.failure
                errors.extend(half.errors)
                assert spill is not None
                spill.seek(0)
                ids.load(spill, half.ids)
                for n, more in enumerate(half.states):
                    tally.states[n] += more
                tally.issues += half.issues
                if out is not None and job.spools is not None:
                    job.spools.adopt(out)
                    out = None
                yield from half.unmatched
                return count + half.records + tally.rows - plain
            rest = lane.rows(job.name, ids, tally, pending=(held, split.line), write=write)  # read on here instead
            count += yield from _built(rest, job.builder, job.where, job.config, ids, errors)
        return count + tally.rows - plain
    finally:
        if child is not None:
            child.cancel()
        if spill is not None:
            spill.close()
        if out is not None:
            out.close()  # the child's results were not used


@dataclass
class _Half:
    """What the child counted in the second half, for the parent to add to its own counts."""

    first: list[str] | None  # the cells of its first row, for the parent to check the split against
    failure: BaseException | None = None  # what stopped it, to be raised in its place
    records: int = 0
    states: list[int] = field(default_factory=list)  # clocks per state, in fastlane.STATES order
    issues: int = 0  # matched issues
    unmatched: list[Issue] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # its id hashes per bucket, written to the spill file


def _second_half(job: _Job, lane: Lane, tell: Callable[[object], None], spill: Any, out: Spools | None) -> _Half | None:
    """In the child: find where to split and `tell` the parent (None: nowhere), then evaluate the rows from
    there to the end as the parent would have, the clocks into `out` (if given); the ids go to `spill`."""
    import csv
    import io

    assert lane.cells.head_bytes is not None
    split = halves.find_split(job.name, lane.cells.head_bytes, lane.cells.head_lines)
    tell(split)
    if split is None:
        return None
    with open(job.name, "rb") as raw:
        raw.seek(split.offset)
        lines = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        reader = csv.reader(lines, lane.cells.reader.dialect)
        try:
            first = next(reader, None)
        except (csv.Error, UnicodeDecodeError):
            return _Half(None)  # the split is inside a field: the parent will see it is no record boundary
        if first is None:
            return _Half(None)
        half = _Half(first)
        try:
            ids, tally, errors = IdHashes(), Tally(), half.errors
            lane = lane.with_lines(lines, reader.line_num)
            write = out.write if out is not None else None
            rows = lane.rows(job.name, ids, tally, first_line=split.line, pending=(first, 0), write=write)
            counted: list[int] = []

            def issues() -> Iterator[Issue]:
                counted.append((yield from _built(rows, job.builder, job.where, job.config, ids, errors)))

            report = evaluate(
                issues(),
                job.config.policies,
                job.as_of,
                job.show_instant,
                restart_on_reclassify=job.config.restart_on_reclassify,
                sink=out.sink if out is not None else lambda clock: None,
            )
            if out is not None:
                out.flush()
        except BaseException as exc:
            half.failure = exc
            return half
        assert report.counted is not None
        by_state = report.counted
        half.states = [n + by_state.get(state.value, 0) for n, state in zip(tally.states, STATES)]
        half.records = counted[0] + tally.rows
        half.issues = tally.issues + report.issues - len(report.unmatched)
        half.unmatched = report.unmatched
        half.ids = ids.dump(spill)
        spill.flush()
        return half


def _built(
    records: Iterable[Row],
    builder: IssueBuilder,
    where: Callable[[int], str],
    config: Config,
    ids: IdHashes,
    errors: list[Problem],
) -> Generator[Issue, None, int]:
    """Each record as an issue with its status applied; the number of records."""
    count = 0
    for position, record in records:
        count += 1
        if isinstance(record, Malformed):
            errors.append(Problem(where(position), record.message))
            continue
        if builder.is_skipped(record):
            raise NeedsAllRows  # the ordinary path says how many were skipped
        try:
            issue = builder.build(record, where(position))
        except RowError as exc:
            errors.append(Problem(where(position), str(exc)))
            continue
        ids.add(issue.id)
        yield with_status(issue, config.statuses)
    return count


def streamed_output(
    exports: list[str], config: Config, options: ReadOptions, as_of: int, fmt: str
) -> tuple[Report, Iterable[Piece]]:
    """Run the stream for `quiet`, `json` or `csv` output: the report (counts only) and the output, spooled
    through a temporary file so that nothing reaches the user before the stream has finished."""
    import csv
    import tempfile

    from escalate_cli.writers import csv_, iso, json_

    tz = config.timezone

    def show(moment: int) -> str:
        return iso(moment, tz) or ""

    if fmt == "json":  # a big export's second half may be evaluated into a spool of its own
        separator = json_.RESULT_SEPARATOR
        spools = Spools(lambda clock: separator + json_.result_text(clock, tz))
        try:
            report = stream_check(exports, config, options, as_of, show, spools.sink, spools=spools)
        except BaseException:
            spools.close()
            raise
        return report, json_.chunks(report, tz=tz, spooled=spools.parts())
    if fmt == "quiet":
        return stream_check(exports, config, options, as_of, show, lambda clock: None, counts_only=True), ()
    spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 - read back below
    extra: list[str] = []
    writer = csv.writer(spool, lineterminator="\n")

    def to_csv(clock: Clock) -> None:
        if not extra:
            extra.extend(clock.issue.fields)
        writer.writerow(csv_.row(clock, tz, extra))

    try:  # not split: the header needs the first clock's fields
        report = stream_check(exports, config, options, as_of, show, to_csv)
    except BaseException:
        spool.close()
        raise
    return report, itertools.chain([_csv_line(csv_.header(extra))], _parts([spool]))


def _csv_line(cells: list[str]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _parts(files: list[Any]) -> Iterator[Spooled]:
    """What each spool (a temporary text file) holds, as a part of the output; each file is closed once copied."""
    for file in files:
        with file:
            file.flush()
            yield Spooled(file.buffer, 0, os.fstat(file.fileno()).st_size, consumable=True)


class Spools:
    """Rendered clocks in temporary files, in output order, each after `json_.RESULT_SEPARATOR`: this
    process's, then after a split the child's, then this process's again (the next export's)."""

    def __init__(self, render: Callable[[Clock], str]) -> None:
        self.render = render
        self.files: list[Any] = []
        self._next()

    def _next(self) -> None:
        file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 - closed by blocks()
        self.files.append(file)
        self.write: Callable[[str], object] = file.write

    def sink(self, clock: Clock) -> None:
        self.write(self.render(clock))

    def for_child(self) -> Spools:
        """Spools of the same kind for a forked process's clocks, to `adopt` when they are used."""
        return Spools(self.render)

    def adopt(self, child: Spools) -> None:
        """The child's clocks come next; this process's later ones after them."""
        self.files.extend(child.files)
        self._next()

    def flush(self) -> None:
        self.files[-1].flush()

    def parts(self) -> Iterator[Spooled]:
        """What the files hold, in order; each file is closed once copied."""
        return _parts(self.files)

    def close(self) -> None:
        for file in self.files:
            file.close()
