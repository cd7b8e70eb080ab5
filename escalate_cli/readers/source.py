"""Opening an export: a path or `-` for stdin, gzip by suffix, its kind from the suffix or its first bytes."""

from __future__ import annotations

import gzip
import io
import sys
from typing import IO, Any, cast

from escalate_cli.errors import InputError

_SUFFIXES = {"json": "json", "ndjson": "ndjson", "jsonl": "ndjson", "csv": "csv", "tsv": "csv", "txt": "csv"}


def open_export(name: str, encoding: str) -> tuple[str, io.TextIOWrapper]:
    """The export's kind (`csv`, `json` or `ndjson`) and its text."""
    try:
        raw: IO[bytes]
        if name == "-":
            raw = sys.stdin.buffer
        elif name.endswith(".gz"):
            raw = cast(IO[bytes], gzip.open(name, "rb"))  # noqa: SIM115 - handed to the caller
        else:
            raw = open(name, "rb")  # noqa: SIM115 - handed to the caller
        if not hasattr(raw, "peek"):
            raw = cast(IO[bytes], io.BufferedReader(cast(Any, raw)))
        kind = _kind(name, raw)
        return kind, io.TextIOWrapper(cast(Any, raw), encoding=encoding, newline="")
    except LookupError as exc:
        raise InputError(f"{name}: unknown encoding {encoding!r}") from exc
    except (OSError, EOFError) as exc:
        raise InputError(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc


def plain_file(name: str) -> bool:
    """Whether the export's bytes are those of its file (not stdin, not compressed)."""
    return name != "-" and not name.endswith(".gz")


def _kind(name: str, raw: IO[bytes]) -> str:
    base = name[:-3] if name.endswith(".gz") else name
    suffix = base.rsplit(".", 1)[-1].lower() if "." in base.rsplit("/", 1)[-1] else ""
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    head = raw.peek(4096)[:4096].decode("utf-8", "replace")  # type: ignore[attr-defined]
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        lines = [line.strip() for line in stripped.splitlines() if line.strip()]
        return "ndjson" if len(lines) > 1 and lines[0].endswith("}") and lines[1].startswith("{") else "json"
    return "csv"
