"""Before and after: the same cases run by two checkouts of escalate on the same files, minutes apart.

    git worktree add /tmp/before 46228d8
    python benchmarks/compare.py /tmp/before            # this checkout against that one, 1M issues
    python benchmarks/compare.py /tmp/before --issues 100000

Uses the exports `run.py` generates (generating any that are missing). Prints wall time, peak RSS and the ratio to
the bare pass over the same file for each checkout. Informational: it names no target and always exits 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402

_OTHER_FORMATS = ("table", "junit", "github", "markdown")


def cases(n: int) -> list[tuple[str, Path, list[str]]]:
    """(name, export, arguments after the export) for `check`, then the event-log commands."""
    out = run.OUT / "compare.out"
    check = [
        ("csv iso --quiet", run.export("csv", n), ["--quiet"]),
        ("csv offset --quiet", run.export("csv", n, "offset"), ["--quiet"]),
        ("csv naive --quiet", run.export("csv", n, "naive"), ["--quiet"]),
        ("csv jira --quiet", run.export("csv", n, "jira"), ["--quiet"]),
        ("csv titles --quiet", run.export("csv", n, "titles"), ["--quiet"]),
        ("csv wide --quiet", run.export("csv", n, "wide"), ["--quiet"]),
        ("csv.gz --quiet", run.export("csv", n, gz=True), ["--quiet"]),
        ("json list --quiet", run.export("json", n), ["--quiet"]),
        ("ndjson --quiet", run.export("ndjson", n), ["--quiet"]),
        ("csv iso -f json", run.export("csv", n), ["-f", "json", "-o", str(out)]),
        ("csv iso -f csv", run.export("csv", n), ["-f", "csv", "-o", str(out)]),
        *((f"csv iso -f {fmt}", run.export("csv", n), ["-f", fmt, "-o", str(out)]) for fmt in _OTHER_FORMATS),
        ("csv iso --quiet --state", run.export("csv", n), ["--quiet", "--state", str(run.OUT / "compare.sqlite")]),
    ]
    common = ["-c", str(run.CONFIG), "--as-of", run.AS_OF, "--fail-on", "never"]
    return [(name, path, ["check", str(path), *common, *extra]) for name, path, extra in check]


def event_cases(n: int) -> list[tuple[str, Path, list[str]]]:
    path = run.export("events", n)
    common = ["-c", str(run.EVENTS_CONFIG), "--source", "servicenow"]
    return [
        ("events report", path, ["report", str(path), *common, "--as-of", run.AS_OF]),
        ("events explain", path, ["explain", "INC0000002", str(path), *common]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path, help="the other checkout (a git worktree)")
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    bench = run.Bench(args.timeout)
    checkouts = {"before": args.before.resolve(), "after": HERE.parent}
    print(f"{'case':<24}{'checkout':<10}{'wall s':>9}{'RSS MB':>9}{'x bare':>9}")
    for name, path, command in [*cases(args.issues), *event_cases(args.issues)]:
        bare = bench.baseline(path).wall
        for label, root in checkouts.items():
            # From the checkout's own folder, so that `-m escalate_cli` imports that checkout's package
            (run.OUT / "compare.sqlite").unlink(missing_ok=True)  # each --state run starts without a state file
            result = run.measure([*run.ESCALATE, *command], args.timeout, cwd=root)
            print(
                f"{name:<24}{label:<10}{result.wall:>9.2f}{result.rss_mb:>9.1f}{result.wall / bare:>9.2f}", flush=True
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
