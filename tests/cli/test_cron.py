"""Cron mode end to end: several runs with different --as-of on one state file, with a real HTTP server, a real
SMTP server and real processes."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.state import SCHEMA_VERSION
from tests.servers import HookServer, SmtpServer

REPO = Path(__file__).resolve().parents[2]
ISSUES = """id,created,resolved,priority,customer,title
A-1,2026-01-05T09:00:00Z,,P1,ACME,Checkout down
A-2,2026-01-05T10:00:00Z,,P1,Globex,Slow search
"""


@pytest.fixture
def hook():
    server = HookServer()
    yield server
    server.close()


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture
def setup(tmp_path, hook, smtp):
    """A config whose ladder notifies a webhook and a mailbox, an export, and a state file path."""

    def make(mail_hours: str = "", retries: int = 1, extra_channels: str = "") -> dict[str, Path]:
        hours = f"hours: {mail_hours}" if mail_hours else ""
        config = tmp_path / "sla.yaml"
        config.write_text(
            textwrap.dedent(f"""\
            fields: {{customer: customer}}
            calendars:
              office: {{timezone: UTC, hours: {{mon-fri: ["09:00-17:00"]}}}}
            channels:
              hook: {{type: webhook, url: "{hook.url}", retries: {retries}, backoff: 0}}
              mail: {{type: email, host: 127.0.0.1, port: {smtp.port}, from: sla@example.com, to: [leads@example.com],
                      username: sla, password: "${{TEST_SMTP_PASSWORD}}", allow_plaintext: true,
                      retries: {retries}, backoff: 0, {hours}}}
            {textwrap.indent(extra_channels, "  ")}
            contacts:
              lead: hook
              head: [hook, mail]
              sponsor: {{by: customer, map: {{acme: mail}}, default: hook}}
            policies:
              - name: p1
                match: {{priority: P1}}
                targets: {{resolution: 4h}}
                escalate:
                  - {{after: 100%, level: L2, notify: [lead], action: "{{id}} L2: overdue by {{overdue}}"}}
                  - {{after: "+2h", level: L3, notify: [head, sponsor], action: "{{id}} L3 for {{customer}}"}}
            """)
        )
        issues = tmp_path / "issues.csv"
        issues.write_text(ISSUES)
        return {"config": config, "issues": issues, "state": tmp_path / "state.db"}

    return make


@pytest.fixture(autouse=True)
def _smtp_password(monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")


def check_args(paths, at, *extra, issues=None):
    return [
        "check",
        str(issues or paths["issues"]),
        "-c",
        str(paths["config"]),
        "--state",
        str(paths["state"]),
        "--as-of",
        f"2026-01-{at}:00Z",
        *extra,
    ]


def check(paths, at, *extra, issues=None):
    return CliRunner().invoke(app, check_args(paths, at, *extra, issues=issues), prog_name="escalate")


def test_changes_only_across_runs(setup, tmp_path):
    paths = setup()
    first = check(paths, "05T10:00", "--changes-only")
    assert (first.exit_code, first.stdout) == (0, "")  # nothing alarming yet: silent
    warned = check(paths, "05T12:00", "--changes-only", "-f", "json")
    assert [(c["change"], c["issue"], c["before"], c["after"]) for c in json.loads(warned.stdout)["changes"]] == [
        ("new warning", "A-1", "ok", "warning")
    ]
    breached = check(paths, "05T13:00", "--changes-only")
    assert breached.exit_code == 1
    assert breached.stdout.splitlines()[1].split()[:5] == ["new", "breach", "A-1", "resolution", "warning"]
    assert check(paths, "05T13:30", "--changes-only").stdout == ""  # same state again: quiet
    later = tmp_path / "later.csv"
    later.write_text(
        "id,created,resolved,priority,customer,title\n"
        "A-1,2026-01-05T09:00:00Z,2026-01-05T15:30:00Z,P1,ACME,Checkout down\n"
    )
    final = check(paths, "05T16:00", "--changes-only", "-f", "json", issues=later)
    assert [(c["change"], c["issue"], c["after"]) for c in json.loads(final.stdout)["changes"]] == [
        ("stopped", "A-1", "missed"),
        ("disappeared", "A-2", None),
    ]


def test_each_step_is_announced_once_and_only_with_notify(setup, hook, smtp):
    paths = setup()
    dry = check(paths, "05T13:00")
    assert "would send L2 for A-1 resolution to hook (webhook http://127.0.0.1:" in dry.stderr
    assert hook.received == []
    check(paths, "05T13:00", "--notify")
    assert [r["json"]["text"] for r in hook.received] == ["A-1 L2: overdue by 0s"]
    assert hook.received[0]["json"]["level"] == "L2" and hook.received[0]["json"]["issue"] == "A-1"
    check(paths, "05T13:30", "--notify")
    check(paths, "05T13:30", "--notify")
    assert len(hook.received) == 1  # never the same announcement twice
    result = check(paths, "05T15:00", "--notify")
    assert "sent L3 for A-1 resolution to mail (email leads@example.com)" in result.stderr
    texts = sorted(r["json"]["text"] for r in hook.received)
    assert texts == ["A-1 L2: overdue by 0s", "A-1 L3 for ACME", "A-2 L2: overdue by 1h"]
    (mail,) = smtp.messages  # head -> mail, and sponsor routes ACME to mail as well: one message
    assert mail["Subject"] == "[escalate] L3: A-1 resolution breached" and mail["To"] == "leads@example.com"
    assert "A-1 L3 for ACME" in mail.get_payload() and smtp.logins == [("sla", "s3cret")]


def test_failed_delivery_is_retried_next_run_and_then_sent_once(setup, hook):
    paths = setup(retries=2)
    hook.fail_next = 2
    failed = check(paths, "05T13:00", "--notify")
    assert "could not deliver L2 for A-1 resolution to hook" in failed.stderr and "after 2 attempts: HTTP 500" in (
        failed.stderr
    )
    assert hook.received == []
    check(paths, "05T13:10", "--notify")
    check(paths, "05T13:20", "--notify")
    assert [r["json"]["text"] for r in hook.received] == ["A-1 L2: overdue by 0s"]


def test_quiet_hours_hold_mail_until_the_calendar_opens(setup, smtp):
    paths = setup(mail_hours="office")
    sunday = check(paths, "04T20:00", "--notify", issues=_old_issue(paths))
    assert "holding L3 for A-9 resolution for mail until its hours (office) open" in sunday.stderr
    assert smtp.messages == []
    check(paths, "05T09:05", "--notify", issues=_old_issue(paths))  # Monday, open
    assert [m["Subject"] for m in smtp.messages] == ["[escalate] L3: A-9 resolution breached"]


def _old_issue(paths) -> Path:
    path = paths["issues"].with_name("old.csv")
    path.write_text("id,created,priority,customer,title\nA-9,2026-01-04T10:00:00Z,P1,Initech,old\n")
    return path


def test_command_channel_gets_the_json_on_stdin(setup, tmp_path):
    out = tmp_path / "paged.jsonl"
    script = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + chr(10))"
    paths = setup(extra_channels=f'pager: {{type: command, run: ["{sys.executable}", "-c", "{script}"]}}\n')
    text = paths["config"].read_text().replace("lead: hook", "lead: pager")
    paths["config"].write_text(text)
    check(paths, "05T13:00", "--notify")
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["text"] == "A-1 L2: overdue by 0s"


def test_a_command_that_leaves_a_child_holding_its_output_is_delivered_once(setup, tmp_path):
    """#21 point 11: the command exits 0 at once but a background child keeps its stdout and stderr open for
    longer than the channel's timeout. The delivery is the command's exit, not its pipes' end: sent, once."""
    out = tmp_path / "paged.jsonl"
    script = f"cat >> {out}; echo >> {out}; (sleep 5 &); exit 0"
    paths = setup(extra_channels=f'pager: {{type: command, run: [sh, -c, "{script}"], timeout: 2, retries: 1}}\n')
    text = paths["config"].read_text().replace("lead: hook", "lead: pager")
    paths["config"].write_text(text)
    first = check(paths, "05T13:00", "--notify")
    assert "could not deliver" not in first.stderr and "timed out" not in first.stderr, first.stderr
    check(paths, "05T13:10", "--notify")
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["issue"] == "A-1"


