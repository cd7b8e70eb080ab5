"""JSON and NDJSON exports -> records. A JSON export is a list of records, bare or inside an envelope object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from escalate_cli.errors import InputError
from escalate_cli.readers.records import Malformed, Record, Row, Rows

ENVELOPE_KEYS = ("issues", "tickets", "data", "records", "results", "values", "items")


def read_json(name: str, stream: IO[str], records_key: str | None) -> Rows:
    text = stream.read()
    if not text.strip():
        raise InputError(f"{name}: the export is empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}: malformed JSON: {exc.msg} (column {exc.colno})") from exc
    path, items = _records(name, document, records_key)
    lines: list[int] = []

    def where(index: int) -> str:
        if not lines:  # found only when a record needs reporting: a second parse of the text
            lines.extend(_element_lines(text, path))
        return f"{name}:{lines[index]}" if index < len(lines) else f"{name}: record {index + 1}"

    first = next((item for item in items if isinstance(item, dict)), None)
    return Rows(_rows(items), where, first=first)


def _rows(items: list[object]) -> Iterator[Row]:
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield index, item
        else:
            yield index, Malformed(f"expected a JSON object for an issue, got {type(item).__name__}")


def _records(name: str, document: object, key: str | None) -> tuple[list[str], list[object]]:
    """The path to the list of records and the list itself."""
    if key is not None:
        node: object = document
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise InputError(f"{name}: no key {key!r} (from `records:` in the config) in the JSON")
            node = node[part]
        if not isinstance(node, list):
            raise InputError(f"{name}: {key!r} is not a list of records")
        return key.split("."), node
    if isinstance(document, list):
        return [], document
    if isinstance(document, dict):
        for candidate in ENVELOPE_KEYS:
            if isinstance(document.get(candidate), list):
                return [candidate], document[candidate]
        lists = [k for k, v in document.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1:
            return [lists[0]], document[lists[0]]
        if not lists and ("id" in document or "key" in document):
            return [], [document]  # a single issue on its own
        keys = ", ".join(map(repr, document)) or "none"
        raise InputError(f"{name}: no list of records found (keys: {keys}); name it with `records:` in the config")
    raise InputError(f"{name}: expected a JSON list or object, got {type(document).__name__}")


def _element_lines(text: str, path: list[str]) -> list[int]:
    """Line numbers (1-based) where each element of the list at `path` starts."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    for part in path:  # walk down through the enclosing objects
        pos = _skip(text, pos + 1)  # past "{"
        while text[pos] != "}":
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, _skip(text, pos) + 1)  # past ":"
            if key == part:
                break
            _, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
    starts = []
    if pos < len(text) and text[pos] == "[":
        pos = _skip(text, pos + 1)
        while pos < len(text) and text[pos] != "]":
            starts.append(pos)
            _, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
    elif pos < len(text):
        starts.append(pos)
    lines, line, last = [], 1, 0
    for start in starts:
        line += text.count("\n", last, start)
        lines.append(line)
        last = start
    return lines


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def read_ndjson(name: str, stream: IO[str]) -> Rows:
    return Rows(_ndjson_rows(stream), lambda line: f"{name}:{line}")


def _ndjson_rows(stream: IO[str]) -> Iterator[Row]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            yield line, Malformed(f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        yield line, item if isinstance(item, dict) else Malformed(f"expected a JSON object, got {type(item).__name__}")


__all__ = ["Record", "read_json", "read_ndjson"]
