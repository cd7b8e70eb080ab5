"""Where each record of a CSV text starts and how many fields it has, from its bytes, with numpy.

This is what the Polars reader cannot tell us: it pads a short row with empty cells, and a blank line comes out
as a row of empty cells. Quotes are few, so the work goes by them: consecutive quotes pair up into quoted
stretches (a doubled quote inside one makes an empty stretch of its own, which changes nothing); a line feed
ends a record unless it lies inside a stretch; a record's fields are its separators outside stretches, plus
one. None when the text has what the scan does not model (a bare CR, which Python's reader takes as a line
break), so the caller reads it the plain way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
_QUOTE, _LF, _CR = 34, 10, 13
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Layout:
    lines: Ints  # physical line (1-based) each record starts on, the header first
    fields: Ints  # fields per record
    lengths: Ints  # bytes per record, its line break not counted


def scan(data: bytes, separator: str) -> Layout | None:
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    feeds, quotes = _positions(buffer, _LF), _positions(buffer, _QUOTE)
    if len(quotes) % 2:
        return None  # a quote left open: Python's reader says where
    opened, closed = quotes[0::2], quotes[1::2]
    inside = np.searchsorted(opened, feeds, side="right") > np.searchsorted(closed, feeds, side="right")
    ends = feeds[~inside]
    if not len(ends) or ends[-1] != len(data) - 1:  # the last record has no line break after it
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    fields = _separators(buffer, ord(separator), ends, opened, closed) + 1
    lines = np.searchsorted(feeds, starts) + 1
    last = buffer[np.clip(ends - 1, 0, max(len(buffer) - 1, 0))] if len(buffer) else np.zeros(len(ends), np.uint8)
    lengths = ends - starts - ((last == _CR) & (ends > starts))
    return Layout(lines.astype(np.int64), fields.astype(np.int64), lengths.astype(np.int64))


def _separators(buffer: npt.NDArray[np.uint8], byte: int, ends: Ints, opened: Ints, closed: Ints) -> Ints:
    """Separators outside quoted stretches per record, a chunk at a time: their positions are never all held
    (a 40-column export of a million rows has 39 million)."""
    counts = np.zeros(len(ends), dtype=np.int64)
    for at in range(0, len(buffer), _CHUNK):
        found = np.flatnonzero(buffer[at : at + _CHUNK] == byte) + at
        if len(opened):
            quoted = np.searchsorted(opened, found, side="right") > np.searchsorted(closed, found, side="right")
            found = found[~quoted]
        counts += np.bincount(np.searchsorted(ends, found), minlength=len(ends))[: len(ends)]
    return counts


def _positions(buffer: npt.NDArray[np.uint8], byte: int) -> Ints:
    """Where `byte` occurs, a chunk at a time (a whole-file mask would cost a page fault per 4 kB of it)."""
    found = [np.flatnonzero(buffer[at : at + _CHUNK] == byte) + at for at in range(0, len(buffer), _CHUNK)]
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
