"""Several tools in one run (#18 point 8): each export is read with its own preset, detected from its columns or
named with `--source NAME:EXPORT`, with that tool's status words; one report covers them all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.test_check import run

CASE = Path("tests/cli/cases/source-jira")
AS_OF = "2025-12-29T12:00:00Z"
ZENDESK = [  # the API's tickets list: `pending` is a paused status in the zendesk preset, not in jira's
    {
        "id": 501,
        "subject": "Card declined",
        "status": "pending",
        "priority": "high",
        "created_at": "2025-12-22T10:00:00Z",
        "updated_at": "2025-12-22T11:00:00Z",
    },
    {
        "id": 502,
        "subject": "Login loop",
        "status": "open",
        "priority": "high",
        "created_at": "2025-12-22T10:00:00Z",
        "updated_at": "2025-12-22T10:00:00Z",
    },
]


def _folder(tmp_path: Path) -> tuple[Path, Path, Path]:
    jira = tmp_path / "Jira.csv"
    shutil.copy(CASE / "jira.csv", jira)
    tickets = tmp_path / "tickets.json"
    tickets.write_text(json.dumps({"tickets": ZENDESK, "count": 2}), encoding="utf-8")
    config = tmp_path / "sla.yaml"
    text = (CASE / "sla.yaml").read_text(encoding="utf-8").replace("[Highest, High]", "[Highest, High, high]")
    config.write_text(text, encoding="utf-8")
    return jira, tickets, config


def _states(stdout: str) -> dict[str, str]:
    return {r["issue"]: r["state"] for r in json.loads(stdout)["results"]}


def test_a_jira_csv_and_a_zendesk_json_in_one_run_each_with_its_preset(tmp_path):
    jira, tickets, config = _folder(tmp_path)
    result = run(["check", str(jira), str(tickets), "-c", str(config), "--as-of", AS_OF, "-f", "json", "--all"])
    assert result.exit_code == 1, result.output
    states = _states(result.stdout)
    assert states["SOL-7"] == "breached"  # Jira's columns and dates
    assert states["501"] == "paused" and states["502"] == "breached"  # Zendesk's envelope and status words
    assert "error" not in result.stderr


def test_source_named_per_export(tmp_path):
    jira, tickets, config = _folder(tmp_path)
    config.write_text("source: generic\n" + config.read_text(encoding="utf-8"), encoding="utf-8")  # detection off
    args = ["check", str(jira), str(tickets), "-c", str(config), "--as-of", AS_OF, "-f", "json", "--all"]
    named = run([*args, "--source", f"jira:{jira}", "--source", f"zendesk:{tickets}"])
    assert named.exit_code == 1, named.output
    assert _states(named.stdout)["501"] == "paused" and "SOL-7" in _states(named.stdout)
    unnamed = run(args)  # source: generic for both: neither has the generic columns
    assert unnamed.exit_code == 3 and "required column 'created'" in unnamed.stderr
    wrong = run([*args, "--source", "jira:elsewhere.csv"])
    assert wrong.exit_code == 2 and "'elsewhere.csv' is not one of the exports given" in wrong.stderr


def test_two_cron_jobs_on_different_sources_share_one_state_file(tmp_path):
    """A Jira job and a Zendesk job write one --state file in turn: neither sees the other's clocks go and come
    back, so a breach is a change once, however the runs interleave (identity includes the source)."""
    jira, tickets, config = _folder(tmp_path)
    state = tmp_path / "sla.db"

    def changes(export: Path, source: str) -> list[tuple[str, str, str]]:
        args = ["check", str(export), "--source", source, "-c", str(config), "--as-of", AS_OF, "--state", str(state)]
        result = run([*args, "--changes-only", "-f", "json"])
        assert result.exit_code == 1, result.output
        return [(c["change"], c["issue"], c["metric"]) for c in json.loads(result.stdout)["changes"]]

    assert changes(jira, "jira") == [("new breach", "SOL-7", "resolution")]
    assert changes(tickets, "zendesk") == [("new breach", "502", "resolution")]  # SOL-7 did not disappear
    assert changes(jira, "jira") == []  # nor come back as new
    assert changes(tickets, "zendesk") == []


def test_servicenow_records_are_copies_when_their_sys_id_is(tmp_path):
    """#18 point 9: a ServiceNow export's records with one number are copies when they share their sys_id, and
    different incidents when they do not, even created in the same second."""
    records = [
        {
            "number": "INC1",
            "sys_id": "a1",
            "opened_at": "2025-12-22 10:00:00",
            "sys_updated_on": "2025-12-22 10:00:00",
            "priority": "1",
            "state": "2",
            "short_description": "first copy",
        },
        {
            "number": "INC1",
            "sys_id": "a1",
            "opened_at": "2025-12-22 10:00:00",
            "sys_updated_on": "2025-12-22 11:00:00",
            "priority": "1",
            "state": "2",
            "short_description": "second copy, later",
        },
        {
            "number": "INC1",
            "sys_id": "b2",
            "opened_at": "2025-12-22 10:00:00",
            "sys_updated_on": "2025-12-22 10:30:00",
            "priority": "1",
            "state": "2",
            "short_description": "another incident",
        },
    ]
    export = tmp_path / "incident.json"
    export.write_text(json.dumps({"records": records}), encoding="utf-8")
    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: all, targets: {resolution: 8h}}]\n", encoding="utf-8")
    result = run(["check", str(export), "--source", "servicenow", "-c", str(config), "--as-of", AS_OF, "-f", "json"])
    titles = sorted(r["title"] for r in json.loads(result.stdout)["results"])
    assert titles == ["another incident", "second copy, later"]
    assert "is also the id of a different record (record 1, another sys_id): both are kept" in result.stderr
    assert "1 row repeated the id of an earlier row" in result.stderr


def test_match_patterns_take_linear_time_and_say_what_they_cannot_do(tmp_path):
    """#21 point 13: `~(a+)+$` against a 40-character title took minutes with backtracking; the linear-time
    engine decides it at once (a bound of 60 s on a subprocess, not a timing). Lookaround is a config error."""
    import subprocess
    import sys

    config = tmp_path / "sla.yaml"
    config.write_text('policies:\n  - {name: a, match: {title: "~(a+)+$"}, targets: {resolution: 4h}}\n')
    export = tmp_path / "issues.csv"
    export.write_text("id,created,title\nA-1,2026-03-02T09:00:00Z," + "a" * 40 + "!\nA-2,2026-03-02T09:00:00Z,aaa\n")
    args = [sys.executable, "-m", "escalate_cli", "check", str(export), "-c", str(config), "-f", "json", "--all"]
    done = subprocess.run([*args, "--as-of", "2026-03-02T12:00:00Z"], capture_output=True, text=True, timeout=60)
    document = json.loads(done.stdout)
    assert [r["issue"] for r in document["results"]] == ["A-2"]
    assert [u["issue"] for u in document["unmatched"]] == ["A-1"]
    config.write_text('policies:\n  - {name: a, match: {title: "~(?<=a)b"}, targets: {resolution: 4h}}\n')
    refused = run(["validate", "-c", str(config)])
    assert refused.exit_code == 3
    assert "look-around, including look-ahead and look-behind, is not supported (patterns are matched" in refused.stderr


def test_a_huge_header_makes_a_readable_message(tmp_path):
    """#21 point 22: a 10 MB column name made a 10 MB error line; messages are cut to a readable length."""
    export = tmp_path / "wide.csv"
    export.write_text("id," + "x" * 10_000_000 + "\nA,1\n")
    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: a, targets: {resolution: 4h}}]\n")
    result = run(["check", str(export), "-c", str(config)])
    assert result.exit_code == 3 and "required column 'created'" in result.stderr
    assert len(result.stderr) < 2000


