"""The README's four recipes (crontab, systemd, GitHub Actions, GitLab CI), taken from the README itself and run
as their scheduler would run them, in a folder laid out as they expect: each fails on breaches (exit 1) and
keeps a JUnit report that holds the breaches, on the first run and on every later one (`--changes-only` with
state filters what is printed, never the verdict or the report), and the cron recipe delivers its notifications
once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "cli" / "cases" / "source-jira"
BIN = Path(sys.executable).parent  # where this environment's `escalate` is


def _recipes() -> dict[str, list[str]]:
    """The escalate commands of each recipe, as the README gives them, paths made relative to the folder."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Recipes", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"\*\*(.+?)\*\*.*?```\w*\n(.*?)```", section, re.S)
    out: dict[str, list[str]] = {}
    for name, block in blocks:
        commands = []
        for line in block.splitlines():
            line = line.strip().removeprefix("- ").removeprefix("ExecStart=")
            found = re.search(r"(\S*escalate) check .*", line)
            if found:
                command = found.group(0)
                commands.append(command.replace(found.group(1), "escalate", 1))
        out[name.split(":")[0].split(" (")[0]] = commands
    return out


def test_the_readme_has_four_recipes_and_each_says_what_it_runs():
    recipes = _recipes()
    assert list(recipes) == ["crontab", "systemd timer", "GitHub Actions", "GitLab CI"]
    assert all(recipes.values())
    github = (ROOT / "README.md").read_text(encoding="utf-8").split("**GitHub Actions**", 1)[1].split("```", 2)[1]
    steps = github.split("- name: ")[1:]
    assert len(steps) == len(recipes["GitHub Actions"]) == 2
    assert "if: always()" in steps[1]  # the annotations run, and the report is kept, when the check fails


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "exports").mkdir()
    shutil.copy(CASE / "jira.csv", tmp_path / "exports" / "jira.csv")
    records = [
        {
            "id": "T-1",
            "title": "Checkout down",
            "priority": "Highest",
            "status": "open",
            "created": "2025-12-01T09:00:00Z",
        },
        {"id": "T-2", "title": "Typo", "priority": "Low", "status": "open", "created": "2025-12-01T09:00:00Z"},
        {
            "id": "T-3",
            "title": "Fixed",
            "priority": "High",
            "status": "done",
            "created": "2025-12-01T09:00:00Z",
            "resolved": "2025-12-01T10:00:00Z",
        },
    ]
    for name in ("issues.json", "tickets.json"):  # the recipes' names for a generic JSON export
        (tmp_path / "exports" / name).write_text(json.dumps(records), encoding="utf-8")
    sla = (CASE / "sla.yaml").read_text(encoding="utf-8")
    sla += (
        "channels:\n"
        "  log: {type: command, run: [sh, -c, 'cat >> sent.log; echo >> sent.log']}\n"
        "contacts:\n"
        "  lead: log\n"
    )
    (tmp_path / "sla.yaml").write_text(sla, encoding="utf-8")
    return tmp_path


def _run(folder: Path, commands: list[str], shell_stops_on_failure: bool) -> int:
    """As the scheduler runs them: cron and systemd one command; GitHub's `run: |` and GitLab's script under
    `bash -e`, which stops at the first command that fails."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "GITHUB_STEP_SUMMARY": str(folder / "s.md")}
    script = ("set -e\n" if shell_stops_on_failure else "") + "\n".join(commands)
    done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


def _breaches(report: Path) -> int:
    suites = ET.parse(report).getroot()
    return sum(int(s.get("failures", "0")) for s in suites.iter("testsuite"))


@pytest.mark.parametrize("name", ["crontab", "systemd timer", "GitHub Actions", "GitLab CI"])
def test_each_recipe_fails_on_breaches_and_keeps_its_junit_report(folder, name):
    commands = _recipes()[name]
    report = folder / "sla.xml"
    for run in (1, 2):  # a later run with nothing new must say the same
        if name == "GitHub Actions":  # one step per command, each `if: always()` after the first: the job
            # fails when a step does
            code = max(_run(folder, [command], shell_stops_on_failure=True) for command in commands)
        else:
            code = _run(folder, commands, shell_stops_on_failure=name == "GitLab CI")
        assert code == 1, (name, run)
        assert report.exists(), (name, run)
        assert _breaches(report) >= 1, (name, run)
        report.unlink()
    if name == "crontab":  # the notifications went out once, not once a run
        sent = (folder / "sent.log").read_text(encoding="utf-8")
        assert sent.count('"issue": "SOL-7"') == 1, sent
