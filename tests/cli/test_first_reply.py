"""First response is measured from the export's first-reply evidence, or not at all (#18 point 7): an export with
no first-reply column gets no first_response clocks and one warning naming it, whichever reader reads it (CSV by
columns, stdin, a JSON list, an event log); never the time to resolution passed off as a first reply. Jira's CSV
has its evidence in the packed `Comment` cells (`date;account;text`, oldest first)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.test_check import run

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
CONFIG = """
timezone: UTC
policies:
  - name: all
    targets: {first_response: 1h, resolution: 8h}
"""
AS_OF = "2026-03-02T12:00:00Z"


def _clocks(stdout: str) -> list[tuple[str, str, str | None]]:
    return [(r["issue"], r["metric"], r["stopped_at"]) for r in json.loads(stdout)["results"]]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sla.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


ROWS = [
    {"id": "A-1", "status": "done", "created": "2026-03-02T09:00:00Z", "resolved": "2026-03-02T10:30:00Z"},
    {"id": "A-2", "status": "open", "created": "2026-03-02T09:00:00Z", "resolved": ""},
]


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("shape", ["csv", "stdin", "json", "ndjson", "event log"])
def test_an_export_without_first_reply_evidence_gets_no_first_response_clock(tmp_path, config, shape):
    rows = ROWS
    if shape == "event log":  # the same issues as a history of status changes
        rows = [
            {"id": "A-1", "status": "open", "created": "2026-03-02T09:00:00Z", "updated": "2026-03-02T09:00:00Z"},
            {"id": "A-1", "status": "done", "created": "2026-03-02T09:00:00Z", "updated": "2026-03-02T10:30:00Z"},
            {"id": "A-2", "status": "open", "created": "2026-03-02T09:00:00Z", "updated": "2026-03-02T09:00:00Z"},
        ]
    path = tmp_path / ("issues.json" if shape == "json" else "issues.ndjson" if shape == "ndjson" else "issues.csv")
    if shape == "json":
        path.write_text(json.dumps([{k: v for k, v in r.items() if v} for r in rows]), encoding="utf-8")
    elif shape == "ndjson":
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if v}) + "\n" for r in rows), encoding="utf-8")
    else:
        path.write_text(_csv(rows), encoding="utf-8")
    export, stdin = (str(path), None) if shape != "stdin" else ("-", path.read_text(encoding="utf-8"))
    result = run(["check", export, "-c", str(config), "--as-of", AS_OF, "-f", "json", "--all"], stdin=stdin)
    assert result.exit_code == 0, result.output
    assert {metric for _, metric, _ in _clocks(result.stdout)} == {"resolution"}
    label = "<stdin>" if shape == "stdin" else str(path)
    warnings = [line for line in result.stderr.splitlines() if "first-reply" in line]
    assert warnings == [
        f"warning: {label}: no first-reply column ('first_response'): first_response is not measured for its "
        "issues (never as the time to resolution); map the column that holds the first reply: fields: "
        "{first_response: COLUMN}"
    ]


def test_with_a_first_reply_column_a_clock_without_a_reply_stops_at_the_resolution(tmp_path, config):
    """The evidence is the column: an issue resolved before anyone replied still had its response in time."""
    rows = [{**row, "first_response": ""} for row in ROWS]
    rows[1]["first_response"] = "2026-03-02T09:20:00Z"
    path = tmp_path / "issues.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    result = run(["check", str(path), "-c", str(config), "--as-of", AS_OF, "-f", "json", "--all"])
    assert "first-reply" not in result.stderr
    stops = {(issue, metric): stop for issue, metric, stop in _clocks(result.stdout)}
    assert stops[("A-1", "first_response")] == "2026-03-02T10:30:00+00:00"  # resolved, never replied to
    assert stops[("A-2", "first_response")] == "2026-03-02T09:20:00+00:00"


JIRA = (
    "Summary,Issue key,Status,Priority,Created,Updated,Resolved,Comment,Comment,Comment\n"
    'Checkout down,SOL-1,In progress,High,02/Mar/26 9:00 AM,02/Mar/26 11:00 AM,,"02/Mar/26 9:40 AM;5f1a;Looking, '
    'with ""quotes""\nand a second line","02/Mar/26 10:15 AM;5f1b;more",\n'
    "Quiet one,SOL-2,To Do,High,02/Mar/26 9:00 AM,02/Mar/26 9:00 AM,,,,\n"
)


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_jira_csv_first_response_is_the_first_comment(tmp_path, config, via):
    path = tmp_path / "Jira.csv"
    path.write_text(JIRA, encoding="utf-8")
    export, stdin = (str(path), None) if via == "file" else ("-", JIRA)
    args = ["check", export, "--source", "jira", "-c", str(config), "--as-of", AS_OF, "-f", "json", "--all"]
    result = run(args, stdin=stdin)
    assert result.exit_code == 1, result.output  # SOL-2 has had no reply for 3h of a 1h target
    stops = {(issue, metric): stop for issue, metric, stop in _clocks(result.stdout)}
    assert stops[("SOL-1", "first_response")] == "2026-03-02T09:40:00+00:00"
    assert stops[("SOL-2", "first_response")] is None
    assert "first-reply" not in result.stderr


# Per real export, run with only --source and a config of calendars and policies: measured, or said not to be.
MEASURED = {
    "jira/jira_cloud_csv_all_fields_en_repeated_cols__peris25.csv": "jira",
    "jira/jira_cloud_csv_all_fields_en_resolved__ericmedlock.csv": "jira",
    "jira/jira_cloud_jsm_csv_es_locale_sla__diegodev23.csv": "jira",
}
NOT_MEASURABLE = {
    "jira/jira_server_rest_search_fiware_page1.json": "jira-json",
    "github/gh_issue_list_json_python_reindented__mastanford.json": "github",
    "github/github_rest_issues_list_raw__tk22-26_leaf.json": "github",
    "gitlab/gitlab_api_v4_issues_page1__perceval_fixture_EDITED.json": "gitlab",
    "zendesk/zendesk_ticket_export_csv_business_hours_metrics__plum.csv": "zendesk",
    "zendesk/zendesk_api_v2_tickets_list__go-zendesk.json": "zendesk",
    "servicenow/servicenow_incident_list_export_csv_display_values__priya-roy.csv": "servicenow",
    "servicenow/servicenow_incident_jsonv2_export_raw_values__yilmazetl.json": "servicenow",
    "servicenow/incident_event_log.csv.gz": "servicenow",
}


@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/data/real")
@pytest.mark.parametrize("export", sorted({**MEASURED, **NOT_MEASURABLE}))
def test_each_real_export_measures_the_first_reply_or_says_it_cannot(config, export):
    source = {**MEASURED, **NOT_MEASURABLE}[export]
    path = REAL / export
    result = run(
        ["check", str(path), "--source", source, "-c", str(config), "-f", "json", "--all", "--fail-on", "never"]
    )
    assert result.exit_code in (0, 3), result.output  # 3: some real rows are bad, and say so
    clocks = _clocks(result.stdout)
    replies = [(issue, stop) for issue, metric, stop in clocks if metric == "first_response"]
    said = [line for line in result.stderr.splitlines() if "no first-reply column" in line]
    if export in MEASURED:
        assert replies and not said
        resolved = {issue: stop for issue, metric, stop in clocks if metric == "resolution"}
        assert any(stop is not None and stop != resolved.get(issue) for issue, stop in replies)
    else:
        assert replies == [] and len(said) == 1


def test_explain_shows_no_first_response_clock_without_evidence_and_says_why(tmp_path, config):
    path = tmp_path / "issues.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    result = run(["explain", "A-2", str(path), "-c", str(config), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "resolution:" in result.stdout and "first_response: not measured: the export has no" in result.stdout
    assert "first_response: breached" not in result.stdout and "no first-reply column" in result.stderr


def test_report_and_backtest_say_why_first_response_is_missing(tmp_path, config):
    path = tmp_path / "issues.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    shown = run(["report", str(path), "-c", str(config), "--as-of", AS_OF, "-f", "json"])
    assert shown.exit_code == 0, shown.output
    assert {r["metric"] for r in json.loads(shown.stdout)["rows"]} == {"resolution"}
    assert "no first-reply column" in shown.stderr
    replayed = run(["backtest", str(path), "-c", str(config), "--from", "2026-03-02", "--to", "2026-03-02"])
    assert "no first-reply column" in replayed.stderr


ZENDESK_CSV = """Id,Requester id,Group,Status,Priority,Via,Created at,Updated at,Solved at,Reopens,Replies,\
First reply time in minutes within business hours,First resolution time in minutes,\
First resolution time in minutes within business hours,Full resolution time in minutes,\
Full resolution time in minutes within business hours
297732,1030,Support,Solved,Low,Mail,2026-03-02 08:00:00,2026-03-06 16:30:00,2026-03-06 16:30:00,1,3,\
173,1500,600,6270,1950
341827,7296,Endorsements,Pending,Low,Mail,2026-03-02 09:00:00,2026-03-02 19:55:00,,0,2,576,,,,
"""


def test_explain_shows_zendesks_own_figures_beside_the_clocks(tmp_path, config):
    """Zendesk's CSV has the first reply only as business minutes on the account's schedule: no instant is made
    up for it; it is shown as Zendesk's figure. The first resolution, in calendar minutes, places its instant
    (here before the reopening that the last solve follows)."""
    path = tmp_path / "tickets.csv"
    path.write_text(ZENDESK_CSV, encoding="utf-8")
    result = run(["explain", "297732", str(path), "--source", "zendesk", "-c", str(config), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "first_response: not measured" in result.stdout
    assert (
        "the export's own figures (its tool's schedule, not this calendar):\n"
        "  first reply: 173 business minutes\n"
        "  first resolution: 1,500 minutes (at Tue 2026-03-03 09:00)\n"
        "  full resolution: 1,950 business minutes\n"
    ) in result.stdout
    doc = json.loads(
        run(["explain", "341827", str(path), "--source", "zendesk", "-c", str(config), "-f", "json"]).stdout
    )
    assert doc["figures"] == [{"name": "first reply", "minutes": 576, "unit": "business minutes", "at": None}]
