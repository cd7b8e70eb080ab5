"""Opening an export: a path or `-` for stdin, gzip by suffix, its kind from the suffix or its first bytes."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from typing import IO, Any, cast

from escalate_cli.errors import InputError

MAX_EXPORT_BYTES = 2 << 30  # of one export's text, decompressed: escalate holds it whole, about six times its size


def too_big(name: str) -> InputError:
    limit = f"{MAX_EXPORT_BYTES / (1 << 30):g} GiB" if MAX_EXPORT_BYTES >= 1 << 30 else f"{MAX_EXPORT_BYTES:,} bytes"
    return InputError(
        f"{name}: the export is larger than {limit} (decompressed); escalate reads an export whole and needs about "
        "six times its size in memory, so split it (one file per month, say) and name the parts"
    )


class _Bounded(io.RawIOBase):
    """A byte stream that stops with `too_big` past MAX_EXPORT_BYTES (a 10 GB line in a small gzip, /dev/zero)."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self.raw, self.name, self.read_so_far = raw, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.read_so_far += len(data)
        if self.read_so_far > MAX_EXPORT_BYTES:
            raise too_big(self.name)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self.raw is not sys.stdin.buffer:
            self.raw.close()
        super().close()


class Inflating(io.RawIOBase):
    """A gzip file's bytes, member after member (`gzip.open` would lose what it inflated of a file that ends too
    soon: here it all comes, then the end, and `cut` says so)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file, self.cut, self.pending = file, False, b""
        self.inflating = zlib.decompressobj(wbits=31)
        head = file.read(2)
        if head != b"\x1f\x8b":
            raise gzip.BadGzipFile(f"Not a gzipped file ({head!r})")
        self.compressed = head

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            if self.inflating.eof:  # a member ended: the next one, if the file goes on (zeros pad some)
                rest = self.inflating.unused_data or self.file.read(1 << 16)
                if not rest.strip(b"\0"):
                    return 0
                self.inflating, self.compressed = zlib.decompressobj(wbits=31), rest
            if not self.compressed:
                self.compressed = self.file.read(1 << 16)
                if not self.compressed:  # the file ends inside a member
                    self.cut = True
                    return 0
            self.pending = self.inflating.decompress(self.compressed, len(buffer))
            self.compressed = self.inflating.unconsumed_tail
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def close(self) -> None:
        self.file.close()
        super().close()


_SUFFIXES = {"json": "json", "ndjson": "ndjson", "jsonl": "ndjson", "csv": "csv", "tsv": "csv", "txt": "csv"}


def open_export(name: str, encoding: str) -> tuple[str, io.TextIOWrapper]:
    """The export's kind (`csv`, `json` or `ndjson`) and its text."""
    try:
        raw: IO[bytes]
        if name == "-":
            raw = sys.stdin.buffer
        elif name.endswith(".gz"):
            raw = cast(IO[bytes], Inflating(open(name, "rb")))  # noqa: SIM115 - handed to the caller
        else:
            raw = open(name, "rb")  # noqa: SIM115 - handed to the caller
        raw = cast(IO[bytes], io.BufferedReader(_Bounded(raw, "<stdin>" if name == "-" else name)))
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


def ended_too_soon(stream: io.TextIOWrapper) -> bool:
    """Whether the export opened by `open_export` was a compressed file that ended too soon."""
    raw = getattr(getattr(stream, "buffer", None), "raw", None)
    return isinstance(raw, _Bounded) and isinstance(raw.raw, Inflating) and raw.raw.cut
