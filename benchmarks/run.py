"""End-to-end benchmark of escalate as users run it, against a bare Python pass over the same file, in one run.

    python benchmarks/run.py                    # 1M issues and 1M events (generates benchmarks/out/ once)
    python benchmarks/run.py --issues 100000    # a quicker look at the same ratios
    python benchmarks/run.py --big              # also 10M issues and 10M events (memory bounds)

Every case prints its wall time, peak memory (RSS) and the ratio to its baseline, measured in the same run on
the same file: a bare `python -c` that iterates csv.reader over it (gzip.open for .gz), json.load, or a
json.loads per line. Each target of issue #17 is printed with its figure; the run exits 1 naming every target
missed. A case that runs past --timeout counts as missed.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

OUT = HERE / "out"
CONFIG = HERE / "config.yaml"
EVENTS_CONFIG = HERE / "events.yaml"
AS_OF = "2026-11-20T12:00:00Z"
ESCALATE = [sys.executable, "-m", "escalate_cli"]
BASELINE = {
    "csv": "import csv,sys\nfor _ in csv.reader(open(sys.argv[1], newline='')): pass",
    "gz": "import csv,gzip,sys\nfor _ in csv.reader(gzip.open(sys.argv[1], 'rt', newline='')): pass",
    "json": "import json,sys\njson.load(open(sys.argv[1]))",
    "ndjson": "import json,sys\nfor line in open(sys.argv[1]): json.loads(line)",
}


@dataclass
class Run:
    wall: float
    rss_mb: float
    code: int


def measure(args: list[str], timeout: float, repeat: int = 1, cwd: Path = HERE.parent) -> Run:
    """Best wall time of `repeat` runs and that run's peak RSS (os.wait4 gives it per child); a run killed at
    `timeout` has code -9. `cwd`: the checkout whose escalate runs."""
    best: Run | None = None
    for _ in range(repeat):
        os.sync()
        began = time.perf_counter()
        process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(cwd)},
        )
        while True:  # wait4, not Popen.wait, which would reap the child and lose its usage
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - began > timeout:
                process.kill()
            time.sleep(0.005)
        process.returncode = code = os.waitstatus_to_exitcode(status)
        run = Run(time.perf_counter() - began, usage.ru_maxrss / 1024, code)
        if best is None or run.wall < best.wall:
            best = run
    assert best is not None
    return best


def export(fmt: str, issues: int, shape: str = "iso", age_days: float | None = None, gz: bool = False) -> Path:
    tag = f"-{shape}" + (f"-age{age_days:g}" if age_days is not None else "")
    suffix = "csv" if fmt == "events" else fmt
    path = OUT / f"{fmt}-{issues}{tag}.{suffix}{'.gz' if gz else ''}"
    if not path.exists():
        print(f"  generating {path.name} ...", flush=True)
        generate.write(path, fmt, issues, seed=7, age_days=age_days, shape=shape)
    return path


class Bench:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.missed: list[str] = []
        self.bare: dict[Path, Run] = {}
        print(f"{'case':<52}{'wall s':>9}{'RSS MB':>9}{'x bare':>9}")

    def baseline(self, path: Path) -> Run:
        if path not in self.bare:
            kind = "gz" if path.suffix == ".gz" else path.suffix.lstrip(".")
            self.bare[path] = measure([sys.executable, "-c", BASELINE[kind], str(path)], self.timeout)
        return self.bare[path]

    def case(self, name: str, path: Path, args: list[str], repeat: int = 1) -> tuple[Run, float]:
        bare = self.baseline(path)
        run = measure([*ESCALATE, *args], self.timeout, repeat)
        if run.code not in (0, 1):
            self.missed.append(f"{name}: escalate exited {run.code}" + (" (timed out)" if run.code == -9 else ""))
        ratio = run.wall / bare.wall
        print(f"{name:<52}{run.wall:>9.2f}{run.rss_mb:>9.1f}{ratio:>9.2f}", flush=True)
        return run, ratio

    def check(self, name: str, path: Path, extra: list[str], repeat: int = 1) -> tuple[Run, float]:
        args = ["check", str(path), "-c", str(CONFIG), "--as-of", AS_OF, "--fail-on", "never", *extra]
        return self.case(name, path, args, repeat)

    def target(self, ok: bool, text: str) -> None:
        print(f"  {'ok    ' if ok else 'MISSED'} {text}", flush=True)
        if not ok:
            self.missed.append(text)


def issues_cases(bench: Bench, n: int) -> None:
    csv_path = export("csv", n)
    quiet, ratio = bench.check(f"csv iso {n:,} --quiet", csv_path, ["--quiet"])
    bench.target(ratio <= 1.5, f"--quiet, csv iso: {ratio:.2f}x (<= 1.5x)")
    bench.target(quiet.rss_mb <= 500, f"--quiet peak RSS at {n:,}: {quiet.rss_mb:.0f} MB (<= 500 MB)")
    for shape in ("offset", "naive", "jira", "titles", "wide"):
        _, ratio = bench.check(f"csv {shape} {n:,} --quiet", export("csv", n, shape), ["--quiet"])
        bench.target(ratio <= 1.5, f"--quiet, csv {shape}: {ratio:.2f}x (<= 1.5x)")
    _, ratio = bench.check(f"csv.gz iso {n:,} --quiet", export("csv", n, gz=True), ["--quiet"])
    bench.target(ratio <= 1.5, f"--quiet, csv.gz: {ratio:.2f}x (<= 1.5x)")
    for fmt in ("json", "ndjson"):
        _, ratio = bench.check(f"{fmt} {n:,} --quiet", export(fmt, n), ["--quiet"])
        bench.target(ratio <= 1.0, f"--quiet, {fmt}: {ratio:.2f}x the bare json pass (<= 1.0x)")
    for fmt, limit in (("table", 1.5), ("junit", 1.5), ("json", 3.0), ("csv", 3.0)):
        out = OUT / f"report.{fmt}"
        _, ratio = bench.check(f"csv iso {n:,} -f {fmt}", csv_path, ["-f", fmt, "-o", str(out)])
        bench.target(ratio <= limit, f"-f {fmt}: {ratio:.2f}x (<= {limit}x)")
        out.unlink(missing_ok=True)
    state = OUT / "bench.state.sqlite"
    state.unlink(missing_ok=True)
    stateful, _ = bench.check(f"csv iso {n:,} --quiet --state", csv_path, ["--quiet", "--state", str(state)])
    bench.target(
        stateful.wall <= 2 * quiet.wall, f"--state: {stateful.wall / quiet.wall:.2f}x the same run without (<= 2x)"
    )
    state.unlink(missing_ok=True)
    m = min(n, 100_000)
    old, _ = bench.check(f"csv {m:,} all five years old", export("csv", m, age_days=5 * 365), ["--quiet"], 3)
    new, _ = bench.check(f"csv {m:,} all one day old", export("csv", m, age_days=1), ["--quiet"], 3)
    bench.target(old.wall <= 1.2 * new.wall, f"age, 5 years vs 1 day: {old.wall / new.wall:.2f}x (<= 1.2x)")


def events_cases(bench: Bench, n: int) -> None:
    path = export("events", n)
    common = ["-c", str(EVENTS_CONFIG), "--source", "servicenow"]
    run, ratio = bench.case(f"events {n:,} report", path, ["report", str(path), *common, "--as-of", AS_OF])
    bench.target(ratio <= 5, f"report on {n:,} events: {ratio:.2f}x (<= 5x)")
    bench.target(run.rss_mb <= 1024, f"report peak RSS: {run.rss_mb:.0f} MB (<= 1 GB)")
    window = ["--from", "2026-10-20", "--to", "2026-11-19", "--every", "15m"]
    _, ratio = bench.case(f"events {n:,} backtest --every 15m", path, ["backtest", str(path), *common, *window])
    bench.target(ratio <= 10, f"backtest over a month on {n:,} events: {ratio:.2f}x (<= 10x)")
    _, ratio = bench.case(f"events {n:,} explain", path, ["explain", "INC0000002", str(path), *common])
    bench.target(ratio <= 2, f"explain of one incident: {ratio:.2f}x (<= 2x)")


def startup_cases(bench: Bench) -> None:
    startup = statistics.median(measure([*ESCALATE, "--version"], bench.timeout).wall for _ in range(7))
    bare = statistics.median(measure([sys.executable, "-c", "pass"], bench.timeout).wall for _ in range(7))
    bench.target(startup - bare <= 0.150, f"--version: {(startup - bare) * 1000:.0f} ms over python -c pass (<= 150)")
    example = ["check", "examples/issues.csv", "-c", "config.example.yaml", "--as-of", AS_OF, "--fail-on", "never"]
    run = statistics.median(measure([*ESCALATE, *example], bench.timeout).wall for _ in range(5))
    bench.target(run <= 0.6, f"check of the bundled example: {run:.2f} s (<= 0.6 s)")


def big_cases(bench: Bench) -> None:
    run, _ = bench.check("csv iso 10,000,000 --quiet", export("csv", 10_000_000), ["--quiet"])
    bench.target(run.code in (0, 1) and run.rss_mb <= 2048, f"10M issues: {run.rss_mb:.0f} MB (<= 2 GB)")
    path = export("events", 10_000_000)
    args = ["report", str(path), "-c", str(EVENTS_CONFIG), "--source", "servicenow", "--as-of", AS_OF]
    run, _ = bench.case("events 10,000,000 report", path, args)
    bench.target(run.code in (0, 1) and run.rss_mb <= 6144, f"10M events: {run.rss_mb:.0f} MB (<= 6 GB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=1_000_000, help="issues, and events, per export")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a case may take")
    parser.add_argument("--big", action="store_true", help="also 10M issues and 10M events")
    args = parser.parse_args()
    compileall.compile_dir(HERE.parent / "escalate_cli", quiet=1)  # as pip does when it installs a wheel
    bench = Bench(args.timeout)
    startup_cases(bench)
    issues_cases(bench, args.issues)
    events_cases(bench, args.issues)
    if args.big:
        big_cases(bench)
    print("\nThe same computation with other libraries (informational, where installed):", flush=True)
    subprocess.run(
        [sys.executable, str(HERE / "references.py"), "--issues", str(min(args.issues, 100_000))], check=False
    )
    for failure in bench.missed:
        print(f"target missed: {failure}", file=sys.stderr)
    return 1 if bench.missed else 0


if __name__ == "__main__":
    sys.exit(main())
