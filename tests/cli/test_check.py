"""End to end through the CLI. Each folder under cases/ is one run: args.txt (one argument a line, paths relative
to the repository root), optional stdin, and the expected stdout, stderr and exit code (golden files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalate_cli import __version__
from escalate_cli.cli import app
from escalate_cli.engine import evaluate as engine
from escalate_cli.writers import OutputFormat, writer_for

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
EXAMPLE = ["check", "examples/issues.csv", "-c", "config.example.yaml", "--as-of", "2026-11-20T14:00:00+01:00"]


def run(args, stdin=None, env=None):
    return CliRunner().invoke(app, args, input=stdin, env=env, prog_name="escalate")


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_case(case, golden):
    folder = CASES / case
    args = folder.joinpath("args.txt").read_text(encoding="utf-8").splitlines()
    stdin = folder / "stdin"
    result = run(args, stdin.read_text(encoding="utf-8") if stdin.exists() else None)
    golden(result.stdout, folder / "expected.stdout")
    golden(result.stderr, folder / "expected.stderr")
    golden(f"{result.exit_code}\n", folder / "expected_exit")


def test_example_shows_a_warning_a_breach_with_its_action_and_a_met_clock():
    document = json.loads(run([*EXAMPLE, "-f", "json"]).stdout)
    states = {(r["issue"], r["metric"]): r for r in document["results"]}
    assert any(r["state"] == "warning" for r in states.values())
    breach = states[("OPS-101", "resolution")]
    assert breach["state"] == "breached" and breach["level"] == "L2"
    assert breach["actions"] == [
        {
            "level": "L2",
            "notify": ["team-lead"],
            "message": "Escalate OPS-101 (P1) to the team lead: resolution overdue by 1h30m",
        }
    ]
    assert states[("OPS-105", "resolution")]["state"] == "met"


def test_json_interface_keys_are_stable():
    document = json.loads(run([*EXAMPLE, "-f", "json"]).stdout)
    assert list(document)[:5] == ["schema_version", "as_of", "summary", "results", "unmatched"]
    assert document["schema_version"] == 1 and document["as_of"] == "2026-11-20T14:00:00+01:00"
    assert {"ok", "warning", "breached", "met", "missed", "issues", "unmatched", "errors"} <= set(document["summary"])
    result = document["results"][0]
    for key in (
        "issue",
        "metric",
        "policy",
        "calendar",
        "state",
        "started_at",
        "due_at",
        "stopped_at",
        "elapsed_seconds",
        "target_seconds",
        "remaining_seconds",
        "level",
        "actions",
        "title",
        "priority",
        "status",
    ):
        assert key in result, key
    assert isinstance(result["issue"], str) and isinstance(result["elapsed_seconds"], int)


def test_output_file_and_no_color(tmp_path):
    out = tmp_path / "report.json"
    result = run([*EXAMPLE, "-f", "json", "-o", str(out)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert json.loads(out.read_text())["summary"]["breached"] == 4
    plain = run(EXAMPLE).stdout
    assert run(EXAMPLE, env={"NO_COLOR": "1"}).stdout == plain and "\x1b[" not in plain


def test_internal_error_is_a_short_message_and_exit_4(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "evaluate", explode)
    result = run(EXAMPLE)
    assert result.exit_code == 4
    assert result.stderr == (
        "internal error: RuntimeError: boom\nThis is a bug in escalate; please report it "
        "(run with --debug for the traceback).\n"
    )
    debug = run([*EXAMPLE, "--debug"])
    assert debug.exit_code == 4 and "Traceback (most recent call last)" in debug.stderr


@pytest.mark.parametrize(
    "args",
    [
        [*EXAMPLE, "--bogus"],
        [*EXAMPLE[:4], "--as-of", "next tuesday"],
        [*EXAMPLE, "--format", "xml"],
        [*EXAMPLE, "--fail-on", "sometimes"],
        ["check"],
        ["nonsense"],
    ],
    ids=["unknown-option", "bad-as-of", "bad-format", "bad-fail-on", "no-export", "no-command"],
)
def test_usage_errors_exit_2(args):
    result = run(args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def test_bad_as_of_says_what_it_expected():
    result = run([*EXAMPLE[:4], "--as-of", "next tuesday"])
    assert "expected an ISO 8601 timestamp such as 2026-03-04T09:00:00+01:00, got 'next tuesday'" in " ".join(
        result.stderr.replace("│", " ").split()
    )


def test_naive_as_of_is_read_in_the_config_zone():
    naive = run([*EXAMPLE[:4], "--as-of", "2026-11-20T14:00:00", "-f", "json"]).stdout
    assert naive == run([*EXAMPLE, "-f", "json"]).stdout


def test_version_and_help():
    assert run(["--version"]).stdout == f"escalate {__version__}\n"
    help_text = run(["check", "--help"]).stdout
    assert "--fail-on" in help_text and "Exit codes" in help_text
    assert run(["check", "-h"]).stdout == help_text  # -h as well as --help, for every command
    top = run(["-h"]).stdout
    assert "--install-completion" in top and "--show-completion" in top and "check" in top


def test_shell_completion_script_is_printed_for_a_named_shell():
    result = subprocess.run(
        [sys.executable, "-m", "escalate_cli", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert result.returncode == 0 and "complete" in result.stdout and "escalate" in result.stdout


def test_every_format_has_a_writer():
    from zoneinfo import ZoneInfo

    for fmt in OutputFormat:
        assert callable(writer_for(fmt, tz=ZoneInfo("UTC")))


def test_report_html_is_one_self_contained_page(tmp_path):
    from html.parser import HTMLParser

    page = tmp_path / "report.html"
    result = run(
        [
            "report",
            "examples/issues.csv",
            "-c",
            "config.example.yaml",
            "--as-of",
            "2026-11-20T14:00:00+01:00",
            "--html",
            str(page),
        ]
    )
    assert result.exit_code == 0, result.output
    references = []

    scripts = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            references.extend((tag, name, value) for name, value in attrs if name in ("src", "href", "srcset"))
            if tag in ("link", "img", "iframe", "object", "embed"):
                references.append((tag, "", ""))
            if tag == "script":
                scripts.append(dict(attrs).get("type", ""))

    text = page.read_text(encoding="utf-8")
    Collect().feed(text)
    assert references == []  # nothing to fetch: it opens with no network (tests/integration/test_report_page.py
    # checks that in a browser too)
    assert "application/json" in scripts and "critical / resolution" in text and "<table>" in text
    assert text.count("Plotly.newPlot(") >= 6 and text.count("plotly.js v") == 1  # the library once, inline


def test_output_into_a_closed_pipe_stops_quietly(tmp_path):
    """`escalate check ... | head`: once the reader has gone, stop with SIGPIPE's code and no message."""
    (tmp_path / "config.yaml").write_text("policies: [{name: all, targets: {resolution: 1d}}]\n")
    rows = "".join(f"T-{n},2026-03-{n % 28 + 1:02d}T10:00:00Z\n" for n in range(5000))
    (tmp_path / "issues.csv").write_text("id,created\n" + rows)  # some MB of JSON, more than a pipe holds
    process = subprocess.Popen(
        [sys.executable, "-m", "escalate_cli", "check", "issues.csv", "-c", "config.yaml", "-f", "json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100).startswith(b"{")
    process.stdout.close()
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""


BACKTEST = [
    "backtest",
    "tests/cli/cases/backtest-event-log/history.csv",
    "-c",
    "tests/cli/cases/backtest-event-log/sla.yaml",
    "--from",
    "2026-03-02",
    "--to",
    "2026-03-03",
]


@pytest.mark.parametrize(("every", "shown"), [([], "15m"), (["--every", "900"], "900s"), (["--every", "15m"], "15m")])
def test_backtest_takes_its_interval_as_written(every, shown):
    """Without --every it runs every 15 minutes (it crashed on its own default); seconds are a duration too; the
    header says the interval as the user wrote it (#18 point 2)."""
    result = run([*BACKTEST, *every])
    assert result.exit_code == 0, result.output
    header, runs = result.stdout.splitlines()[:2]
    assert header.endswith(f", every {shown}") and runs == "2 issues, 191 runs"


@pytest.mark.parametrize("every", ["soon", "0", "-5m"])
def test_backtest_refuses_an_interval_that_is_no_duration(every):
    result = run([*BACKTEST, "--every", every])
    assert result.exit_code == 2 and "expected a duration" in result.stderr


REOPENED_LOG = """id,created,updated,status,priority,title
R-1,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,Open,P2,printer
R-1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,Resolved,P2,printer
R-1,2026-03-02T09:00:00Z,2026-03-02T14:00:00Z,Open,P2,printer
R-1,2026-03-02T09:00:00Z,2026-03-02T15:00:00Z,Resolved,P2,printer
"""


@pytest.mark.parametrize(("reopen", "elapsed", "paused"), [(None, 2, 4), ("pause", 2, 4), ("continue", 6, 0)])
def test_a_reopened_issue_is_not_charged_for_the_time_it_sat_resolved(tmp_path, reopen, elapsed, paused):
    """Open 09-10, resolved 10-14, reopened, resolved 15:00: 2h of resolution time, the 4h resolved are a pause
    of their own (as Zendesk, Jira SM, ServiceNow, Zammad and ERPNext count it); `reopen: continue` charges all
    6h (#18 point 5). Every output reads it from the same clock: json, and explain's list of spans."""
    log = tmp_path / "log.csv"
    log.write_text(REOPENED_LOG, encoding="utf-8")
    config = tmp_path / "sla.yaml"
    setting = f"reopen: {reopen}\n" if reopen else ""
    config.write_text(
        setting + "history: true\nstatuses: {closed: [resolved]}\n"
        "policies:\n  - name: p\n    targets: {resolution: 3h}\n",
        encoding="utf-8",
    )
    args = [str(log), "-c", str(config), "--as-of", "2026-03-03T00:00:00Z"]
    result = run(["check", *args, "-f", "json", "--fail-on", "never"])
    (clock,) = json.loads(result.stdout)["results"]
    assert (clock["elapsed_seconds"], clock["paused_seconds"]) == (elapsed * 3600, paused * 3600)
    assert clock["state"] == ("met" if elapsed < 3 else "missed")
    story = run(["explain", "R-1", *args]).stdout
    assert ("resolved until reopened" in story) is (paused > 0)


def test_an_export_that_cannot_be_read_is_its_own_error_and_the_others_are_evaluated(tmp_path):
    """One unreadable export among several printed nothing for the others (#21 point 5); a missing required
    column in one export is that export's error (#18 point 8). When none can be read, the first error is the
    run's, as with a single export."""
    good = tmp_path / "good.csv"
    good.write_text("id,created,title\nB-1,2026-01-01T09:00:00Z,ok\n", encoding="utf-8")
    columns = tmp_path / "columns.csv"
    columns.write_text("key,opened\nX,2026-01-01\n", encoding="utf-8")
    config = tmp_path / "sla.yaml"
    config.write_text("policies:\n  - name: p\n    targets: {resolution: 4h}\n", encoding="utf-8")
    args = ["-c", str(config), "--as-of", "2026-01-02T00:00:00Z", "-f", "json"]
    result = run(["check", str(tmp_path / "missing.csv"), str(columns), str(good), *args])
    document = json.loads(result.stdout)
    assert result.exit_code == 3 and document["summary"]["issues"] == 1
    assert document["errors"] == [
        {"where": str(tmp_path / "missing.csv"), "message": "cannot read: No such file or directory"},
        {
            "where": str(columns),
            "message": "required column 'created' for field created not found; the export has: 'key', 'opened'",
        },
    ]
    alone = run(["check", str(tmp_path / "missing.csv"), *args])
    assert alone.exit_code == 3 and alone.stdout == ""
    assert "missing.csv: cannot read: No such file or directory" in alone.stderr


def test_with_state_an_export_missing_for_one_run_does_not_make_its_clocks_disappear(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("id,created,title\nA-1,2026-01-01T09:00:00Z,a\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("id,created,title\nB-1,2026-01-01T09:00:00Z,b\n", encoding="utf-8")
    config = tmp_path / "sla.yaml"
    config.write_text("policies:\n  - name: p\n    targets: {resolution: 4h}\n", encoding="utf-8")
    state = ["--state", str(tmp_path / "state.db"), "--changes-only", "--fail-on", "never", "-f", "json"]
    args = ["-c", str(config), "--as-of", "2026-01-02T00:00:00Z", *state]

    def changes(*exports):
        result = run(["check", *map(str, exports), *args])
        return [(c["change"], c["issue"]) for c in json.loads(result.stdout)["changes"]]

    assert changes(first, second) == [("new breach", "A-1"), ("new breach", "B-1")]
    first.rename(tmp_path / "away.csv")
    assert changes(first, second) == []  # A-1's export is missing: not 'disappeared'
    (tmp_path / "away.csv").rename(first)
    assert changes(first, second) == []  # and not a 'new breach' when it is back


def test_backtest_gives_the_baselines_attainment_beside_the_candidates():
    args = (CASES / "backtest-event-log" / "args.txt").read_text(encoding="utf-8").splitlines()
    document = json.loads(run([*args, "-f", "json"]).stdout)
    assert document["attainment"] == [{"policy": "p1", "metric": "resolution", "met": 1, "stopped": 1}]
    assert document["baseline_attainment"] == [{"policy": "p1", "metric": "resolution", "met": 0, "stopped": 1}]


QUICK_AND_SLOW = """id,created,updated,status,priority,title
Q-1,2026-03-02T09:01:00Z,2026-03-02T09:01:00Z,Open,P1,quick
Q-1,2026-03-02T09:01:00Z,2026-03-02T09:05:00Z,Done,P1,quick
S-1,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,Open,P1,slow
S-1,2026-03-02T09:00:00Z,2026-03-02T16:00:00Z,Done,P1,slow
"""


@pytest.mark.parametrize("every", ["1m", "15m", "4h"])
def test_backtest_attainment_counts_every_clock_that_stopped_whatever_the_interval(tmp_path, every):
    """Q-1 opens at 09:01 and is resolved at 09:05, between two runs every 15m or 4h: it stopped in the window
    all the same. The attainment was 1 of 1 every 15m and 4h, 2 of 2 every minute."""
    (tmp_path / "log.csv").write_text(QUICK_AND_SLOW, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        "policies: [{name: p1, match: {priority: P1}, targets: {resolution: 4h}}]\n", encoding="utf-8"
    )
    args = ["backtest", str(tmp_path / "log.csv"), "-c", str(tmp_path / "c.yaml"), "--from", "2026-03-02"]
    document = json.loads(run([*args, "--to", "2026-03-02", "--every", every, "-f", "json"]).stdout)
    assert document["attainment"] == [{"policy": "p1", "metric": "resolution", "met": 1, "stopped": 2}]


PAUSED_AFTER_DUE = """id,created,updated,status,priority,title
P-1,2026-03-02T13:00:00Z,2026-03-02T13:00:00Z,Open,P2,x
P-1,2026-03-02T13:00:00Z,2026-03-02T17:30:00Z,Waiting,P2,x
P-1,2026-03-02T13:00:00Z,2026-03-03T10:00:00Z,Resolved,P2,x
Q-1,2026-03-02T13:00:00Z,2026-03-02T13:00:00Z,Open,P2,y
Q-1,2026-03-02T13:00:00Z,2026-03-02T16:00:00Z,Waiting,P2,y
Q-1,2026-03-02T13:00:00Z,2026-03-02T18:00:00Z,Open,P2,y
"""


def test_a_pause_after_due_keeps_the_breach_and_a_stop_in_it_is_missed(tmp_path):
    """A 4h target from 13:00 runs out at 17:00 closing. P-1 is paused at 17:30: breached it stays, and resolved
    during the pause (next morning) it is missed. Q-1 was paused at 16:00 with 1h left until 18:00: due the next
    day at 10:00, breached at 12:00 (#18 point 3, pauses)."""
    log = tmp_path / "log.csv"
    log.write_text(PAUSED_AFTER_DUE, encoding="utf-8")
    config = tmp_path / "sla.yaml"
    config.write_text(
        "history: true\nstatuses: {closed: [resolved], paused: [waiting]}\n"
        'calendars:\n  o: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}}\n'
        "policies:\n  - name: p\n    calendar: o\n    targets: {resolution: 4h}\n",
        encoding="utf-8",
    )

    def states(at):
        result = run(["check", str(log), "-c", str(config), "--as-of", at, "-f", "json", "--fail-on", "never"])
        return {r["issue"]: (r["state"], r["due_at"]) for r in json.loads(result.stdout)["results"]}

    assert states("2026-03-02T17:45:00Z") == {
        "P-1": ("breached", "2026-03-02T17:00:00+00:00"),
        "Q-1": ("paused", "2026-03-03T10:00:00+00:00"),
    }
    assert states("2026-03-03T12:00:00Z") == {
        "P-1": ("missed", "2026-03-02T17:00:00+00:00"),
        "Q-1": ("breached", "2026-03-03T10:00:00+00:00"),
    }


def test_the_example_config_copied_for_a_preset_does_not_break_it(tmp_path):
    """`config.example.yaml` with `source: jira` checks a Jira export: its fields block is all comments, so it
    does not replace the preset's own columns (#20)."""
    text = Path("config.example.yaml").read_text(encoding="utf-8")
    assert "\nsource: generic" in text
    config = tmp_path / "sla.yaml"
    config.write_text(text.replace("\nsource: generic", "\nsource: jira"), encoding="utf-8")
    result = run(
        ["check", "tests/cli/cases/source-jira/jira.csv", "-c", str(config), "--as-of", "2025-12-29T12:00:00Z"]
    )
    assert result.exit_code == 1, result.output  # breaches, and no config or column error
    assert "error" not in result.stderr and "SOL-7" in result.stdout


SN_LOG = """number,incident_state,opened_at,sys_updated_at,priority,short_description
INC1,New,2026-03-02 09:00:00,2026-03-02 09:00:00,2 - High,vpn
INC1,Awaiting User Info,2026-03-02 09:00:00,2026-03-02 10:00:00,2 - High,vpn
INC1,Active,2026-03-02 09:00:00,2026-03-02 15:00:00,2 - High,vpn
INC1,Resolved,2026-03-02 09:00:00,2026-03-02 16:00:00,2 - High,vpn
INC2,New,2026-03-02 09:00:00,2026-03-02 09:00:00,2 - High,mail
INC2,Resolved,2026-03-02 09:00:00,2026-03-02 10:00:00,2 - High,mail
"""
JIRA_WAITING = """Issue key,Summary,Status,Priority,Created,Updated
SR-1,printer,Waiting for customer,High,02/Mar/26 9:00 AM,02/Mar/26 10:00 AM
"""


def test_backtest_folds_each_export_with_its_own_sources_status_words(tmp_path):
    """No `source:` in the config: the ServiceNow log's "Awaiting User Info" pauses INC1 (09:00-16:00 less the
    5h wait: 2h, met) and Jira's "Waiting for customer" holds SR-1, as `check` folds them; the backtest used
    the generic words for both (INC1 7h, missed; SR-1 breached)."""
    (tmp_path / "incidents.csv").write_text(SN_LOG, encoding="utf-8")
    (tmp_path / "jira.csv").write_text(JIRA_WAITING, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        "timezone: UTC\npolicies: [{name: all, targets: {resolution: 4h}, pause: [resolution]}]\n", encoding="utf-8"
    )
    exports = [str(tmp_path / "incidents.csv"), str(tmp_path / "jira.csv")]
    window = ["--from", "2026-03-02", "--to", "2026-03-03", "--baseline", str(tmp_path / "c.yaml"), "-f", "json"]
    result = run(["backtest", *exports, "-c", str(tmp_path / "c.yaml"), *window])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["attainment"] == [{"policy": "all", "metric": "resolution", "met": 2, "stopped": 2}]
    assert document["totals"].get("new breach", 0) == 0  # SR-1 waits, paused, since 10:00
