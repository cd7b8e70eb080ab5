"""Records -> Issues through the config's field mapping; bad rows become located problems, never exceptions."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from escalate_cli.config import STANDARD_FIELDS, TIMESTAMP_FIELDS, Config
from escalate_cli.errors import InputError
from escalate_cli.model import Issue, Metric, Problem
from escalate_cli.readers import ReadOptions, encoding_label, read_export
from escalate_cli.readers.records import Malformed, Record, Rows
from escalate_cli.readers.timestamps import TimestampParser

_ABSENT = object()
_EMPTY: Record = {}  # shared by the issues that keep no raw column
TEXT_FIELDS = ("title", "priority", "status")


class RowError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.issue = ""  # the row's issue id, once read


def lookup(record: Record, path: str) -> object:
    """The value at a column name or a dotted path (`fields.priority.name`; through lists: `labels.name`)."""
    if path in record:
        return record[path]
    if "." not in path:
        return _ABSENT
    node: object = record
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part, _ABSENT)
        elif isinstance(node, list):
            node = [item.get(part) if isinstance(item, dict) else _ABSENT for item in node]
            node = [item for item in node if item is not _ABSENT]
        else:
            return _ABSENT
        if node is _ABSENT:
            return _ABSENT
    return node


def as_text(value: object) -> str:
    if value is None or value is _ABSENT:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(t for t in (as_text(item) for item in value) if t)
    if isinstance(value, dict):
        for key in ("name", "value", "display_value", "title"):
            if key in value:
                return as_text(value[key])
        return json.dumps(value, sort_keys=True)
    return str(value)


def as_labels(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(t for t in (as_text(item) for item in value) if t)
    text = as_text(value)
    return tuple(p.strip() for p in text.replace(";", ",").split(",") if p.strip())


_SLASH_DATE = re.compile(r"\s*(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}")
_SNIFF_ROWS = 1000


def detect_dayfirst(values: Iterable[object]) -> bool | None:
    """True if a date such as 29/2/2016 shows the day comes first, False if 3/17/2025 shows the month does."""
    votes = {True: 0, False: 0}
    for value in values:
        match = _SLASH_DATE.match(value) if isinstance(value, str) else None
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                votes[True] += 1
            elif second > 12 >= first:
                votes[False] += 1
    if votes[True] == votes[False]:
        return None
    return votes[True] > votes[False]


class IssueBuilder:
    """Builds the issues of one export: its columns are resolved once, from the header or the first record."""

    def __init__(
        self, config: Config, name: str, rows: Rows, sample: list[Record], keep: frozenset[str] | None = None
    ) -> None:
        self.config = config
        self.name = name
        self.keep = keep
        names = (*STANDARD_FIELDS, *(n for n in config.fields if n not in STANDARD_FIELDS))
        available = rows.columns if rows.columns is not None else (list(rows.first) if rows.first else [])
        probe: Record = {c: "" for c in available} if rows.columns is not None else (rows.first or {})
        self.columns = {n: self._resolve(n, probe, available, rows.columns is not None) for n in names}
        # the export's first-reply evidence: a column for first_response it has (else no first_response clock)
        self.replies_known = any(lookup(probe, c) is not _ABSENT for c in config.columns("first_response"))
        self.packed = {} if "first_response" in config.fields else dict(config.preset.packed)
        self.conversation = config.preset.conversation if config.reads_messages else None
        self.id_after = config.preset.id_after if "id" not in config.fields else None
        self.paths = tuple(sorted(key for key in config.columns_used() if "." in key))
        self.extra = tuple(n for n in config.fields if n not in STANDARD_FIELDS)
        self.codes = config.preset.codes
        self.skip_key = None if config.include_pull_requests else config.preset.skip_key
        dayfirst = config.dayfirst
        if dayfirst is None:
            stamps = (lookup(r, self.columns[f]) for r in sample for f in TIMESTAMP_FIELDS)
            dayfirst = bool(detect_dayfirst(stamps))
        self.parsers = {
            n: TimestampParser(
                config.timezone, dayfirst=dayfirst, fmt=config.fields[n].format if n in config.fields else None
            )
            for n in TIMESTAMP_FIELDS
        }

    def _whole(self, record: Record) -> Record:
        """The whole record, with the value of each dotted path the config names (`events.type`) as a key."""
        found = ((path, lookup(record, path)) for path in self.paths if path not in record)
        extra = {path: value for path, value in found if value is not _ABSENT}
        return {**record, **extra} if extra else record

    def _kept(self, record: Record) -> Record:
        """The raw columns kept, each by its name or its dotted path (`events.type`: through lists)."""
        assert self.keep is not None
        found = ((key, lookup(record, key)) for key in self.keep)
        return {key: value for key, value in found if value is not _ABSENT}

    def _resolve(self, field_name: str, probe: Record, available: list[str], has_header: bool) -> str:
        """The first candidate column the export has; refuses an export without a required or mapped one."""
        candidates = self.config.columns(field_name)
        for column in candidates:
            if lookup(probe, column) is not _ABSENT:
                return column
        required = field_name == "created" or (has_header and field_name in self.config.fields)
        if required and available:
            what = "required column" if field_name == "created" else "column"
            wanted = " or ".join(repr(c) for c in candidates)
            have = ", ".join(repr(c[:80]) for c in available[:40]) + (" ..." if len(available) > 40 else "")
            raise InputError(f"{self.name}: {what} {wanted} for field {field_name} not found; the export has: {have}")
        return candidates[0]

    def notes(self) -> list[Problem]:
        """What the export cannot tell, said once: a first_response target with no first-reply evidence."""
        if self.replies_known or not any(Metric.FIRST_RESPONSE in p.targets for p in self.config.policies):
            return []
        columns = " or ".join(repr(c) for c in self.config.columns("first_response"))
        return [
            Problem(
                self.name,
                f"no first-reply column ({columns}): first_response is not measured for its issues (never as "
                "the time to resolution); map the column that holds the first reply: fields: {first_response: "
                "COLUMN}",
            )
        ]

    def is_skipped(self, record: Record) -> bool:
        return self.skip_key is not None and record.get(self.skip_key) is not None

    def build(self, record: Record, where: str) -> Issue:
        columns = self.columns

        def get(name: str) -> object:
            column = columns[name]
            value = record.get(column, _ABSENT)
            return value if value is not _ABSENT or "." not in column else lookup(record, column)

        raw_id = get("id")
        issue_id = where if raw_id is _ABSENT else as_text(raw_id)
        if self.id_after and raw_id is not _ABSENT:
            issue_id = issue_id.rsplit(self.id_after, 1)[-1].strip()
        if not issue_id:
            raise RowError("id", "missing")
        try:
            return self._issue(record, where, issue_id, get)
        except RowError as exc:
            exc.issue = "" if raw_id is _ABSENT else issue_id  # a position is no id another run can match
            raise

    def _issue(self, record: Record, where: str, issue_id: str, get: Callable[[str], object]) -> Issue:
        created = self._timestamp("created", get("created"))
        if created is None:
            raise RowError("created", "missing")
        first_response = self._timestamp("first_response", get("first_response"))
        resolved = self._timestamp("resolved", get("resolved"))
        for stop_name, stop in (("first_response", first_response), ("resolved", resolved)):
            if stop is not None and stop < created:
                raise RowError(
                    stop_name, f"{as_text(get(stop_name))!r} is before created ({as_text(get('created'))!r})"
                )
        fields = {name: self._text(name, get(name)) for name in (*TEXT_FIELDS, *self.extra)}
        return Issue(
            id=issue_id,
            created=created,
            first_response=first_response,
            resolved=resolved,
            updated=self._timestamp("updated", get("updated")),
            fields=fields,
            labels=as_labels(get("labels")),
            record=self._whole(record) if self.keep is None else (self._kept(record) or _EMPTY),
            where=where,
            replies_known=self.replies_known,
        )

    def _text(self, name: str, value: object) -> str:
        text = as_text(value)
        codes = self.codes.get(name)
        return codes.get(text, text) if codes else text

    def _timestamp(self, name: str, value: object) -> int | None:
        if value is _ABSENT:
            return None
        if isinstance(value, list):  # a repeated column: the first value that is there
            value = next((v for v in value if as_text(v)), None)
        separator = self.packed.get(name)
        if separator is not None and isinstance(value, str):
            value = value.split(separator, 1)[0]
        try:
            return self.parsers[name].parse(value)
        except ValueError as exc:
            raise RowError(name, str(exc)) from None


@dataclass
class Collected:
    """Every row that became an issue, grouped by id in order of first appearance, plus what went wrong."""

    groups: dict[str, list[Issue]] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def collect(names: Iterable[str], config: Config, options: ReadOptions) -> Collected:
    out = Collected()
    for name in names:
        for issue in issues_of(name, config, options, out.errors, out.warnings):
            out.groups.setdefault(issue.id, []).append(issue)
    return out


def issues_of(
    name: str, config: Config, options: ReadOptions, errors: list[Problem], warnings: list[Problem]
) -> Iterator[Issue]:
    """The issues of one export in file order, as they are read; bad rows go to `errors`."""
    label = "<stdin>" if name == "-" else name
    rows = read_export(name, options)
    try:
        yield from issues_from(label, rows, config, errors, warnings, options.keep)
    except UnicodeDecodeError as exc:
        what = encoding_label(options.encoding)
        raise InputError(f"{label}: not {what} text ({exc.reason}); try --encoding") from exc
    finally:
        rows.close()


def issues_from(
    name: str, rows: Rows, config: Config, errors: list[Problem], warnings: list[Problem], keep: frozenset[str] | None
) -> Iterator[Issue]:
    """The issues of rows already open, in file order; bad rows go to `errors`."""
    head = list(itertools.islice(rows.rows, _SNIFF_ROWS))  # enough rows to tell day-first dates
    builder = IssueBuilder(config, name, rows, [r for _, r in head if not isinstance(r, Malformed)], keep)
    warnings += builder.notes()
    count = skipped = 0
    for position, record in itertools.chain(head, rows.rows):
        count += 1
        where = rows.where(position)
        if isinstance(record, Malformed):
            errors.append(Problem(where, record.message))
            continue
        if builder.is_skipped(record):
            skipped += 1
            continue
        try:
            yield builder.build(record, where)
        except RowError as exc:
            errors.append(Problem(where, str(exc), exc.issue))
    warnings += read_warnings(name, rows, count, skipped)


def read_warnings(name: str, rows: Rows, count: int, skipped: int) -> list[Problem]:
    """What reading an export of `count` records, `skipped` of them pull requests, has to say."""
    out = []
    if count == 0:
        out.append(Problem(name, "the export has no records"))
    if (replaced := rows.surrogate_warning(name)) is not None:
        out.append(replaced)
    if skipped:
        plural = "s" * (skipped != 1)
        out.append(Problem(name, f"skipped {skipped} pull request{plural} (include_pull_requests: true keeps them)"))
    return out