def test_an_unset_variable_only_stops_its_channel_from_delivering(setup, monkeypatch):
    """`${VAR}` is resolved when the channel delivers (#20): `check` without --notify and `validate` work without
    the secret, `validate` names the variable, and a delivery on that channel fails saying so (recorded, and
    tried again by a later run), never the run."""
    from escalate_cli.config import load_config
    from escalate_cli.notify import deliver

    paths = setup()
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    result = check(paths, "05T13:00")
    assert result.exit_code == 1 and "not set" not in result.stderr  # breaches, as with the secret
    checked = CliRunner().invoke(app, ["validate", "-c", str(paths["config"])])
    assert checked.exit_code == 0 and checked.stderr == (
        f"warning: {paths['config']}: channels.mail: environment variable TEST_SMTP_PASSWORD is not set: the "
        "channel is not checked and cannot deliver until it is\n"
    )
    mail = load_config(paths["config"]).channels["mail"]
    assert mail.describe() == "mail (email; not checked: TEST_SMTP_PASSWORD not set)"  # the name, never a value
    assert deliver(mail, {"text": "x"}) == (0, "environment variable TEST_SMTP_PASSWORD is not set")


@pytest.mark.parametrize("flag", ["--notify", "--changes-only"])
def test_notify_and_changes_only_need_state(setup, flag):
    paths = setup()
    result = CliRunner().invoke(app, ["check", str(paths["issues"]), "-c", str(paths["config"]), flag])
    assert result.exit_code == 2 and "needs --state FILE" in result.stderr


