"""What every run must hold whatever it is fed (#21): exit 0, 1 or 3 only, no traceback or internal error, every
error line located at the input it is about, and the output still a whole document. Shared by the hypothesis
tests (`tests/unit/test_fuzz.py`) and the longer `scripts/fuzz.py`, whose finds land in `tests/fuzz_corpus/` and
are replayed by the suite.
"""

from __future__ import annotations

import gzip
import json
import random
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from escalate_cli.cli import app

AS_OF = "2026-03-02T12:00:00Z"
CONFIG = """timezone: Europe/Berlin
statuses: {closed: [done], paused: [waiting]}
calendars:
  office: {hours: {mon-fri: ["09:00-17:00"]}, holidays: {country: DE}}
policies:
  - {name: urgent, match: {priority: P1}, calendar: office, targets: {first_response: 1h, resolution: 4h},
     escalate: [{after: 100%, level: L2, notify: [lead], action: "{id}: {title} over by {overdue}"}]}
  - {name: rest, targets: {resolution: 8h}}
"""
ROWS = [
    {
        "id": "A-1",
        "created": "2026-03-02T09:00:00Z",
        "first_response": "2026-03-02T09:20:00Z",
        "resolved": "",
        "status": "open",
        "priority": "P1",
        "title": "Checkout down",
    },
    {
        "id": "A-2",
        "created": "2026-03-02 08:30",
        "first_response": "",
        "resolved": "2026-03-02T11:00:00+01:00",
        "status": "done",
        "priority": "P2",
        "title": 'multi\nline "quoted", title',
    },
    {
        "id": "A-3",
        "created": "02/03/2026 10:00",
        "first_response": "",
        "resolved": "",
        "status": "waiting",
        "priority": "P1",
        "title": "naïve café ☕",
    },
]
KINDS = ("csv", "json", "ndjson", "csv.gz", "json.gz", "stdin")


def export_text(kind: str) -> bytes:
    """A good export of ROWS in that kind (the bytes as they would be on disk, before any compression)."""
    if kind.startswith("json"):
        return json.dumps([{k: v for k, v in row.items() if v} for row in ROWS], indent=1).encode()
    if kind == "ndjson":
        return "".join(json.dumps(row) + "\n" for row in ROWS).encode()
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ROWS[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(ROWS)
    return out.getvalue().encode()


def mutate(data: bytes, rng: random.Random, edits: int) -> bytes:
    """`edits` random changes: bytes inserted, removed, replaced or repeated, lines doubled, the end cut off."""
    pieces = [
        b"\x00",
        b"\xff",
        b"\xed\xa0\x80",
        b'"',
        b",",
        b"\n",
        b"\r",
        b"{",
        b"[",
        b"]",
        b"}",
        b"\\",
        b";",
        b"1e400",
        b"9" * 40,
        b"\x1b[31m",
        "\ufeff".encode(),
        b"-",
        b"null",
    ]
    out = bytearray(data)
    for _ in range(edits):
        at = rng.randrange(len(out) + 1)
        roll = rng.random()
        if roll < 0.3:
            out[at:at] = rng.choice(pieces)
        elif roll < 0.5 and out:
            del out[at : at + rng.randrange(1, 12)]
        elif roll < 0.65 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif roll < 0.8:
            line_end = out.find(b"\n", at)
            if line_end > 0:
                start = out.rfind(b"\n", 0, at) + 1
                out[line_end + 1 : line_end + 1] = out[start : line_end + 1]
        elif roll < 0.9:
            out[at:at] = out[at : at + rng.randrange(1, 40)] * rng.randrange(2, 5)
        else:
            del out[at:]
    return bytes(out)


def check_export(tmp: Path, kind: str, data: bytes) -> None:
    """Run `check` on the export; assert the properties. `data` is the export's bytes before compression."""
    config = tmp / "sla.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    name = {"stdin": "-"}.get(kind, str(tmp / f"issues.{kind}"))
    if kind.endswith(".gz"):
        (tmp / f"issues.{kind}").write_bytes(gzip.compress(data))
    elif kind != "stdin":
        (tmp / f"issues.{kind}").write_bytes(data)
    args = ["check", name, "-c", str(config), "--as-of", AS_OF, "-f", "json", "--all"]
    result = CliRunner().invoke(app, args, input=data if kind == "stdin" else None)
    _holds(result, {0, 1, 3}, "<stdin>" if kind == "stdin" else name)
    if result.exit_code in (0, 1) or result.stdout:
        document = json.loads(result.stdout)  # a whole document, whatever was wrong with some rows
        assert {"summary", "results", "errors"} <= set(document)


def state_file() -> bytes:
    """A state file two runs of the good export wrote (its clocks, announcements and runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "sla.yaml").write_text(CONFIG, encoding="utf-8")
        (folder / "issues.csv").write_bytes(export_text("csv"))
        for at in ("2026-03-02T10:00:00Z", AS_OF):
            args = ["check", str(folder / "issues.csv"), "-c", str(folder / "sla.yaml"), "--as-of", at]
            CliRunner().invoke(app, [*args, "--state", str(folder / "state.db")])
        return (folder / "state.db").read_bytes()


def check_state(tmp: Path, data: bytes) -> None:
    """Run `check --state` over a damaged state file: a clear message naming it, or a run, never a crash."""
    (tmp / "sla.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp / "issues.csv").write_bytes(export_text("csv"))
    state = tmp / "state.db"
    state.write_bytes(data)
    args = ["check", str(tmp / "issues.csv"), "-c", str(tmp / "sla.yaml"), "--as-of", AS_OF, "--state", str(state)]
    result = CliRunner().invoke(app, args)
    _holds(result, {0, 1, 3}, str(state))


def check_config(tmp: Path, data: bytes) -> None:
    config = tmp / "sla.yaml"
    config.write_bytes(data)
    result = CliRunner().invoke(app, ["validate", "-c", str(config)])
    _holds(result, {0, 3}, str(config))


def _holds(result: object, codes: set[int], label: str) -> None:
    exit_code = result.exit_code  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert exit_code in codes, (exit_code, stderr[-2000:])
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    for line in stderr.splitlines():
        if line.startswith("error: "):
            assert line.startswith(f"error: {label}"), line  # located at the input it is about
