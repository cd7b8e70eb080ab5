"""The second half of a big CSV export, counted in a forked process while this one counts the first.

`find_split` picks a line break near the middle of the file that is outside every quoted field by the parity of
the quotes before it, and says how many lines the csv reader will have read when it gets there. The child reads
from that byte on; this process reads up to that line. Parity can be fooled (a bare `"` inside an unquoted
field is legal), so the split is trusted only when this process's reader really ends a record on that line and
then reads the very row the child read first; otherwise the child's work is thrown away and this process reads
on by itself. Either way the counts are those of one pass.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

MIN_BYTES = 8 << 20  # below this, starting a process costs about what it saves
_BLOCK = 1 << 20
_WINDOW = 1 << 20  # how far past the middle a split is looked for
_BOM = b"\xef\xbb\xbf"

T = TypeVar("T")


@dataclass(frozen=True)
class Split:
    offset: int  # the byte the second half starts at, just after a line break
    line: int  # the lines before it, as the csv reader counts them


def find_split(path: str, head_bytes: int, head_lines: int) -> Split | None:
    """Where to split a UTF-8 CSV file whose first `head_bytes` bytes (after any byte order mark) are
    `head_lines` lines the reader has already counted; None when the file is small or its line breaks are
    not all `\\n` or `\\r\\n` (a bare `\\r` counts as a line for the reader but is not looked for here)."""
    try:
        size = os.path.getsize(path)
        if size < MIN_BYTES or not _can_fork():
            return None
        with open(path, "rb") as raw:
            start = head_bytes + (3 if raw.read(3) == _BOM else 0)
            middle = max(start, size // 2)
            raw.seek(0)
            quotes = breaks = 0
            position = 0
            while position < middle:
                block = raw.read(min(_BLOCK, middle - position))
                if not block:
                    return None
                quotes += block.count(b'"')
                if position + len(block) > start:
                    counted = block[start - position :] if position < start else block
                    if b"\r" in counted and counted.count(b"\r") != counted.count(b"\r\n"):
                        return None
                    breaks += counted.count(b"\n")
                position += len(block)
            window = raw.read(_WINDOW)
    except OSError:
        return None
    if b"\r" in window and window.count(b"\r") != window.count(b"\r\n"):
        return None
    at = window.find(b"\n")
    while 0 <= at < len(window) - 1:  # a split needs something after it
        if (quotes + window.count(b'"', 0, at)) % 2 == 0:
            return Split(middle + at + 1, head_lines + breaks + window.count(b"\n", 0, at + 1))
        at = window.find(b"\n", at + 1)
    return None


def _can_fork() -> bool:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return hasattr(os, "fork") and cores > 1


class Forked(Generic[T]):
    """`work()` running in a child process; `result()` waits for what it returned (or raises what it raised)."""

    def __init__(self, work: Callable[[], T]) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            os.close(read)
            code = 0
            try:
                try:
                    outcome: tuple[bool, object] = (True, work())
                except BaseException as exc:  # handed to the parent, which raises it in its place
                    outcome = (False, exc)
                try:
                    data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # an exception that does not pickle
                    data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self.read: int | None = read

    def result(self) -> T | None:
        """What `work()` returned, or its exception re-raised; None if the child died without a word."""
        assert self.read is not None
        with os.fdopen(self.read, "rb") as pipe:
            self.read = None
            data = pipe.read()
        os.waitpid(self.pid, 0)
        if not data:
            return None
        ok, value = pickle.loads(data)
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child if it is still at work, and reap it."""
        if self.read is None:
            return
        os.close(self.read)
        self.read = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
