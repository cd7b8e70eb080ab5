"""The same business-time computation with the libraries people use today, where they are installed:
businesstimedelta and business_duration (elapsed business time) and pandas CustomBusinessHour (due times).

    python benchmarks/references.py --issues 100000

On the same generated issues (Mon-Fri 09:00-17:00 UTC, US holidays) it times escalate's calendar over all of
them and each library over a sample (they are far slower), and prints the speed-up and how often they agree.
pandas rolls a due time that lands exactly on closing forward to the next opening ("09:00 Monday" where escalate
says "17:00 Friday"); such cases are counted as differences, and the line says so.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escalate_cli.config import parse_config

UTC = timezone.utc
NOW = int(datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp())
TARGET = 4 * 3600


def issues(count: int, seed: int) -> list[tuple[int, int]]:
    """(created, stopped-or-now) pairs: most created in the last 30 days, some up to two years before."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        age = rng.randrange(30 * 86_400) if rng.random() < 0.9 else rng.randrange(2 * 365 * 86_400)
        created = NOW - age
        out.append((created, min(NOW, created + rng.randrange(60, 10 * 86_400))))
    return out


def timed(fn: Callable[[], list[object]]) -> tuple[float, list[object]]:
    began = time.perf_counter()
    values = fn()
    return time.perf_counter() - began, values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="issues given to the slower libraries")
    args = parser.parse_args()
    pairs = issues(args.issues, seed=11)
    sample = pairs[: args.sample]
    calendar = parse_config(
        {
            "calendars": {
                "c": {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"country": "US"}}
            },
            "policies": [],
        }
    ).calendars["c"]
    calendar.elapsed_ts(NOW - 3 * 365 * 86_400, NOW)  # build the intervals outside the timing

    ours_elapsed, elapsed = timed(lambda: [calendar.elapsed_ts(s, e) for s, e in pairs])
    ours_add, due = timed(lambda: [calendar.add_ts(s, TARGET) for s, _ in pairs])
    per_elapsed, per_add = ours_elapsed / len(pairs), ours_add / len(pairs)
    print(f"escalate, {len(pairs):,} issues: elapsed {1 / per_elapsed:,.0f}/s, due time {1 / per_add:,.0f}/s")

    import holidays

    days_off = holidays.country_holidays("US", years=range(2023, 2028))
    dt = [
        (datetime.fromtimestamp(s, UTC).replace(tzinfo=None), datetime.fromtimestamp(e, UTC).replace(tzinfo=None))
        for s, e in sample
    ]
    compare(
        "businesstimedelta",
        "elapsed",
        lambda: _businesstimedelta(dt, days_off),
        per_elapsed,
        [v for v in elapsed[: len(sample)]],
    )
    compare(
        "business_duration",
        "elapsed",
        lambda: _business_duration(dt, days_off),
        per_elapsed,
        [v for v in elapsed[: len(sample)]],
    )
    compare(
        "pandas CustomBusinessHour",
        "due time",
        lambda: _pandas(dt, days_off),
        per_add,
        [int(v) for v in due[: len(sample)]],
        note="pandas moves a due time at closing to the next opening",
    )
    return 0


def compare(
    name: str, what: str, fn: Callable[[], list[object]], ours: float, expected: list[int], note: str = ""
) -> None:
    try:
        seconds, values = timed(fn)
    except ImportError:
        print(f"{name}: not installed, skipped")
        return
    per = seconds / len(expected)
    agree = sum(1 for v, e in zip(values, expected) if v is not None and round(float(v)) == e)  # type: ignore[arg-type]
    extra = f" ({note})" if note else ""
    print(
        f"{name}, {what} on {len(expected):,}: {1 / per:,.0f}/s; escalate {per / ours:,.0f}x faster; "
        f"agree on {agree}/{len(expected)}{extra}"
    )


def _businesstimedelta(pairs: list[tuple[datetime, datetime]], days_off: object) -> list[object]:
    from datetime import time as clock

    import businesstimedelta

    rules = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(start_time=clock(9), end_time=clock(17), working_days=[0, 1, 2, 3, 4]),
            businesstimedelta.HolidayRule(days_off),
        ]
    )
    out: list[object] = []
    for start, end in pairs:
        delta = rules.difference(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
        out.append(delta.hours * 3600 + delta.seconds)
    return out


def _business_duration(pairs: list[tuple[datetime, datetime]], days_off: object) -> list[object]:
    from datetime import time as clock

    from business_duration import businessDuration

    return [
        businessDuration(
            s, e, starttime=clock(9), endtime=clock(17), weekendlist=[5, 6], holidaylist=days_off, unit="sec"
        )
        for s, e in pairs
    ]


def _pandas(pairs: list[tuple[datetime, datetime]], days_off: dict) -> list[object]:  # type: ignore[type-arg]
    import pandas as pd

    hours = pd.offsets.CustomBusinessHour(n=TARGET // 3600, start="09:00", end="17:00", holidays=list(days_off))
    return [(pd.Timestamp(s) + hours).tz_localize("UTC").timestamp() for s, _ in pairs]


if __name__ == "__main__":
    sys.exit(main())
