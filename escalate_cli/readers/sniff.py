"""Which tool wrote an export, from its first megabyte: a CSV's header, or the first record of a JSON list, an
envelope's list or NDJSON. The preset whose columns the export has most of wins (its id and created columns
required); generic when none. `init` and, without a `source:` anywhere, every command use it per export.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib

from escalate_cli.presets import PRESETS
from escalate_cli.readers.json_ import whole_number

SAMPLE = 1 << 20


def detect(name: str, encoding: str = "utf-8-sig") -> str:
    """The preset for the export at `name` (a path; stdin cannot be read twice, so it is not sniffed)."""
    try:
        columns, first = _sample(name, encoding)
    except (OSError, EOFError, UnicodeDecodeError, LookupError, ValueError, RecursionError, csv.Error, zlib.error):
        return "generic"  # the reader will say what is wrong with it
    return best(columns, first)


def best(columns: set[str], first: dict[str, object] | None) -> str:
    from escalate_cli.readers.issues import _ABSENT, lookup

    def has(path: str) -> bool:
        return path in columns or (first is not None and lookup(first, path) is not _ABSENT)

    chosen, score = "generic", 0.0
    for name, preset in PRESETS.items():
        if name == "generic" or not all(any(has(c) for c in preset.fields[f]) for f in ("id", "created")):
            continue
        found = sum(any(has(c) for c in candidates) for candidates in preset.fields.values()) + 0.0
        found += 0.5 * has(preset.fields["id"][0])  # the tool's own id column (GitHub's number, GitLab's iid)
        if found > score:
            chosen, score = name, found
    return chosen


def _sample(name: str, encoding: str) -> tuple[set[str], dict[str, object] | None]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(name, "rb") as raw:
        data = raw.read(SAMPLE + 1)
    whole = len(data) <= SAMPLE
    text = data[:SAMPLE].decode(encoding, errors="replace" if not whole else "strict").lstrip("\ufeff \t\r\n")
    if not text.startswith(("[", "{")):
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
        if len(header) < 2:  # a TSV, or another delimiter: the one that splits the header most
            line = text.split("\n", 1)[0]
            delimiter = max("\t;|", key=line.count)
            header = line.split(delimiter)
        return {h.strip() for h in header}, None
    return set(), _first_record(text, whole)


def _first_record(text: str, whole: bool) -> dict[str, object] | None:
    decoder = json.JSONDecoder(parse_int=whole_number)
    if whole:
        try:
            return _record_of(json.loads(text, parse_int=whole_number))
        except ValueError:
            pass
    line, _, rest = text.partition("\n")
    if text.startswith("{") and rest.strip():  # NDJSON: its first line is the first record
        try:
            record = json.loads(line)
            return record if isinstance(record, dict) else None
        except ValueError:
            pass  # an envelope written over several lines
    found = re.search(r"\[\s*\{", text)
    if found is None:
        return None
    try:
        record, _ = decoder.raw_decode(text, found.end() - 1)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _record_of(value: object) -> dict[str, object] | None:
    """A list's first record, or an envelope's: the first value that is a list of records."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else None
    if isinstance(value, dict):
        for inner in value.values():
            if isinstance(inner, list) and inner and isinstance(inner[0], dict):
                return inner[0]
        return value  # one record
    return None
