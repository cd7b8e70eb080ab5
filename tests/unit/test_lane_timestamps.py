"""The fast lane reads `YYYY-MM-DD[T ]HH:MM:SS` + `Z`/`+HH:MM` from three remembered parts (day, hour and
minute, seconds and offset); whatever parts it combines, it must read a cell exactly as the field's parser does,
or hand it to the parser."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.fastlane import _Epochs, _Odd
from escalate_cli.readers.timestamps import TimestampParser

PARSER = TimestampParser(ZoneInfo("Europe/Berlin"))
EPOCHS = _Epochs((PARSER.parse,) * 4)  # one for all examples: parts learnt from one cell serve later ones


def parsed(text: str) -> int | str | None:
    try:
        return PARSER.parse(text)
    except ValueError:
        return "error"


def laned(text: str) -> int | str | None:
    try:
        return EPOCHS.epoch(text, PARSER.parse)
    except _Odd:
        return "error"


@settings(max_examples=400, deadline=None)
@given(
    day=st.sampled_from(["1900-01-01", "1900-01-02", "2026-03-29", "2026-10-25", "2024-02-29", "2999-12-31"]),
    bad_day=st.sampled_from(["", "2026-02-30", "2026-13-01"]),
    separator=st.sampled_from("T "),
    hour=st.integers(0, 25),
    minute=st.integers(0, 61),
    second=st.integers(0, 61),
    zone=st.sampled_from(["Z", "+00:00", "+05:30", "-03:00", "+23:59", "-23:59", "+23:99", "+24:00", "+02"]),
)
def test_the_lane_reads_a_timestamp_as_the_parser_does(day, bad_day, separator, hour, minute, second, zone):
    for date_part in (day, bad_day) if bad_day else (day,):
        text = f"{date_part}{separator}{hour:02}:{minute:02}:{second:02}{zone}"
        assert laned(text) == parsed(text), text
        assert laned(text) == parsed(text), text  # now from the parts it remembered


def test_parts_are_remembered_small():
    """A day of seconds in one zone needs 1,440 + 60 entries, not 86,400."""
    epochs = _Epochs((PARSER.parse,) * 4)
    for second in range(0, 86_400, 7):
        text = f"2026-11-20T{second // 3600:02}:{second // 60 % 60:02}:{second % 60:02}Z"
        assert epochs.epoch(text, PARSER.parse) == parsed(text)
    assert (len(epochs.days), len(epochs.minutes), len(epochs.seconds)) == (1, 1440, 60)
