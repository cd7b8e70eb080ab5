"""Durations printed as escalate prints them everywhere (messages, explain, tables, JSON's `target`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate_cli.durations import format_duration, parse_duration


def _reference(seconds: int) -> str:
    """The rule spelled out unit by unit: hours and minutes that are not zero (never days: business time), then
    seconds only under an hour (and `0s` for nothing at all), after a minus for negative values."""
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m")]
    if not hours:
        parts.append((secs, "s"))
    return sign + ("".join(f"{n}{unit}" for n, unit in parts if n) or "0s")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (60, "1m"),
        (90, "1m30s"),
        (3_599, "59m59s"),
        (3_600, "1h"),
        (3_661, "1h1m"),
        (5_400, "1h30m"),
        (86_400, "24h"),  # business time: a 24-hour "day" is three 8-hour working days
        (86_460, "24h1m"),
        (144_000, "40h"),  # a 40h target, once printed 1d16h
        (1_483_200, "412h"),
        (-45, "-45s"),
        (-5_400, "-1h30m"),
        (-86_400, "-24h"),
    ],
)
def test_format_duration_examples(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_format_duration_follows_the_rule_unit_by_unit(seconds: int) -> None:
    assert format_duration(seconds) == _reference(seconds)


@given(st.integers(min_value=0, max_value=10**9))
def test_a_printed_duration_reads_back_within_the_minute(seconds: int) -> None:
    back = parse_duration(format_duration(seconds))
    assert back == (seconds if seconds < 3_600 else seconds - seconds % 60)
