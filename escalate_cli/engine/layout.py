"""Where each record of a CSV text starts and how many fields it has, from its bytes, with numpy.

Quotes toggle a parity; separators and line feeds at even parity are the structure (a doubled quote inside a
quoted field toggles twice and changes nothing). This is what the Polars reader cannot tell us: it pads a short
row with empty cells, and a blank line comes out as a row of empty cells. None when the text has what the scan
does not model (a bare CR, which Python's reader takes as a line break), so the caller reads it the plain way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_CHUNK = 1 << 22  # bytes per numpy pass, so the temporaries stay a few tens of MB whatever the file's size
_QUOTE, _LF, _CR = 34, 10, 13


@dataclass(frozen=True)
class Layout:
    lines: npt.NDArray[np.int64]  # physical line (1-based) each record starts on, the header first
    fields: npt.NDArray[np.int64]  # fields per record
    lengths: npt.NDArray[np.int64]  # bytes per record, its line break not counted


def scan(data: bytes, separator: str) -> Layout | None:
    if data.count(b"\r") != data.count(b"\r\n"):
        return None
    sep = ord(separator)
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends, seps, feeds = [], [], []
    parity = 0
    for at in range(0, len(buffer), _CHUNK):
        chunk = buffer[at : at + _CHUNK]
        quotes = np.cumsum(chunk == _QUOTE, dtype=np.int64)
        outside = ((quotes + parity) & 1) == 0
        is_feed = chunk == _LF
        feeds.append(np.flatnonzero(is_feed) + at)
        ends.append(np.flatnonzero(is_feed & outside) + at)
        seps.append(np.flatnonzero((chunk == sep) & outside) + at)
        parity = int((quotes[-1] + parity) & 1) if len(quotes) else parity
    end = np.concatenate(ends)
    if not len(end) or end[-1] != len(data) - 1:  # the last record has no line break after it
        end = np.append(end, len(data))
    start = np.concatenate(([0], end[:-1] + 1))
    separators = np.concatenate(seps)
    fields = np.diff(np.searchsorted(separators, np.concatenate(([0], end)))) + 1
    lines = np.searchsorted(np.concatenate(feeds), start) + 1
    lengths = end - start - (np.frombuffer(data, np.uint8)[np.maximum(end - 1, 0)] == _CR)
    return Layout(lines.astype(np.int64), fields.astype(np.int64), lengths.astype(np.int64))
