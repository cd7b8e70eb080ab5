"""A seeded generator of realistic exports of any size, for the benchmarks.

    python benchmarks/generate.py --issues 1000000 --format csv --out benchmarks/out/issues-1m.csv

A mix of priorities, open and closed issues, labels and teams; most created in the last 30 days before
--reference, about 10% up to five years older. --age-days N instead puts every issue N days before --reference
(for the age-independence case), with its reply and resolution within those N days, so that two ages give the
same mix of open and stopped clocks.

--shape says how the export writes what it holds: `iso` (ISO 8601 in UTC, `Z`), `offset` (ISO with a +01:00 or
-05:00 offset), `naive` (`2026-06-14 09:31:07`, wall time in the config's zone), `jira` (`04/Mar/24 9:15 AM`),
`titles` (quoted titles with commas, quotes and line breaks), `wide` (30 more columns, 40 in all). A name
ending in .gz is written gzipped. `events` writes an event log in the shape of ServiceNow's incident log.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
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


SHAPES = ("iso", "offset", "naive", "jira", "titles", "wide")
_OFFSETS = (timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)))
_TITLE_BITS = ["with, comma", 'a "quoted" word', "two\nlines", "plain"]


def _shaped(row: list[str], shape: str, rng: random.Random) -> list[str]:
    """The row as an export of that shape writes it (timestamps are columns 6 to 9)."""
    if shape in ("offset", "naive", "jira"):
        for i in range(6, 10):
            if row[i]:
                moment = datetime.strptime(row[i], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                if shape == "offset":
                    row[i] = moment.astimezone(_OFFSETS[i % 2]).isoformat()
                elif shape == "naive":
                    row[i] = moment.strftime("%Y-%m-%d %H:%M:%S")
                else:
                    row[i] = moment.strftime("%d/%b/%y %I:%M %p")
    elif shape == "titles":
        row[1] = f"{row[1]} {rng.choice(_TITLE_BITS)}"
    elif shape == "wide":
        row += [f"x{rng.randrange(1000)}" for _ in range(30)]
    return row


def event_rows(count: int, seed: int, reference: datetime = REFERENCE) -> Iterator[list[str]]:
    """About `count` events, six or so per incident: New, In Progress, On Hold and back, Resolved, Closed."""
    rng = random.Random(seed)
    now = int(reference.timestamp())
    written = incident = 0
    while written < count:
        incident += 1
        opened = now - rng.randrange(60 * 86_400)
        moment, states = opened, ["New", "In Progress"]
        if rng.random() < 0.3:
            states += ["On Hold", "In Progress"]
        if rng.random() < 0.7:
            states += ["Resolved", "Closed"]
        group = rng.choice(TEAMS)
        priority = rng.choice(["1 - Critical", "2 - High", "3 - Moderate", "3 - Moderate", "4 - Low"])
        for state in states:
            if moment > now:
                break
            yield [f"INC{incident:07d}", state, priority, group, _sn(opened), _sn(moment)]
            written += 1
            moment += rng.randrange(60, 3 * 86_400)


EVENT_COLUMNS = ["number", "incident_state", "priority", "assignment_group", "opened_at", "sys_updated_at"]


def _sn(moment: int) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%d/%m/%Y %H:%M")


def write(
    path: Path,
    fmt: str,
    count: int,
    seed: int = 1,
    age_days: float | None = None,
    reference: datetime = REFERENCE,
    shape: str = "iso",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 1)
    data = (_shaped(row, shape, rng) for row in rows(count, seed, age_days, reference))
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as out:  # type: ignore[operator]
        if fmt == "events":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(EVENT_COLUMNS)
            writer.writerows(event_rows(count, seed, reference))
        elif fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS + [f"extra_{n}" for n in range(30)] * (shape == "wide"))
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
    parser.add_argument("--format", choices=["csv", "json", "ndjson", "events"], default="csv")
    parser.add_argument("--shape", choices=SHAPES, default="iso")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--age-days", type=float, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write(args.out, args.format, args.issues, args.seed, args.age_days, shape=args.shape)


if __name__ == "__main__":
    main()
