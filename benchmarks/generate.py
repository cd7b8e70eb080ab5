"""A seeded generator of realistic exports of any size, for the benchmarks.

    python benchmarks/generate.py --issues 1000000 --format csv --out benchmarks/out/issues-1m.csv

A mix of priorities, open and closed issues, labels and teams; most created in the last 30 days before
--reference, about 10% up to five years older. --age-days N instead puts every issue N days before --reference
(for the age-independence case), with its reply and resolution within those N days, so that two ages give the
same mix of open and stopped clocks. Timestamps are ISO 8601 in UTC.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

COLUMNS = ["id", "title", "priority", "status", "labels", "team", "created", "first_response", "resolved", "updated"]
PRIORITIES = ["P1"] * 5 + ["P2"] * 20 + ["P3"] * 50 + ["P4"] * 25
TEAMS = ["payments", "web", "mobile", "platform", "billing", "search"]
LABELS = ["customer", "regression", "security", "billing", "ux", "infra", ""]
WORDS = [
    "checkout",
    "login",
    "export",
    "invoice",
    "search",
    "sync",
    "timeout",
    "crash",
    "slow",
    "error",
    "page",
    "report",
    "mail",
    "refund",
]
REFERENCE = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def rows(count: int, seed: int, age_days: float | None, reference: datetime) -> Iterator[list[str]]:
    rng = random.Random(seed)
    now = int(reference.timestamp())
    for n in range(count):
        if age_days is not None:
            created = now - int(age_days * 86_400) - rng.randrange(3600)
        elif rng.random() < 0.9:
            created = now - rng.randrange(30 * 86_400)
        else:
            created = now - rng.randrange(5 * 365 * 86_400)
        closed = rng.random() < 0.55
        # With --age-days, replies and resolutions fall within the issue's age, so that exports of different ages
        # hold the same mix of open and stopped clocks and differ only in age.
        horizon = now - created if age_days is not None else 20 * 86_400
        first = created + rng.randrange(1, min(48 * 3600, horizon)) if rng.random() < 0.8 else None
        resolved = max(first or created, created + rng.randrange(600, min(20 * 86_400, horizon))) if closed else None
        if first is not None and first > now:
            first = None
        if resolved is not None and resolved > now:
            resolved = None
        updated = resolved or max(first or created, now - rng.randrange(5 * 86_400))
        labels = ";".join(sorted({rng.choice(LABELS) for _ in range(rng.randrange(3))} - {""}))
        yield [
            f"BEN-{n + 1}",
            " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 9))).capitalize(),
            rng.choice(PRIORITIES),
            "Resolved" if resolved else rng.choice(["Open", "In Progress", "Open", "Waiting for customer"]),
            labels,
            rng.choice(TEAMS),
            _iso(created),
            _iso(first),
            _iso(resolved),
            _iso(updated),
        ]


def _iso(moment: int | None) -> str:
    return "" if moment is None else datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(
    path: Path, fmt: str, count: int, seed: int = 1, age_days: float | None = None, reference: datetime = REFERENCE
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = rows(count, seed, age_days, reference)
    with path.open("w", encoding="utf-8", newline="") as out:
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(data)
        elif fmt == "ndjson":
            for row in data:
                out.write(json.dumps(_record(row)) + "\n")
        else:
            out.write("[\n")
            for i, row in enumerate(data):
                out.write(("" if i == 0 else ",\n") + json.dumps(_record(row)))
            out.write("\n]\n")
    return path


def _record(row: list[str]) -> dict[str, object]:
    record: dict[str, object] = dict(zip(COLUMNS, row))
    record["labels"] = [x for x in row[4].split(";") if x]
    for key in ("first_response", "resolved"):
        record[key] = record[key] or None
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "json", "ndjson"], default="csv")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--age-days", type=float, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write(args.out, args.format, args.issues, args.seed, args.age_days)


if __name__ == "__main__":
    main()
