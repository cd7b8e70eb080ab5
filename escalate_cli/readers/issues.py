"""Records -> Issues through the config's field mapping; bad rows become located problems, never exceptions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from escalate_cli.config import STANDARD_FIELDS, TIMESTAMP_FIELDS, Config
from escalate_cli.errors import InputError
from escalate_cli.model import Issue, Problem
from escalate_cli.readers import ReadOptions, encoding_label, read_export
from escalate_cli.readers.records import Malformed, Record, Rows
from escalate_cli.readers.timestamps import TimestampParser

_ABSENT = object()
TEXT_FIELDS = ("title", "priority", "status")


class RowError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")


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


class IssueBuilder:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.columns = {name: config.column(name) for name in (*STANDARD_FIELDS, *config.fields)}
        self.extra = tuple(name for name in config.fields if name not in STANDARD_FIELDS)
        self.parsers = {
            name: TimestampParser(
                config.timezone,
                dayfirst=config.dayfirst,
                fmt=config.fields[name].format if name in config.fields else None,
            )
            for name in TIMESTAMP_FIELDS
        }

    def check(self, name: str, rows: Rows) -> None:
        """Refuse an export that lacks a required or explicitly mapped column, naming the ones it has."""
        available = rows.columns if rows.columns is not None else (list(rows.first) if rows.first else None)
        if available is None:
            return
        sample: Record = {column: "" for column in available} if rows.columns is not None else (rows.first or {})
        for field_name in ("created", *self.config.fields):
            column = self.columns[field_name]
            if field_name == "id" or lookup(sample, column) is not _ABSENT:
                continue
            if rows.columns is None and field_name != "created":
                continue  # JSON records may leave out optional keys
            what = "required column" if field_name == "created" else "column"
            have = ", ".join(repr(c) for c in available[:40]) + (" ..." if len(available) > 40 else "")
            raise InputError(f"{name}: {what} {column!r} for field {field_name} not found; the export has: {have}")

    def build(self, record: Record, where: str) -> Issue:
        def get(name: str) -> object:
            return lookup(record, self.columns[name])

        raw_id = get("id")
        issue_id = where if raw_id is _ABSENT else as_text(raw_id)
        if not issue_id:
            raise RowError("id", "missing")
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
        fields = {name: as_text(get(name)) for name in (*TEXT_FIELDS, *self.extra)}
        labels = as_labels(get("labels"))
        return Issue(
            id=issue_id,
            created=created,
            first_response=first_response,
            resolved=resolved,
            updated=self._timestamp("updated", get("updated")),
            fields=fields,
            labels=labels,
            record=record,
            where=where,
        )

    def _timestamp(self, name: str, value: object) -> int | None:
        if value is _ABSENT:
            return None
        if isinstance(value, list):  # a repeated column: the first value that is there
            value = next((v for v in value if as_text(v)), None)
        try:
            return self.parsers[name].parse(value)
        except ValueError as exc:
            raise RowError(name, str(exc)) from None


@dataclass
class Collected:
    issues: list[Issue] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def collect(names: Iterable[str], config: Config, options: ReadOptions) -> Collected:
    """Every issue of every export, by id: a later row with the same id replaces the earlier one (with a warning)."""
    builder = IssueBuilder(config)
    out = Collected()
    by_id: dict[str, Issue] = {}
    for name in names:
        rows = read_export(name, options)
        builder.check("<stdin>" if name == "-" else name, rows)
        count = 0
        try:
            for position, record in rows.rows:
                count += 1
                where = rows.where(position)
                if isinstance(record, Malformed):
                    out.errors.append(Problem(where, record.message))
                    continue
                try:
                    issue = builder.build(record, where)
                except RowError as exc:
                    out.errors.append(Problem(where, str(exc)))
                    continue
                earlier = by_id.get(issue.id)
                if earlier is not None:
                    out.warnings.append(
                        Problem(where, f"duplicate id {issue.id!r} (also at {earlier.where}); the last row wins")
                    )
                    del by_id[issue.id]  # re-inserted below, so the issue takes the later row's place in the order
                by_id[issue.id] = issue
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: not {encoding_label(options.encoding)} text ({exc.reason}); try --encoding"
            ) from exc
        if count == 0:
            out.warnings.append(Problem(name, "the export has no records"))
    out.issues = list(by_id.values())
    return out