def test_state_file_schema_is_versioned(setup):
    paths = setup()
    check(paths, "05T10:00")
    db = sqlite3.connect(paths["state"])
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    result = check(paths, "05T11:00")
    assert result.exit_code == 3 and "written by a newer escalate (schema 99" in result.stderr


def test_a_state_file_that_cannot_be_used_lets_go_of_its_lock(setup):
    """An error while opening (here a newer schema) releases the lock at once, not when the store is collected:
    `watch` carries on to its next cycle, and the next run must not wait for this one."""
    from escalate_cli.state import StateError, StateStore

    paths = setup()
    check(paths, "05T10:00")
    db = sqlite3.connect(paths["state"])
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="newer escalate") as caught, StateStore(paths["state"], lock_timeout=0.1):
        pass
    with open(f"{paths['state']}.lock", "a+") as other:  # while the error (and its traceback) is still held
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError while the lock is held
    assert caught.value.__traceback__ is not None


def test_a_file_that_is_not_a_state_file(setup):
    paths = setup()
    paths["state"].write_text("not sqlite at all " * 100)
    result = check(paths, "05T10:00")
    assert result.exit_code == 3 and "not a usable escalate state file" in result.stderr


def test_a_run_that_cannot_get_the_lock_gives_up_with_a_message(setup):
    paths = setup()
    with open(f"{paths['state']}.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242")
        held.flush()
        result = check(paths, "05T10:00", "--lock-timeout", "0.3")
    assert result.exit_code == 3
    assert "waiting for " in result.stderr and "another escalate run (pid 4242) is using it" in result.stderr
    assert "still in use by another escalate run after 0.3s; gave up" in result.stderr


