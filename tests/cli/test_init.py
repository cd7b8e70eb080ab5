"""`escalate init` and where the config is found: a starter config from the user's own export, and `escalate check
EXPORT` working with no -c after it (./escalate.yaml, then $ESCALATE_CONFIG, then the XDG config directory)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.config import load_config
from escalate_cli.model import Metric
from escalate_cli.starter import Proposal, propose
from tests.conftest import REAL_DATA
from tests.integration.test_real_exports import FILES

H = 3600
EXPORT = """id,created,resolved,priority,title
A-1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,P1,a
A-2,2026-03-02T09:00:00Z,2026-03-02T11:00:00Z,P1,b
A-3,2026-03-02T09:00:00Z,2026-03-02T12:00:00Z,P1,c
A-4,2026-03-02T09:00:00Z,2026-03-02T13:00:00Z,P1,d
A-5,2026-03-02T09:00:00Z,2026-03-02T16:00:00Z,P1,e
B-1,2026-03-02T09:00:00Z,2026-03-03T17:00:00Z,P3,f
B-2,2026-03-02T09:00:00Z,,P3,g
"""


def run(args, env=None):
    return CliRunner().invoke(app, args, env=env, prog_name="escalate")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCALATE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "issues.csv").write_text(EXPORT, encoding="utf-8")
    return tmp_path


def test_init_writes_a_config_with_a_policy_per_priority_and_targets_from_the_history(workdir):
    result = run(["init", "issues.csv", "--timezone", "Europe/Berlin", "--country", "DE"])
    assert result.exit_code == 0, result.output
    text = (workdir / "escalate.yaml").read_text(encoding="utf-8")
    config = load_config(workdir / "escalate.yaml")
    assert [p.name for p in config.policies] == ["P1", "P3", "other"]
    p1 = config.policies[0]
    # P1 took 1h..7h of 09:00-17:00 business time: p80 (nearest rank, 4th of 5) is 4h, met by 4 of 5
    assert p1.targets == {Metric.RESOLUTION: 4 * H}
    assert "# resolution: median 3h, p80 4h over 5 stopped; 4h would have met 80%" in text
    assert "(few of this one)" in text  # P3 has one stopped clock: the overall figures are proposed
    assert 'holidays: {country: "DE"}' in text and "no first-reply times" in text
    checked = run(["check", "issues.csv", "--as-of", "2026-03-04T12:00:00Z", "--fail-on", "never"])
    assert checked.exit_code == 0 and "4 met, 2 missed" in checked.output  # no -c: ./escalate.yaml (P1 4h, P3 8h)


def test_init_does_not_overwrite_without_force(workdir):
    (workdir / "escalate.yaml").write_text("policies: []\n", encoding="utf-8")
    refused = run(["init", "issues.csv"])
    assert refused.exit_code == 3 and "exists" in refused.output
    assert run(["init", "issues.csv", "--force"]).exit_code == 0
    assert "match: {priority:" in (workdir / "escalate.yaml").read_text(encoding="utf-8")


def test_the_config_is_found_in_the_documented_order(workdir, monkeypatch):
    xdg = workdir / "xdg" / "escalate" / "escalate.yaml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("policies: [{name: from-xdg, targets: {resolution: 1h}}]\n", encoding="utf-8")
    args = ["check", "issues.csv", "--as-of", "2026-03-04T12:00:00Z", "--fail-on", "never"]
    assert "from-xdg" in run(args).output
    named = workdir / "named.yaml"
    named.write_text("policies: [{name: from-env, targets: {resolution: 1h}}]\n", encoding="utf-8")
    monkeypatch.setenv("ESCALATE_CONFIG", str(named))
    assert "from-env" in run(args).output
    (workdir / "escalate.yaml").write_text("policies: [{name: from-cwd, targets: {resolution: 1h}}]\n")
    assert "from-cwd" in run(args).output


def test_without_any_config_the_message_says_where_it_looked_and_what_to_do(workdir):
    result = run(["check", "issues.csv"])
    assert result.exit_code == 3
    assert "no config found (looked for ./escalate.yaml, $ESCALATE_CONFIG (not set)" in result.output
    assert "escalate init EXPORT" in result.output


def test_targets_are_the_p80_rounded_up_to_a_duration_a_person_would_write():
    assert propose([]) is None
    assert propose([10 * 60, 20 * 60, 50 * 60, 70 * 60, 90 * 60]) == Proposal(2 * H, 50 * 60, 70 * 60, 5, 5)
    assert propose([41 * H] * 4 + [500 * H]).seconds == 60 * H


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/real is not present")
@pytest.mark.parametrize(
    ("source", "names"), [(s, n) for s, n, _ in FILES], ids=[n[0].split("/")[1] for _, n, _ in FILES]
)
def test_init_on_every_real_export_recognises_its_source_and_check_then_runs(workdir, source, names):
    exports = [str(REAL_DATA / name) for name in names]
    result = run(["init", *exports])
    assert result.exit_code == 0, result.output
    config = load_config(workdir / "escalate.yaml")
    assert config.source == source
    checked = run(["check", *exports, "--quiet", "--fail-on", "never"])
    assert checked.exit_code == 0, checked.output


def test_the_readmes_minimal_config_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("A config needs only this much", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert len(block.splitlines()) <= 11
    path = tmp_path / "minimal.yaml"
    path.write_text(block, encoding="utf-8")
    config = load_config(path)
    assert config.source == "jira" and [p.name for p in config.policies] == ["urgent", "standard"]


def test_init_over_exports_of_two_tools_recognises_each(workdir):
    """A Jira CSV and a Zendesk API export: no source: key (each export's is recognised when checked), a comment
    naming each, and a check of both with no -c."""
    import json
    import shutil

    shutil.copy(Path(__file__).parent / "cases" / "source-jira" / "jira.csv", workdir / "Jira.csv")
    ticket = {"id": 501, "subject": "x", "status": "open", "priority": "high", "created_at": "2025-12-22T10:00:00Z"}
    (workdir / "tickets.json").write_text(json.dumps({"tickets": [ticket]}), encoding="utf-8")
    made = run(["init", "Jira.csv", "tickets.json"])
    assert made.exit_code == 0, made.output
    text = (workdir / "escalate.yaml").read_text(encoding="utf-8")
    assert "\nsource:" not in text and "#   Jira.csv: jira\n#   tickets.json: zendesk\n" in text
    checked = run(["check", "Jira.csv", "tickets.json", "--as-of", "2025-12-29T12:00:00Z", "-f", "json"])
    assert checked.exit_code in (0, 1), checked.output
    assert {r["issue"] for r in json.loads(checked.stdout)["results"]} >= {"SOL-7", "501"}


def test_init_sets_each_policy_goal_to_what_its_targets_are_chosen_for(workdir):
    """The targets are the history's p80, so each policy's goal (report --html's target line) is 80%."""
    from fractions import Fraction

    assert run(["init", "issues.csv"]).exit_code == 0
    config = load_config(workdir / "escalate.yaml")
    assert config.policies and {p.goal for p in config.policies} == {Fraction(4, 5)}
