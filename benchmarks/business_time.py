"""Benchmark of the business-time engine: calls per second of elapsed and add, age independence, and a
comparison with businesstimedelta (run where it is installed) on the same values.

    python benchmarks/business_time.py            # 1M pairs
    python benchmarks/business_time.py --n 100000 # quicker

Exits 1, naming the target, when the long-span / one-day-span cost ratio reaches 1.5, or when
businesstimedelta disagrees with escalate on any compared value.
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

from escalate_cli.business_time import Calendar
from escalate_cli.config import parse_config

SPAN_START = int(datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp())
SPAN = 3 * 365 * 86_400
MAX_AGE_TARGET = 1.5


def build_calendar() -> Calendar:
    config = parse_config(
        {
            "calendars": {
                "office": {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"country": "US"}}
            },
            "policies": [],
        }
    )
    return config.calendars["office"]


def pairs(n: int, max_length: int, rng: random.Random) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        start = SPAN_START + rng.randrange(SPAN - max_length if max_length < SPAN else 1)
        length = rng.randrange(max_length)
        out.append((start, min(start + length, SPAN_START + SPAN)))
    return out


def timed(label: str, fn: Callable[[], object], calls: int) -> float:
    began = time.perf_counter()
    fn()
    seconds = time.perf_counter() - began
    print(f"  {label:<38} {calls / seconds:>14,.0f} calls/s   {seconds:8.3f} s")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="pairs per case (default 1M)")
    parser.add_argument("--compare", type=int, default=2_000, help="pairs given to businesstimedelta (default 2000)")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cal = build_calendar()

    began = time.perf_counter()
    cal.elapsed_ts(SPAN_START - 86_400, SPAN_START + SPAN + 86_400)  # build the intervals once, outside the timing
    print(f"escalate business_time: Mon-Fri 09-17 UTC with US holidays, {args.n:,} pairs per case")
    print(f"  {'index build for 3 years':<38} {'':>14}           {time.perf_counter() - began:8.3f} s")

    long_pairs, day_pairs = pairs(args.n, SPAN, rng), pairs(args.n, 86_400, rng)
    # Amounts of open time to add: what each pair's span holds, at least 1s so that no call takes the
    # add(start, 0) shortcut (a one-day span often holds no open time at all).
    long_amounts = [max(cal.elapsed_ts(s, e), 1) for s, e in long_pairs]
    day_amounts = [max(cal.elapsed_ts(s, e), 1) for s, e in day_pairs]
    elapsed, add = cal.elapsed_ts, cal.add_ts

    t_el_long = timed("elapsed, spans up to 3 years", lambda: [elapsed(s, e) for s, e in long_pairs], args.n)
    t_el_day = timed("elapsed, spans up to 1 day", lambda: [elapsed(s, e) for s, e in day_pairs], args.n)
    t_add_long = timed(
        "add, amounts up to 3 years of open time",
        lambda: [add(s, n) for (s, _), n in zip(long_pairs, long_amounts)],
        args.n,
    )
    t_add_day = timed(
        "add, amounts up to 1 day", lambda: [add(s, n) for (s, _), n in zip(day_pairs, day_amounts)], args.n
    )
    ratios = {"elapsed": t_el_long / t_el_day, "add": t_add_long / t_add_day}
    failures = []
    for name, ratio in ratios.items():
        verdict = "ok" if ratio < MAX_AGE_TARGET else "MISSED"
        print(f"  age independence, {name}: 3-year / 1-day cost = {ratio:.2f}x (target < {MAX_AGE_TARGET}x) {verdict}")
        if ratio >= MAX_AGE_TARGET:
            failures.append(f"age independence of {name}: {ratio:.2f}x >= {MAX_AGE_TARGET}x")

    failures += compare_businesstimedelta(
        cal, long_pairs[: args.compare], long_amounts, t_el_long / args.n, t_add_long / args.n
    )
    for failure in failures:
        print(f"target missed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def compare_businesstimedelta(
    cal: Calendar, sample: list[tuple[int, int]], amounts: list[int], per_elapsed: float, per_add: float
) -> list[str]:
    try:
        import businesstimedelta
        import holidays
    except ImportError:
        print("  businesstimedelta: not installed, comparison skipped (pip install businesstimedelta)")
        return []
    from datetime import time as clock

    rules = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(start_time=clock(9), end_time=clock(17), working_days=[0, 1, 2, 3, 4]),
            businesstimedelta.HolidayRule(holidays.country_holidays("US")),
        ]
    )
    utc = timezone.utc
    as_dt = [(datetime.fromtimestamp(s, utc), datetime.fromtimestamp(e, utc)) for s, e in sample]
    began = time.perf_counter()
    theirs = [rules.difference(s, e) for s, e in as_dt]
    their_elapsed = (time.perf_counter() - began) / len(sample)
    agree_elapsed = sum(t.hours * 3600 + t.seconds == cal.elapsed_ts(s, e) for t, (s, e) in zip(theirs, sample))
    began = time.perf_counter()
    their_due = [s + businesstimedelta.BusinessTimeDelta(rules, seconds=n) for (s, _), n in zip(as_dt, amounts)]
    their_add = (time.perf_counter() - began) / len(sample)
    agree_add = sum(int(d.timestamp()) == cal.add_ts(s, n) for d, (s, _), n in zip(their_due, sample, amounts))
    print(f"  businesstimedelta on {len(sample):,} of the 3-year pairs:")
    print(
        f"    elapsed: {1 / their_elapsed:>10,.0f} calls/s, escalate {their_elapsed / per_elapsed:,.0f}x faster; "
        f"agree on {agree_elapsed}/{len(sample)}"
    )
    print(
        f"    add:     {1 / their_add:>10,.0f} calls/s, escalate {their_add / per_add:,.0f}x faster; "
        f"agree on {agree_add}/{len(sample)}"
    )
    failures = []
    if agree_elapsed != len(sample) or agree_add != len(sample):
        failures.append(f"agreement with businesstimedelta: elapsed {agree_elapsed}, add {agree_add} of {len(sample)}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
