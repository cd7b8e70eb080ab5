"""The fast lane of a streamed `check`: plain CSV rows evaluated straight from their cells.

Most rows of a big export are plain: timestamps in ISO 8601 with an offset, and a status and matched fields seen
before. For those nothing is built. Counting (`--quiet`), a running clock's state comes from thresholds worked
out once per policy and metric (it has reached a share of its target exactly when it started at or before the
latest start that has, `sla.latest_start_reaching`); a stopped or paused one is measured with the calendar as
usual; only counts are kept. With JSON output (`write_results`), `lane_json` writes each clock's result. Every
other row (another timestamp form, an error, an unmatched issue, the first row of each new
combination of status and matched fields) goes to the ordinary path as its record, so the lane never decides
anything the ordinary path would decide differently. Tests compare the two paths on random exports.
"""

from __future__ import annotations

import copy
import csv
import itertools
import re
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from escalate_cli.business_time import Calendar, OpenTables
from escalate_cli.config import TIMESTAMP_FIELDS, Config
from escalate_cli.errors import InputError
from escalate_cli.history import status_of
from escalate_cli.model import Metric, Policy, State
from escalate_cli.readers.issues import TEXT_FIELDS, IssueBuilder, RowError
from escalate_cli.readers.records import Cells, Malformed, Record
from escalate_cli.sla import PolicyMatcher, latest_start_reaching

if TYPE_CHECKING:
    from escalate_cli.lane_json import JsonResults

STATES = (State.OK, State.WARNING, State.BREACHED, State.PAUSED, State.MET, State.MISSED)
OK, WARNING, BREACHED, PAUSED, MET, MISSED = range(6)
NEVER = -(1 << 62)
_YEAR = 365 * 86_400
_STAMPS = ("created", "first_response", "resolved", "updated")  # the order the lane reads them in
# Results written at once: about 90 kB of JSON, which stays in the processor's cache while it is joined, encoded
# and written (512 at once took 0.1-0.5 s longer at 1M issues, 16 at once as long, in alternating runs)
_BATCH = 128


class IdHashes:
    """Ids remembered as 64-bit hashes, 8 bytes each, in 256 arrays by their low byte. Repeats are looked for
    when asked, one array at a time, so no big set is ever built. Two different ids with one hash read as a
    repeat, which costs time (the ordinary path), never correctness."""

    def __init__(self) -> None:
        self.buckets = [array("q") for _ in range(256)]
        self.appends = [bucket.append for bucket in self.buckets]

    def add(self, key: str) -> None:
        hashed = hash(key)
        self.appends[hashed & 255](hashed)

    def dump(self, file: BinaryIO) -> list[int]:
        """Write the hashes to a binary file, bucket after bucket; how many each bucket holds."""
        for bucket in self.buckets:
            bucket.tofile(file)
        return [len(bucket) for bucket in self.buckets]

    def load(self, file: BinaryIO, sizes: list[int]) -> None:
        """Add hashes written by `dump`, read straight into the buckets."""
        for bucket, size in zip(self.buckets, sizes):
            bucket.fromfile(file, size)

    def repeats(self) -> bool:
        return any(len(set(bucket)) < len(bucket) for bucket in self.buckets)

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self.buckets)


_PENDING = '"the pending row"'  # a line of its own (no line read is this very object), with a quote in it


class _Feed:
    """The lines of a csv reader that reads the rows with quotes in them: the line the lane looked at, then
    the source's lines, counted."""

    def __init__(self, source: Iterator[str]) -> None:
        self.source = source
        self.first: str | None = None
        self.taken = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        self.taken += 1
        if self.first is not None:
            line, self.first = self.first, None
            return line
        return next(self.source)


class _Odd(Exception):
    """A cell the lane does not read the way the ordinary path would: the row takes the ordinary path."""


@dataclass
class Tally:
    """What the lane counted: clocks per state (in STATES order) and issues."""

    states: list[int] = field(default_factory=lambda: [0] * len(STATES))
    issues: int = 0
    rows: int = 0

    def by_state(self) -> dict[str, int]:
        return {state.value: n for state, n in zip(STATES, self.states) if n}