def _spawn(paths, at, *extra) -> subprocess.Popen:
    args = [sys.executable, "-m", "escalate_cli", *check_args(paths, at, "--notify", *extra)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_at_once_announce_nothing_twice(setup, hook):
    paths = setup()
    hook.hang = 0.5  # keep the first run delivering while the second one starts
    runs = [_spawn(paths, "05T15:00"), _spawn(paths, "05T15:00")]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [1, 1], outputs
    texts = sorted(r["json"]["text"] for r in hook.received)
    assert texts == ["A-1 L2: overdue by 2h", "A-1 L3 for ACME", "A-2 L2: overdue by 1h"]
    assert any("waiting for" in err for _, err in outputs)
    db = sqlite3.connect(paths["state"])
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_run_killed_half_way_loses_nothing(setup, hook):
    paths = setup()
    check(paths, "05T12:00")  # an earlier run's record
    hook.hang = 30
    run = _spawn(paths, "05T13:00")
    db = sqlite3.connect(paths["state"], timeout=10)
    deadline = time.monotonic() + 20
    while not db.execute("SELECT count(*) FROM deliveries").fetchone()[0]:
        assert time.monotonic() < deadline, "the run never recorded its announcement"
        time.sleep(0.05)
    time.sleep(0.2)  # it is now inside the (hanging) delivery
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    assert db.execute("SELECT status FROM deliveries").fetchall() == [("pending",)]
    db.close()
    hook.hang = 0
    hook.received.clear()  # the killed run's request may have reached the server before it died
    check(paths, "05T13:05", "--notify")
    check(paths, "05T13:10", "--notify")
    assert [r["json"]["text"] for r in hook.received] == ["A-1 L2: overdue by 0s"]


def test_a_state_file_of_schema_1_keeps_its_clocks(setup):
    """Schema 1 kept a row per clock; schema 2 a snapshot of them. A run on an old file carries on from it: a
    breach it remembered is no new breach, and its announcements stay announced."""
    from escalate_cli.state import MIGRATIONS

    paths = setup()
    db = sqlite3.connect(paths["state"])
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO clocks VALUES ('A-1', 'resolution', 'p1', 'breached', 'L2', 1767628800, 'Checkout down')")
    db.execute("INSERT INTO runs (as_of, started_at) VALUES (1767628800, 0)")
    db.execute(
        "INSERT INTO announcements (key, run_id, issue, metric, policy, level, payload)"
        " VALUES ('A-1\x1fresolution\x1fp1\x1fL2', 1, 'A-1', 'resolution', 'p1', 'L2', '{}')"
    )
    db.commit()
    db.close()
    result = check(paths, "05T13:30", "--changes-only", "-f", "json")
    assert result.exit_code == 1
    changes = [(c["change"], c["issue"]) for c in json.loads(result.stdout)["changes"]]
    assert changes == [("new warning", "A-2")]  # A-1 was breached at L2 already; A-2 the old file never saw
    assert "would send" not in check(paths, "05T13:30").stderr
    db = sqlite3.connect(paths["state"])
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'clocks'").fetchone() is None


def test_a_damaged_snapshot_is_a_clear_error(setup):
    paths = setup()
    check(paths, "05T10:00")
    db = sqlite3.connect(paths["state"])
    db.execute("UPDATE snapshot SET clocks = x'00ff00ff'")
    db.commit()
    db.close()
    result = check(paths, "05T11:00")
    assert result.exit_code == 3 and "the clocks of the last run cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_changes_only_filters_what_is_printed_never_the_verdict(setup, tmp_path):
    """A second run with the breach still there: nothing new to print, but exit 1, a JSON summary counting the
    breach, a JUnit file with every clock and its failure, and a --summary file listing the breach."""
    paths = setup()
    assert check(paths, "05T14:00").exit_code == 1
    again = check(paths, "05T14:00", "--changes-only", "-f", "json")
    document = json.loads(again.stdout)
    assert again.exit_code == 1 and document["changes"] == [] and document["results"] == []
    assert document["summary"]["breached"] == 2
    junit = check(paths, "05T14:00", "--changes-only", "-f", "junit", "-o", str(tmp_path / "sla.xml"))
    xml = (tmp_path / "sla.xml").read_text()
    assert junit.exit_code == 1 and xml.count("<testcase ") == 2 and 'failures="2"' in xml
    summary = tmp_path / "summary.md"
    table = check(paths, "05T14:00", "--changes-only", "--summary", str(summary))
    assert (table.exit_code, table.stdout) == (1, "") and "🔴 breached | A-1" in summary.read_text()


def test_would_send_is_said_once_and_the_step_is_still_sent_with_notify(setup, hook):
    paths = setup()
    first = check(paths, "05T13:00")
    assert first.stderr.count("would send L2 for A-1 resolution") == 1
    assert "would send" not in check(paths, "05T13:10").stderr  # said by the run before
    later = check(paths, "05T15:00")  # L3 is reached: only that is new
    assert "would send L3 for A-1" in later.stderr and "would send L2 for A-1" not in later.stderr
    check(paths, "05T15:00", "--notify")
    assert sorted(r["json"]["level"] for r in hook.received if r["json"]["issue"] == "A-1") == ["L2", "L3"]


def test_an_empty_state_file_is_an_error_not_a_new_one(setup):
    """A 0-byte file (a truncated copy, a failed restore) read as new would send every escalation again."""
    paths = setup()
    paths["state"].write_bytes(b"")
    result = check(paths, "05T13:00", "--notify")
    assert result.exit_code == 3 and f"{paths['state']}: empty (0 bytes)" in result.stderr
    assert paths["state"].stat().st_size == 0  # left as it was


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_the_lock_timeout_is_a_finite_number(setup, value):
    result = check(setup(), "05T13:00", "--lock-timeout", value)
    assert result.exit_code == 2 and "expected a number of seconds" in result.stderr


def test_a_queued_escalation_is_dropped_once_its_clock_has_stopped(setup, hook, tmp_path):
    """The L2 of A-1 could not be delivered at 13:00; A-1 was resolved at 13:30: at 14:30 the L2 is not sent,
    but dropped, said and recorded, and A-2's own escalation still goes out."""
    paths = setup()
    hook.fail_next = 100
    check(paths, "05T13:00", "--notify")
    assert hook.received == []
    hook.fail_next = 0
    resolved = tmp_path / "resolved.csv"
    resolved.write_text(ISSUES.replace("A-1,2026-01-05T09:00:00Z,,", "A-1,2026-01-05T09:00:00Z,2026-01-05T13:30:00Z,"))
    later = check(paths, "05T14:30", "--notify", issues=resolved)
    assert "dropped L2 for A-1 resolution for hook: the clock stopped (missed) before it could be delivered" in (
        later.stderr
    )
    assert [(r["json"]["issue"], r["json"]["level"]) for r in hook.received] == [("A-2", "L2")]
    db = sqlite3.connect(paths["state"])
    assert db.execute("SELECT reason FROM dropped").fetchall() == [("the clock stopped (missed) before delivery",)]
    again = check(paths, "05T14:40", "--notify", issues=resolved)
    assert "A-1" not in again.stderr and len(hook.received) == 1  # dropped once, never retried


def test_a_row_that_cannot_be_read_keeps_its_clocks_remembered_state(setup, tmp_path):
    """Run 2 cannot read A-1's row: A-1 has not disappeared; run 3 reads it again: no new breach, as run 1 had
    it breached already (it was announced as gone, then as new)."""
    paths = setup()
    first = check(paths, "05T13:30", "--changes-only", "-f", "json")
    assert ("new breach", "A-1") in [(c["change"], c["issue"]) for c in json.loads(first.stdout)["changes"]]
    broken = tmp_path / "broken.csv"
    broken.write_text(ISSUES.replace("A-1,2026-01-05T09:00:00Z,", "A-1,tomorrow,"))
    second = check(paths, "05T13:40", "--changes-only", "-f", "json", "--allow-invalid", issues=broken)
    assert "created: cannot parse 'tomorrow'" in second.stderr
    assert json.loads(second.stdout)["changes"] == []
    third = check(paths, "05T13:50", "--changes-only", "-f", "json")
    assert json.loads(third.stdout)["changes"] == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_webhook_redirect_is_a_failed_delivery_not_followed(setup, hook, status):
    """Followed, a 301-303 turned into a GET without the body, to any host, with the channel's headers, and
    its 200 was recorded as sent."""
    paths = setup(retries=1)
    hook.redirect = (status, f"http://user:secret@127.0.0.1:{hook.server.server_address[1]}/elsewhere?token=t")
    result = check(paths, "05T13:00", "--notify")
    assert "could not deliver L2 for A-1 resolution to hook" in result.stderr
    assert f"HTTP {status}" in result.stderr and "redirects are not followed" in result.stderr
    assert "secret" not in result.stderr and "token" not in result.stderr  # the Location's origin only
    assert hook.gets == [] and hook.received == []
    db = sqlite3.connect(paths["state"])
    assert db.execute("SELECT status FROM deliveries").fetchall() == [("pending",)]  # the next run tries again


def test_one_poisoned_delivery_never_blocks_the_others(setup, hook, smtp, tmp_path):
    """An id with a line break reaches the mail channel (its Subject raised outside any try, and every later
    --notify run stopped with exit 4, sending nothing), and a damaged payload row sits in the state file: each
    is its own delivery's failure; everything else goes out."""
    paths = setup()
    odd = tmp_path / "odd.csv"
    odd.write_text(ISSUES + '"A-3\r\nBcc: x@example.com",2026-01-05T09:00:00Z,,P1,ACME,Line break\n')
    first = check(paths, "05T15:00", "--notify", issues=odd)  # L3 of go to hook and mail
    assert first.exit_code == 1, first.stderr
    subjects = [m["Subject"] for m in smtp.messages]
    assert any("A-3 Bcc: x@example.com" in s for s in subjects) and all("\n" not in s for s in subjects)
    db = sqlite3.connect(paths["state"])
    db.execute("UPDATE announcements SET payload = '{not json' WHERE issue = 'A-2'")
    db.execute("UPDATE deliveries SET status = 'pending'")
    db.commit()
    db.close()
    hook.received.clear()
    again = check(paths, "05T15:10", "--notify", issues=odd)
    assert again.exit_code == 1 and "its payload cannot be read" in again.stderr
    assert {r["json"]["issue"] for r in hook.received} >= {"A-1"}


def test_fail_on_delivery_gives_failed_deliveries_their_exit_code(setup, hook):
    paths = setup(retries=1)
    hook.fail_next = 100
    assert check(paths, "05T12:00", "--notify", "--fail-on-delivery").exit_code == 0  # nothing to send yet
    assert check(paths, "05T13:00", "--notify").exit_code == 1  # the breach; a failed delivery changes nothing
    assert check(paths, "05T13:05", "--notify", "--fail-on-delivery").exit_code == 5
    hook.fail_next = 0
    assert check(paths, "05T13:10", "--notify", "--fail-on-delivery").exit_code == 1  # delivered now
    result = CliRunner().invoke(app, ["check", str(paths["issues"]), "-c", str(paths["config"]), "--fail-on-delivery"])
    assert result.exit_code == 2 and "needs --state FILE" in result.stderr


def test_webhook_credentials_never_reach_stderr_or_validate(setup, monkeypatch):
    """`user:password@` and `?token=` parts of a webhook URL were printed by validate and the would-send line."""
    canary = "c4nary-s3cret"
    monkeypatch.setenv("HOOK_URL", f"https://bot:{canary}@127.0.0.1:9/hooks?token={canary}")
    paths = setup(extra_channels='leaky: {type: webhook, url: "${HOOK_URL}"}')
    config = paths["config"].read_text().replace("lead: hook", "lead: [hook, leaky]")
    paths["config"].write_text(config)
    dry = check(paths, "05T13:00")
    assert "leaky (webhook https://127.0.0.1:9/...)" in dry.stderr and canary not in dry.stderr + dry.stdout
    validated = CliRunner().invoke(app, ["validate", "-c", str(paths["config"])])
    assert validated.exit_code == 0 and canary not in validated.stdout + validated.stderr
    assert canary not in paths["state"].read_bytes().decode("utf-8", "replace")
    # a delivery that fails (nothing listens on port 9), every output format to a file, --debug: still nowhere
    report = paths["state"].with_name("report.json")
    sent = check(paths, "05T13:05", "--notify", "--debug", "-f", "json", "-o", str(report))
    assert "could not deliver L2 for A-1 resolution to leaky (webhook https://127.0.0.1:9/...)" in sent.stderr
    assert canary not in sent.stdout + sent.stderr + report.read_text(encoding="utf-8")
    assert canary not in paths["state"].read_bytes().decode("utf-8", "replace")
    bad = paths["config"].read_text().replace('"${HOOK_URL}"}', '"${HOOK_URL}", headers: {X-Token: "${HOOK_URL}"}}')
    paths["config"].write_text(bad.replace('url: "${HOOK_URL}"', 'url: "${HOOK_URL} x"'))
    refused = CliRunner().invoke(app, ["validate", "-c", str(paths["config"]), "--debug"])
    assert refused.exit_code == 3 and canary not in refused.stdout + refused.stderr


def test_the_lock_holds_when_its_file_is_removed_or_the_state_is_reached_through_a_symlink(setup, tmp_path):
    """The lock was tied to the lock file's name: with it removed, or through a symlink to the state file, a
    second run went ahead and 1,348 of 1,390 messages were sent twice."""
    from escalate_cli.state import StateStore

    paths = setup()
    check(paths, "05T10:00")  # the state file exists
    link = tmp_path / "link.db"
    link.symlink_to(paths["state"])
    with StateStore(paths["state"], lock_timeout=1):
        Path(f"{paths['state']}.lock").unlink()  # a cleanup script removes the lock file
        for state in (paths["state"], link):
            args = check_args(paths, "05T11:00", "--lock-timeout", "0.2")
            args[args.index("--state") + 1] = str(state)
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 3 and "still in use by another escalate run" in result.stderr
    assert check(paths, "05T11:00").exit_code == 0  # once it is let go


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("UPDATE meta SET value = 'two' WHERE key = 'schema_version'", "its schema version 'two' is not a number"),
        ("DROP TABLE announcements", "not a usable escalate state file (no such table: announcements)"),
    ],
)
def test_a_damaged_state_file_is_a_clear_error_naming_it(setup, damage, message):
    paths = setup()
    check(paths, "05T13:00", "--notify")
    db = sqlite3.connect(paths["state"])
    db.execute(damage)
    db.commit()
    db.close()
    result = check(paths, "05T13:30", "--notify")
    assert result.exit_code == 3 and f"{paths['state']}: {message}" in result.stderr
    assert "internal error" not in result.stderr


