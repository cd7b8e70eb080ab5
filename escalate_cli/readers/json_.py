"""JSON and NDJSON exports -> records. A JSON export is a list of records, bare or inside an envelope object."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import IO

from escalate_cli.errors import InputError
from escalate_cli.readers.records import Malformed, Record, Row, Rows

_NOT_AN_OBJECT = "expected a JSON object for an issue, got %s"
_TOO_DEEP = "JSON nested too deeply to read (more than about a thousand levels)"
ENVELOPE_KEYS = ("issues", "tickets", "data", "records", "results", "values", "items")


def whole_number(text: str) -> int | str:
    """A JSON integer; one too long for Python to convert (over 4,300 digits) is kept as its digits."""
    return int(text) if len(text) <= 4000 else text


def read_json(name: str, stream: IO[str], records_key: str | None) -> Rows:
    """A bare list of records is read one record at a time (`_streamed`), so memory does not grow with the
    export; an envelope object is read whole, as its list may come after other keys."""
    head = stream.read(_CHUNK)
    if records_key is None and head.lstrip(" \t\r\n").startswith("["):
        return _streamed(name, stream, head)
    with stream:
        text = head + stream.read()
    if not text.strip():
        raise InputError(f"{name}: the export is empty")
    try:
        document = json.loads(text, parse_int=whole_number)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}: malformed JSON: {exc.msg} (column {exc.colno})") from exc
    except RecursionError:
        raise InputError(f"{name}: {_TOO_DEEP}") from None
    path, items = _records(name, document, records_key)
    lines: list[int] = []
    shared: set[int] = set()  # lines that begin several records (a minified export): those say the record

    def where(index: int) -> str:
        if not lines:  # found only when a record needs reporting: a second parse of the text
            lines.extend(_element_lines(text, path))
            shared.update(line for line, n in Counter(lines).items() if n > 1)
        if index < len(lines) and lines[index] not in shared:
            return f"{name}:{lines[index]}"
        return f"{name}: record {index + 1}"

    surrogates: list[int] = []
    if _ESCAPE.search(text):
        items = [_clean(item, text, index, surrogates) for index, item in enumerate(items)]
    first = next((item for item in items if isinstance(item, dict)), None)
    rows = Rows(_rows(items), where, first=first)
    rows.surrogates = surrogates
    return rows


_CHUNK = 1 << 20
_SPACE = re.compile(r"[ \t\r\n]*")  # what json allows between values


def _streamed(name: str, stream: IO[str], head: str) -> Rows:
    """The records of a JSON list, each positioned at the line it starts on, decoded one by one from a buffer
    that holds about a megabyte of the text (more only for a record longer than that)."""
    surrogates: list[int] = []
    rows = _list_items(name, stream, head, surrogates)
    taken: list[Row] = []
    first: Record | None = None
    for row in rows:  # the first record, for the builder to check the mapping against
        taken.append(row)
        if isinstance(row[1], dict):
            first = row[1]
            break
    out = Rows(itertools.chain(taken, rows), lambda line: f"{name}:{line}", first=first, by_line=True)
    out.surrogates = surrogates
    return out


def _list_items(name: str, stream: IO[str], text: str, surrogates: list[int]) -> Iterator[Row]:
    decoder = json.JSONDecoder(parse_int=whole_number)
    line, mark = 1, 0  # the line that text[mark] is on
    eof = False

    def more() -> bool:
        """Read on (at least as much as is held, so that a long record is not decoded again and again)."""
        nonlocal text, eof
        chunk = "" if eof else stream.read(max(_CHUNK, len(text)))
        eof = not chunk
        text += chunk
        return not eof

    def space(pos: int) -> int:
        """The first position at or after `pos` that is not white space, reading on as needed."""
        pos = _space_end(text, pos)
        while pos == len(text) and more():
            pos = _space_end(text, pos)
        return pos

    def broken(message: str, at: int) -> _Broken:
        at_line = line + text.count("\n", mark, at)
        where = f"column {at - text.rfind(chr(10), 0, at)}"
        if message != "Extra data" and not ends_closed():
            where += "; the file ends before its list does: cut short?"
        return _Broken(at_line, f"malformed JSON: {message} ({where}); nothing after it is read")

    def ends_closed() -> bool:
        """Whether the text ends with the list's "]" (what is left of the stream is read, not kept)."""
        nonlocal eof
        tail = text[-64:]
        while not eof:
            chunk = stream.read(_CHUNK)
            eof = not chunk
            tail = (tail + chunk)[-64:] if chunk.strip(" \t\r\n") else tail
        return tail.rstrip(" \t\r\n").endswith("]")

    def closed(pos: int) -> bool:
        """Whether the list closes at `pos`; only white space may follow it."""
        if text[pos : pos + 1] != "]":
            return False
        if space(pos + 1) < len(text):
            raise broken("Extra data", space(pos + 1))
        return True

    try:
        pos = space(text.index("[") + 1)
        if closed(pos):
            return
        while True:  # the records before a malformed spot are read; the spot is a row error of its own
            while True:
                try:
                    item, end = decoder.raw_decode(text, pos)
                except json.JSONDecodeError as exc:
                    if more():
                        continue
                    raise broken(exc.msg, exc.pos) from None
                except RecursionError:
                    raise InputError(f"{name}:{line + text.count(chr(10), mark, pos)}: {_TOO_DEEP}") from None
                if end < len(text) or not more():  # a number at the end of the text may go on
                    break
            line += text.count("\n", mark, pos)
            mark = pos
            if "\\u" in text[pos:end]:  # only an escape can make a lone surrogate
                item = _clean(item, text[pos:end], line, surrogates)
            yield line, item if isinstance(item, dict) else Malformed(_NOT_AN_OBJECT % type(item).__name__)
            pos = space(end)
            if closed(pos):
                return
            if text[pos : pos + 1] != ",":
                raise broken("Expecting ',' delimiter", pos)
            pos = space(pos + 1)
            if pos > _CHUNK:  # forget what has been read
                line += text.count("\n", mark, pos)
                text, mark, pos = text[pos:], 0, 0
    except _Broken as exc:
        yield exc.line, Malformed(exc.message)
    finally:
        stream.close()