RESOLUTION, FIRST_RESPONSE, UPDATE = range(3)
METRIC_CODES = {Metric.RESOLUTION: RESOLUTION, Metric.FIRST_RESPONSE: FIRST_RESPONSE, Metric.UPDATE: UPDATE}
# Per metric: (its code, target, latest start of a breach, of a warning, pausable, the calendar's opened_function)
_Plan = tuple[int, int, int, int, bool, Callable[[int], int] | None]
# Per combination of status and matched fields: the policy's metric plans (or `JsonResults` plans), closed,
# paused; None: the ordinary path
_Entry = tuple[tuple[Any, ...], bool, bool] | None


class Lane:
    """The fast lane for one CSV export, a config and an instant."""

    def __init__(
        self,
        config: Config,
        builder: IssueBuilder,
        cells: Cells,
        as_of: int,
        indices: dict[str, int],
        keys: list[int],
    ) -> None:
        self.config, self.builder, self.cells, self.as_of = config, builder, cells, as_of
        self.oldest = as_of - 50 * _YEAR  # thresholds are searched this far back; older starts go the usual way
        self.pad = len(cells.header) in indices.values()  # a column is missing: each row gets an empty cell
        self.stamps = itemgetter(indices["id"], *(indices[n] for n in _STAMPS))
        self.keys = keys  # the columns of the key to `entries`
        self.key_of: Callable[[list[str]], object] = itemgetter(*keys) if keys else (lambda cells: None)
        self.parse = tuple(builder.parsers[n].parse for n in _STAMPS)
        self.entries: dict[object, _Entry] = {}
        self.plans: dict[str, tuple[_Plan, ...]] = {}
        self.tables: dict[Calendar, OpenTables | None] = {}  # one per calendar, its days shared
        self.matcher = PolicyMatcher(config.policies)
        self.held: list[str] | None = None  # see rows(until=...)
        self.results: JsonResults | None = None  # see write_results
        # The lines the csv reader reads (it has read the head), and how many it has read.
        self.source: Iterator[str] = cells.lines
        self.line: int = cells.reader.line_num
        dialect = cells.reader.dialect
        plain = (
            dialect.quotechar == '"'  # as in _PENDING
            and dialect.escapechar is None
            and not dialect.skipinitialspace
            and dialect.quoting == csv.QUOTE_MINIMAL
        )
        self.quote = '"' if plain else ""  # a line without it is its cells split at the delimiter; "" is in all
        self.delimiter: str = dialect.delimiter

    @classmethod
    def for_export(cls, config: Config, builder: IssueBuilder, cells: Cells | None, as_of: int) -> Lane | None:
        """None when the export's columns need the ordinary path: not CSV, no id column, repeated or dotted
        columns among those used, explicit timestamp formats, rows to skip."""
        if cells is None or any(config.fields[n].format for n in TIMESTAMP_FIELDS if n in config.fields):
            return None
        header = cells.header
        position = {name: i for i, name in enumerate(header)}
        if builder.skip_key is not None and builder.skip_key in position:
            return None
        columns = builder.columns
        indices = {name: position.get(columns[name], -1) for name in ("id", *_STAMPS)}
        if indices["id"] < 0 or indices["created"] < 0:
            return None
        mapped = {"id", "labels", *TEXT_FIELDS, *builder.extra}  # as sla.field_values reads them; others are raw
        wanted = {"status", *(c.key for policy in config.policies for c in policy.match)}
        key_columns = {columns[key] if key in mapped else key for key in wanted}
        if any(header.count(c) > 1 for c in (*key_columns, *(columns[n] for n in ("id", *_STAMPS)))):
            return None
        width = len(header)
        for name, index in indices.items():
            if index < 0:
                indices[name] = width  # an empty cell appended to each row
        keys = sorted(position[c] for c in key_columns if c in position)  # absent columns read as constants
        return cls(config, builder, cells, as_of, indices, keys)

    def hand_over_all(self) -> None:
        """Count nothing: hand every row to the ordinary path (what a lane still does then: stop at a line)."""
        self.key_of = lambda cells: None
        self.entries = {None: None}

    def write_results(self, results: JsonResults) -> None:
        """Write the JSON results of plain rows (to `rows(write=...)`) instead of only counting them."""
        self.results = results
        self.entries = {}

    def with_lines(self, source: Iterator[str], line: int) -> Lane:
        """The same lane reading other lines of the same export (another part of its file), `line` of them
        read already."""
        lane = copy.copy(self)
        lane.source, lane.line = source, line
        lane.entries, lane.held = dict(self.entries), None
        return lane

    def rows(
        self,
        name: str,
        ids: IdHashes,
        tally: Tally,
        *,
        first_line: int = 0,
        until: int | None = None,
        pending: tuple[list[str], int] | None = None,
        write: Callable[[str], object] | None = None,
    ) -> Iterator[tuple[int, Record | Malformed]]:
        """Run through the rest of the export: plain rows are counted into `tally` and their ids added to `ids`;
        every other row is yielded as (first line, record) for the ordinary path. The source's lines are
        numbered from `first_line`. With `until`, the run ends before the row that starts on the line after it,
        keeping that row's cells in `held`; if no row starts there, it reads on to the end (`held` stays None).
        `pending`: a row already read (its cells and the line before it) to take first. With `write_results`,
        the plain rows' results go to `write`, in order with those of the rows yielded.

        A line without a quote character is a whole row, split at the delimiter as the csv reader would split
        it; a line with one goes to a csv reader (with the lines after it, if a quoted field runs on)."""
        as_of, add_hash = self.as_of, ids.appends
        record_of, quote, delimiter = self.cells.record, self.quote, self.delimiter
        feed = _Feed(self.source)
        quoted = csv.reader(feed, self.cells.reader.dialect)
        width, pad, key_of, stamps = len(self.cells.header), self.pad, self.key_of, self.stamps
        entries_get = self.entries.get
        states, epochs = tally.states, _Epochs(self.parse)
        # A part not known yet gets None, which makes the sum raise TypeError: then the row is read the slow way.
        days_get = cast(Callable[[str], int], epochs.days.get)
        minutes_get = cast(Callable[[str], int], epochs.minutes.get)
        seconds_get = cast(Callable[[str], int], epochs.seconds.get)
        read_stamps = epochs.read
        oldest = self.oldest
        results = self.results.issue if self.results is not None else None
        written: list[str] = []  # results not written yet: written before a row is yielded
        if results is not None and write is None:
            raise ValueError("a lane that writes results needs rows(write=...)")
        emit = write if write is not None else _no_results
        plain = issues = 0
        line = self.line
        limit = sys.maxsize if until is None else until - first_line
        self.held = None
        try:
            for text in self.source if pending is None else itertools.chain((_PENDING,), self.source):
                if quote not in text:
                    line += 1
                    start = line
                    text = text.rstrip("\r\n")
                    cells = text.split(delimiter) if text else []
                elif text is _PENDING:
                    assert pending is not None
                    cells, start = pending[0], pending[1] + 1
                else:
                    start = line + 1
                    feed.first, feed.taken = text, 0
                    cells = next(quoted)
                    line += feed.taken
                if start > limit:
                    if start == limit + 1:
                        self.held = cells
                        return
                    limit = sys.maxsize  # a row runs across `until`: no split there after all
                entry = entries_get(key_of(cells), False) if len(cells) == width else None
                if not entry:
                    if entry is False:
                        self._learn(cells)
                    record = record_of(cells)
                    if record is not None:
                        if written:
                            emit("".join(written))
                            written.clear()
                        yield first_line + start, record
                    continue
                if pad:
                    cells.append("")
                ident, created_text, response_text, resolved_text, updated_text = stamps(cells)
                created: int | None
                try:  # the usual cells, three lookups each
                    created = (
                        days_get(created_text[:10]) + minutes_get(created_text[10:16]) + seconds_get(created_text[16:])
                    )
                    response = (
                        days_get(response_text[:10])
                        + minutes_get(response_text[10:16])
                        + seconds_get(response_text[16:])
                        if response_text
                        else None
                    )
                    resolved = (
                        days_get(resolved_text[:10])
                        + minutes_get(resolved_text[10:16])
                        + seconds_get(resolved_text[16:])
                        if resolved_text
                        else None
                    )
                    if not updated_text:
                        updated = None
                    elif updated_text == resolved_text:
                        updated = resolved
                    elif updated_text == response_text:
                        updated = response
                    else:
                        updated = (
                            days_get(updated_text[:10])
                            + minutes_get(updated_text[10:16])
                            + seconds_get(updated_text[16:])
                        )
                except TypeError:
                    created, response, resolved, updated = read_stamps(
                        created_text, response_text, resolved_text, updated_text
                    )
                ident = ident.strip()
                if (
                    created is None
                    or created < oldest
                    or not ident
                    or (response is not None and response < created)
                    or (resolved is not None and resolved < created)
                ):
                    if pad:
                        cells.pop()
                    record = record_of(cells)
                    if record is not None:
                        if written:
                            emit("".join(written))
                            written.clear()
                        yield first_line + start, record
                    continue
                plain += 1
                hashed = hash(ident)
                add_hash[hashed & 255](hashed)
                if created > as_of:
                    continue  # it did not exist yet
                issues += 1
                plans, closed, paused = entry  # type: ignore[misc]  # a tuple: not None, not False
                since = updated if updated is not None and updated > created else created
                if closed and resolved is None:
                    resolved, paused = since, False
                if results is not None:
                    results(
                        cells,
                        first_line + start,
                        ident,
                        created,
                        response,
                        resolved,
                        since,
                        paused,
                        plans,
                        states,
                        written,
                    )
                    if len(written) >= _BATCH:
                        emit("".join(written))
                        written.clear()
                    continue
                at_created = None  # the calendar's open seconds up to created, once a clock needs them
                for code, target, breach_at, warn_at, pausable, opened in plans:
                    if code == RESOLUTION:
                        begin, stop = created, resolved
                    elif code == FIRST_RESPONSE:
                        begin, stop = created, response if response is not None else resolved
                    else:
                        begin, stop = since, resolved
                    if paused and pausable:
                        held = since if since > begin else begin  # where the pause starts
                        if stop is not None and stop <= as_of:
                            spent = _spent(opened, begin, held if held <= stop else stop)
                            states[MET if spent <= target else MISSED] += 1
                            continue
                        if held <= as_of:
                            states[BREACHED if _spent(opened, begin, held) >= target else PAUSED] += 1
                            continue
                    if stop is not None and stop <= as_of:
                        if stop - begin <= target:  # business time never exceeds wall time
                            states[MET] += 1
                        elif opened is None:
                            states[MISSED] += 1
                        else:
                            if begin != created:
                                before = opened(begin)
                            elif at_created is None:
                                before = at_created = opened(created)
                            else:
                                before = at_created
                            states[MET if opened(stop) - before <= target else MISSED] += 1
                    elif begin <= breach_at:
                        states[BREACHED] += 1
                    elif begin <= warn_at:
                        states[WARNING] += 1
                    else:
                        states[OK] += 1
        except csv.Error as exc:
            raise InputError(f"{name}:{first_line + line + 1}: malformed CSV: {exc}") from exc
        finally:
            if written:
                emit("".join(written))
            self.line = line
            tally.rows += plain
            tally.issues += issues

    def _learn(self, cells: list[str]) -> None:
        """Find the policy and status kind of a new combination of status and matched fields from the row
        built the ordinary way; a row that does not build leaves it unknown, for the next row to try."""
        record = self.cells.record(cells)
        if not isinstance(record, dict):
            return
        try:
            issue = self.builder.build(record, "")
        except RowError:
            return
        if len(self.entries) > 100_000:  # free-text match keys would make it grow without bound
            self.entries.clear()
        policy = self.matcher(issue)
        status = status_of(issue)
        statuses = self.config.statuses
        plans = None if policy is None else self._plans(policy)
        self.entries[self.key_of(cells)] = (
            None if plans is None else (plans, status in statuses.closed, status in statuses.paused)
        )

    def _plans(self, policy: Policy) -> tuple[Any, ...] | None:
        calendar = policy.calendar
        if calendar not in self.tables:
            self.tables[calendar] = calendar.tables(self.as_of)
        tables = self.tables[calendar]
        if self.results is not None:
            return self.results.plans_for(policy, tables)
        if policy.name not in self.plans:
            opened = None if tables is None else tables.opened
            self.plans[policy.name] = tuple(
                _plan(policy, metric, target, self.as_of, self.oldest, opened)
                for metric, target in policy.targets.items()
            )
        return self.plans[policy.name]


