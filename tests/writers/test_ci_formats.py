"""JUnit, GitHub workflow commands and markdown: structure and escaping, on a report with hostile text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.config import parse_config
from escalate_cli.model import Issue, Severity
from escalate_cli.sla import evaluate
from escalate_cli.writers import OutputFormat, writer_for

UTC = ZoneInfo("UTC")
T0 = 1_767_603_600  # 2026-01-05 09:00 UTC
H = 3600
CONFIG = parse_config(
    {
        "policies": [
            {
                "name": "p<1>",
                "targets": {"resolution": "4h"},
                "warn": "50%",
                "escalate": [{"after": "100%", "level": "L2", "notify": ["lead"], "action": "page: 100% & <now>"}],
            }
        ]
    }
)
TITLE = 'Costs 100% more: "a, b"\nsecond line | pipe [bold]x[/bold]'


def report():
    issues = [
        Issue(id="A:1", created=T0, fields={"title": TITLE}, where="dir,x/issues.csv:7"),
        Issue(id="B-2", created=T0 + 3 * H, fields={"title": "warn | " + TITLE}, where="issues.csv:8"),
        Issue(id="C-3", created=T0, resolved=T0 + H, fields={"title": "met"}, where="issues.csv:9"),
    ]
    return evaluate(issues, CONFIG.policies, T0 + 5 * H, str)


def render(fmt, **kw):
    return writer_for(fmt, tz=UTC, **kw)(report())


@pytest.mark.parametrize(("fail_on", "failures"), [(Severity.BREACH, 1), (Severity.WARNING, 2), (Severity.NEVER, 0)])
def test_junit_is_valid_xml_with_one_suite_per_policy(fail_on, failures):
    root = ET.fromstring(render(OutputFormat.JUNIT, fail_on=fail_on).split("\n", 1)[1])
    (suite,) = root.findall("testsuite")
    assert (root.get("tests"), root.get("failures"), suite.get("name")) == ("3", str(failures), "p<1>")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"A:1 resolution", "B-2 resolution", "C-3 resolution"}
    failure = cases["A:1 resolution"].find("failure")
    if fail_on is Severity.NEVER:
        assert failure is None
    else:
        assert failure.get("type") == "breached" and "page: 100% & <now>" in failure.text
        assert failure.get("message").startswith("A:1 resolution breached: overdue by 1h (Costs 100% more")
    props = {p.get("name"): p.get("value") for p in cases["B-2 resolution"].iter("property")}
    assert props["state"] == "warning" and props["remaining_seconds"] == "7200"
    assert props["due_at"] == "2026-01-05T16:00:00+00:00"
    warned = cases["B-2 resolution"]
    assert (warned.find("failure") is not None) is (fail_on is Severity.WARNING)


def test_github_commands_escape_data_and_properties():
    lines = render(OutputFormat.GITHUB).splitlines()
    assert lines == [
        "::error file=dir%2Cx/issues.csv,line=7,title=SLA breached%3A A%3A1 resolution::p<1>: resolution overdue by "
        '1h — Costs 100%25 more: "a, b"%0Asecond line | pipe [bold]x[/bold] — page: 100%25 & <now>',
        "::warning file=issues.csv,line=8,title=SLA warning%3A B-2 resolution::p<1>: resolution 2h left — warn | "
        'Costs 100%25 more: "a, b"%0Asecond line | pipe [bold]x[/bold]',
    ]


def test_markdown_escapes_cells():
    text = render(OutputFormat.MARKDOWN)
    row = next(line for line in text.splitlines() if "B-2" in line)
    assert row.endswith('| warn \\| Costs 100% more: "a, b" second line \\| pipe \\[bold\\]x\\[/bold\\] |')  # no link
    assert row.count(" | ") == 7
    assert text.startswith(
        "### SLA report as of 2026-01-05T14:00:00+00:00\n\n**1 breached, 1 warning, 0 ok, 1 met, "
        "0 missed** across 3 issues (0 unmatched, 0 errors)"
    )


def test_summary_is_appended_to_a_file_and_defaults_to_github_step_summary(tmp_path, monkeypatch):
    args = ["check", "examples/issues.csv", "-c", "config.example.yaml", "--as-of", "2026-11-20T14:00:00+01:00", "-q"]
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    monkeypatch.chdir(__import__("pathlib").Path(__file__).resolve().parents[2])
    CliRunner().invoke(app, [*args, "--summary", str(target)])
    assert target.read_text().startswith("earlier step\n### SLA report as of 2026-11-20T14:00:00+01:00")
    step = tmp_path / "step.md"
    CliRunner().invoke(app, args, env={"GITHUB_STEP_SUMMARY": str(step)})
    assert "| 🔴 breached | OPS-101 |" in step.read_text()