class _Broken(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _space_end(text: str, pos: int) -> int:
    """The first position at or after `pos` that is not white space between JSON values."""
    match = _SPACE.match(text, pos)
    return match.end() if match is not None else pos


def _rows(items: list[object]) -> Iterator[Row]:
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield index, item
        else:
            yield index, Malformed(_NOT_AN_OBJECT % type(item).__name__)


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
    decoder = json.JSONDecoder(parse_int=whole_number)
    pos = _space_end(text, 0)
    for part in path:  # walk down through the enclosing objects
        pos = _space_end(text, pos + 1)  # past "{"
        while text[pos] != "}":
            key, pos = decoder.raw_decode(text, pos)
            pos = _space_end(text, _space_end(text, pos) + 1)  # past ":"
            if key == part:
                break
            _, pos = decoder.raw_decode(text, pos)
            pos = _space_end(text, pos)
            if text[pos] == ",":
                pos = _space_end(text, pos + 1)
    starts = []
    if pos < len(text) and text[pos] == "[":
        pos = _space_end(text, pos + 1)
        while pos < len(text) and text[pos] != "]":
            starts.append(pos)
            _, pos = decoder.raw_decode(text, pos)
            pos = _space_end(text, pos)
            if text[pos] == ",":
                pos = _space_end(text, pos + 1)
    elif pos < len(text):
        starts.append(pos)
    lines, line, last = [], 1, 0
    for start in starts:
        line += text.count("\n", last, start)
        lines.append(line)
        last = start
    return lines


def read_ndjson(name: str, stream: IO[str]) -> Rows:
    rows = Rows(iter(()), lambda line: f"{name}:{line}", by_line=True)
    rows.rows = _ndjson_rows(stream, rows.surrogates)
    return rows


def _ndjson_rows(stream: IO[str], surrogates: list[int]) -> Iterator[Row]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            item = json.loads(text, parse_int=whole_number)
        except json.JSONDecodeError as exc:
            yield line, Malformed(f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield line, Malformed(_TOO_DEEP)
            continue
        if "\\u" in text:  # only an escape can make a lone surrogate
            item = _clean(item, text, line, surrogates)
        yield line, item if isinstance(item, dict) else Malformed(f"expected a JSON object, got {type(item).__name__}")


_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a surrogate's escape: only then can a decoded string hold a lone one


def _clean(item: object, text: str, position: int, surrogates: list[int]) -> object:
    """The record with every lone surrogate (valid JSON, not text) replaced by U+FFFD; `position` is noted."""
    if not _ESCAPE.search(text):
        return item
    cleaned = _replace_surrogates(item)
    if cleaned != item:
        surrogates.append(position)
    return cleaned


def _replace_surrogates(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_replace_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    return value


__all__ = ["Record", "read_json", "read_ndjson"]