def test_an_unresponsive_channel_costs_one_delivery_not_every_one(setup, tmp_path):
    """#21 point 20: a webhook that never answers in time held every later delivery for its timeout x retries.
    Once a channel fails in a run, its other deliveries wait for the next run, and the working channel gets all
    of its messages in this one."""
    dead = HookServer()
    dead.hang = 5.0
    try:
        paths = setup(
            extra_channels=f'dead: {{type: webhook, url: "{dead.url}", timeout: 0.5, retries: 2, backoff: 0}}\n'
        )
        text = paths["config"].read_text().replace("lead: hook", "lead: [dead, hook]")
        paths["config"].write_text(text)
        many = "".join(f"B-{n},2026-01-05T09:00:00Z,,P1,Initech,issue {n}\n" for n in range(12))
        paths["issues"].write_text(ISSUES + many)
        result = check(paths, "05T13:30", "--notify")
        assert len(hook_received(result)) == 13  # the working channel: every L2 of this run (A-1 and the twelve B)
        assert dead.posts == 2  # one delivery's two attempts, then no more this run
        assert result.stderr.count("not trying L2 for") == 12 and "it failed this run (timed out)" in result.stderr
    finally:
        dead.close()


def hook_received(result):
    """The lines saying a delivery to the working webhook was sent."""
    return [line for line in result.stderr.splitlines() if line.startswith("sent L2 for") and "webhook" in line]


