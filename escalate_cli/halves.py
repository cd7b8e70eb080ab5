"""The second half of a big CSV export, counted in a forked process while this one counts the first.

`find_split` picks a line break near the middle of the file that is outside every quoted field by the parity of
the quotes before it, and says how many lines the csv reader will have read when it gets there. The child looks
for it (while this process evaluates the rows it read to sniff the export) and tells this process where it is;
then the child reads from that byte on and this process reads up to that line. Parity can be fooled (a bare
`"` inside an unquoted field is legal), so the split is trusted only when this process's reader really ends a
record on that line and then reads the very row the child read first; otherwise the child's work is thrown away
and this process reads on by itself. Either way the counts are those of one pass.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Generic, TypeVar

MIN_BYTES = 8 << 20  # below this, starting a process costs about what it saves
_BLOCK = 1 << 20
_WINDOW = 1 << 20  # how far past the middle a split is looked for
_BOM = b"\xef\xbb\xbf"
# Per mille of the file this process reads. The child first reads that far to find the split (0.06 s for 70 MB)
# while this process evaluates the rows it read to sniff the export, which about evens out: at 1M issues with JSON
# output, 505 left the child waiting 0.03-0.17 s for this process, 500 0.01-0.03 s (three runs each, alternating).
_SHARE = 500

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
        if not worth_splitting(path):
            return None
        size = os.path.getsize(path)
        with open(path, "rb") as raw:
            start = head_bytes + (3 if raw.read(3) == _BOM else 0)
            middle = max(start, size * _SHARE // 1000)
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


def worth_splitting(path: str) -> bool:
    """Whether the file is big enough, and the machine able, to count two halves at once."""
    try:
        return os.path.getsize(path) >= MIN_BYTES and _can_fork()
    except OSError:
        return False


def _can_fork() -> bool:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return hasattr(os, "fork") and cores > 1


class Forked(Generic[T]):
    """`work(tell)` running in a child process. The child may `tell` the parent one value early, which
    `heard()` waits for; `result()` waits for what `work` returned (or raises what it raised)."""

    def __init__(self, work: Callable[[Callable[[object], None]], T]) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            os.close(read)
            code = 0
            try:
                with os.fdopen(write, "wb") as pipe:

                    def tell(value: object) -> None:
                        pickle.dump(("told", value), pipe, protocol=pickle.HIGHEST_PROTOCOL)
                        pipe.flush()

                    try:
                        outcome: tuple[str, bool, object] = ("done", True, work(tell))
                    except BaseException as exc:  # handed to the parent, which raises it in its place
                        outcome = ("done", False, exc)
                    try:
                        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception as exc:  # an exception that does not pickle
                        data = pickle.dumps(("done", False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                    pipe.write(data)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self.pipe: BinaryIO | None = os.fdopen(read, "rb")
        self.last: tuple[object, ...] | None = None  # the outcome, if heard() read it first

    def _next(self) -> tuple[object, ...] | None:
        assert self.pipe is not None
        try:
            message: tuple[object, ...] = pickle.load(self.pipe)
        except EOFError:  # the child died without a word
            return None
        return message

    def heard(self) -> object:
        """The value the child told, waiting for it; None if it finished (or died) without telling."""
        message = self._next()
        if message is not None and message[0] == "told":
            return message[1]
        self.last = message
        return None

    def result(self) -> T | None:
        """What `work` returned, or its exception re-raised; None if the child died without a word."""
        message = self.last if self.last is not None else self._next()
        while message is not None and message[0] == "told":  # told, but not heard
            message = self._next()
        self._close()
        os.waitpid(self.pid, 0)
        if message is None:
            return None
        _, ok, value = message
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]

    def _close(self) -> None:
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None

    def cancel(self) -> None:
        """Stop the child if it is still at work, and reap it."""
        if self.pipe is None:
            return
        self._close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