def _plan(
    policy: Policy, metric: Metric, target: int, as_of: int, oldest: int, opened: Callable[[int], int] | None
) -> _Plan:
    calendar = policy.calendar

    def latest(seconds: int) -> int:
        found = latest_start_reaching(calendar, seconds, as_of, oldest)
        return NEVER if found is None else found

    warn_at = max((latest(threshold.elapsed_at(target)) for threshold in policy.warn), default=NEVER)
    return METRIC_CODES[metric], target, latest(target), warn_at, metric in policy.pause, opened


def _no_results(text: str) -> None:
    raise AssertionError("only a lane with write_results has results to write")


def _spent(opened: Callable[[int], int] | None, begin: int, end: int) -> int:
    """Open seconds from begin to end (at least begin), by a calendar's `opened_function`."""
    return end - begin if opened is None else opened(end) - opened(begin)


class _Epochs:
    """Epoch seconds of timestamp cells, as the field's parser reads them. A timestamp with an explicit offset,
    `YYYY-MM-DD[T ]HH:MM:SS` then `Z` or `+HH:MM`, is the epoch of its date's UTC midnight, plus the seconds of
    its hour and minute (`THH:MM`), plus its seconds less the offset (`:SSZ`): the parser's own reading of that
    form. The three parts are remembered in three small dictionaries (a few thousand entries, which stay in the
    processor's cache: one dictionary of whole times of day is five times as slow to look up), so the usual
    cell costs three lookups; any other form goes to the parser."""

    def __init__(self, parsers: tuple[Callable[[object], int | None], ...]) -> None:
        self.days: dict[str, int] = {}  # "YYYY-MM-DD" -> its UTC midnight
        self.minutes: dict[str, int] = {}  # "THH:MM" -> its seconds after midnight
        self.seconds: dict[str, int] = {}  # ":SSZ", ":SS+HH:MM" -> its seconds less the offset
        self.parsers = parsers  # those of _STAMPS, in order

    def read(
        self, created: str, response: str, resolved: str, updated: str
    ) -> tuple[int | None, int | None, int | None, int | None]:
        """The four timestamps of a row, any of them not known in parts yet (None for created: an odd cell)."""
        try:
            return (
                self.epoch(created, self.parsers[0]) if created else None,
                self.epoch(response, self.parsers[1]) if response else None,
                self.epoch(resolved, self.parsers[2]) if resolved else None,
                self.epoch(updated, self.parsers[3]) if updated else None,
            )
        except _Odd:
            return None, None, None, None

    def epoch(self, text: str, parse: Callable[[object], int | None]) -> int | None:
        day = self.days.get(text[:10])
        minutes = self.minutes.get(text[10:16])
        seconds = self.seconds.get(text[16:])
        if day is None or minutes is None or seconds is None:
            return self.learn(text, parse)
        return day + minutes + seconds

    def learn(self, text: str, parse: Callable[[object], int | None]) -> int | None:
        """A cell not seen in parts yet: split it if it has the form, else ask the parser."""
        match = _SPLITS.fullmatch(text)
        if match is not None:
            day_text, hour, minute, second, zone = match.groups()
            midnight = self.days.get(day_text)
            if midnight is None:
                try:
                    day = date.fromisoformat(day_text)
                except ValueError:
                    day = None
                if day is not None and _FIRST_DAY < day < _LAST_DAY:  # so every sum stays in the parser's years
                    midnight = self.days[day_text] = (day.toordinal() - _EPOCH_ORDINAL) * 86_400
            h, m, s = int(hour), int(minute), int(second)
            offset = 0 if zone == "Z" else (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * (-1 if zone[0] == "-" else 1)
            if midnight is not None and h < 24 and m < 60 and s < 60 and abs(offset) < 86_400:  # as `timezone`
                if len(self.seconds) > 100_000:  # many offsets: do not grow without bound
                    self.seconds.clear()
                self.minutes[text[10:16]] = h * 3600 + m * 60
                self.seconds[text[16:]] = s - offset
                return midnight + h * 3600 + m * 60 + s - offset
        try:
            return parse(text)
        except ValueError:
            raise _Odd from None


_SPLITS = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})")
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