def test_retry_after_is_honoured_within_a_cap(setup, hook):
    """#21 point 20: a 429 with Retry-After: 1 is retried after that second; one asking for an hour fails at once
    (the next run tries again), rather than holding the run and its lock."""
    paths = setup(retries=2)
    hook.fail_next, hook.retry_after = 1, "1"
    first = check(paths, "05T13:00", "--notify")
    assert "sent L2 for A-1 resolution" in first.stderr and hook.posts == 2
    hook.fail_next, hook.retry_after = 5, "3600"
    later = check(paths, "05T15:00", "--notify")
    assert "the server asks to wait 3600s" in later.stderr


def test_a_delivery_that_keeps_failing_is_given_up_and_recorded(setup, hook):
    """#21 point 2: a delivery that cannot get through is tried by every run until give_up_after attempts, then
    dropped (recorded in the state file with why, said on stderr), and never tried again."""
    import sqlite3

    paths = setup(retries=1)
    text = paths["config"].read_text().replace("backoff: 0}", "backoff: 0, give_up_after: 2}", 1)
    paths["config"].write_text(text)
    hook.fail_next = 100
    for at in ("05T13:00", "05T13:05"):
        assert "could not deliver L2 for A-1" in check(paths, at, "--notify").stderr
    third = check(paths, "05T13:10", "--notify")
    assert "gave up on L2 for A-1 resolution for hook after 2 attempts; recorded as dropped" in third.stderr
    posts = hook.posts
    assert "L2 for A-1" not in check(paths, "05T13:15", "--notify").stderr and hook.posts == posts
    with sqlite3.connect(paths["state"]) as db:
        assert db.execute("SELECT reason FROM dropped").fetchall() == [("gave up after 2 attempts",)]