@pytest.mark.parametrize("shape", ["csv", "csv.gz", "json envelope gz", "ndjson", "stdin"])
def test_an_export_past_the_memory_bound_is_refused_with_a_message(tmp_path, monkeypatch, shape):
    """#21 point 21: a small gzip holding a huge line, an envelope, /dev/zero grew to the machine's memory. An
    export's text is bounded (MAX_EXPORT_BYTES, 2 GiB; 10 kB here): past it, that export is a located error, and
    the run still evaluates the others."""
    import gzip

    from escalate_cli.readers import source

    monkeypatch.setattr(source, "MAX_EXPORT_BYTES", 10_000)
    rows = "".join(f"A-{n},2026-03-02T09:00:00Z\n" for n in range(2000))  # about 50 kB
    big = {
        "csv": ("big.csv", ("id,created\n" + rows).encode()),
        "csv.gz": ("big.csv.gz", gzip.compress(("id,created\n" + rows).encode())),
        "json envelope gz": (
            "big.json.gz",
            gzip.compress(
                json.dumps({"issues": [{"id": n, "created": "2026-03-02T09:00:00Z"} for n in range(2000)]}).encode()
            ),
        ),
        "ndjson": (
            "big.ndjson",
            "".join(json.dumps({"id": n, "created": "2026-03-02T09:00:00Z"}) + "\n" for n in range(2000)).encode(),
        ),
        "stdin": ("big.csv", ("id,created\n" + rows).encode()),
    }[shape]
    path = tmp_path / big[0]
    path.write_bytes(big[1])
    small = tmp_path / "small.csv"
    small.write_text("id,created\nS-1,2026-03-02T09:00:00Z\n")
    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: a, targets: {resolution: 4h}}]\n")
    export, stdin = (str(path), None) if shape != "stdin" else ("-", big[1].decode())
    args = ["check", export, str(small), "-c", str(config), "--as-of", "2026-03-02T12:00:00Z", "-f", "json"]
    result = run(args, stdin=stdin)
    assert result.exit_code == 3, result.output
    label = "<stdin>" if shape == "stdin" else str(path)
    assert f"{label}: the export is larger than 10,000 bytes (decompressed)" in result.stderr
    assert [r["issue"] for r in json.loads(result.stdout)["results"]] == ["S-1"]