def test_kill_9_during_delivery_repeats_at_most_one_message_per_kill_and_loses_none(setup, hook, tmp_path):
    """#21: at least once, with its bound. Runs are killed (SIGKILL) while the slow webhook holds a delivery;
    later runs finish the job. Every escalation arrives, and each kill repeats at most the one message that was
    in flight (a delivery is recorded as sent after the server took it, in its own transaction)."""
    import signal
    import subprocess
    import time as clock

    hook.hang = 0.3
    paths = setup(retries=1)
    many = "".join(f"B-{n},2026-01-05T09:00:00Z,,P1,Initech,issue {n}\n" for n in range(8))
    paths["issues"].write_text(ISSUES + many)
    args = [sys.executable, "-m", "escalate_cli", *check_args(paths, "05T13:30", "--notify")]
    kills = 0
    for _ in range(4):
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        clock.sleep(1.6)  # past start-up, inside a delivery
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    while subprocess.run(args, capture_output=True, text=True, timeout=120).stderr.count("sent ") > 0:
        pass  # until a run has nothing left to send
    issues = [r["json"]["issue"] for r in hook.received]
    wanted = {"A-1", *(f"B-{n}" for n in range(8))}  # every L2 of the run (A-2 is not due yet)
    assert set(issues) == wanted  # none lost
    repeats = len(issues) - len(wanted)
    assert kills >= 1 and repeats <= kills, (kills, repeats)
