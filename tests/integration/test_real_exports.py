"""Every real export in ../shared/data/real is read with its preset and no unexplained errors. The files are not
copied into this repository (real names, their own licences); the tests skip where the folder is absent."""

from __future__ import annotations

import pytest

from escalate_cli.model import State
from escalate_cli.sla import evaluate
from tests.conftest import REAL_DATA
from tests.helpers import config, read

pytestmark = pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/real is not present")

FILES = [
    ("jira", ["jira/jira_cloud_csv_all_fields_en_repeated_cols__peris25.csv"], 311),
    ("jira", ["jira/jira_cloud_csv_all_fields_en_resolved__ericmedlock.csv"], 22),
    ("jira", ["jira/jira_cloud_jsm_csv_es_locale_sla__diegodev23.csv"], 3),
    (
        "jira-json",
        ["jira/jira_server_rest_search_fiware_page1.json", "jira/jira_server_rest_search_fiware_page2.json"],
        3,
    ),
    ("github", ["github/gh_issue_list_json_raw__docket_antreo-api.json"], 10),
    ("github", ["github/gh_issue_list_json_python_reindented__mastanford.json"], 10),
    ("github", ["github/github_rest_issues_list_raw__tk22-26_leaf.json"], 12),  # 13 items, one a pull request
    ("github", ["github/github_rest_issues_rails_python_redumped_dupes__ahsanhabib98.json"], 32),  # 100 - 68 PRs
    (
        "gitlab",
        [
            "gitlab/gitlab_api_v4_issues_page1__perceval_fixture_EDITED.json",
            "gitlab/gitlab_api_v4_issues_page2__perceval_fixture_EDITED.json",
        ],
        4,
    ),
    ("zendesk", ["zendesk/zendesk_api_v2_tickets_list__go-zendesk.json"], 2),
    ("zendesk", ["zendesk/zendesk_api_v2_search_tickets__go-zendesk.json"], 1),
    ("zendesk", ["zendesk/zendesk_ticket_export_csv_business_hours_metrics__plum.csv"], 16476),
    ("servicenow", ["servicenow/servicenow_incident_list_export_csv_display_values__priya-roy.csv"], 66),
    ("servicenow", ["servicenow/servicenow_incident_list_export_csv_excel_resaved__jamesbhn.csv"], 97),
    ("servicenow", ["servicenow/servicenow_incident_jsonv2_export_raw_values__yilmazetl.json"], 70),  # INC0010001 x2
]


@pytest.mark.parametrize(("source", "names", "issues"), FILES, ids=[names[0].split("/")[1] for _, names, _ in FILES])
def test_real_export_reads_with_its_preset(source, names, issues):
    got = read([REAL_DATA / name for name in names], config(source=source))
    assert got.errors == []
    assert len(got.issues) == issues
    for warning in got.warnings:  # the only warnings are the explained ones
        assert any(why in warning.message for why in ("pull request", "merged", "both are kept")), warning


def test_real_servicenow_json_keeps_both_incidents_that_share_a_number():
    """INC0010001 is two incidents (other sys_id, creation time and description): both are evaluated, and one
    warning says where the id conflicts (#18 point 9); before, one of them was dropped as a copy."""
    got = read([REAL_DATA / FILES[-1][1][0]], config(source="servicenow"))
    both = [i for i in got.issues if i.id == "INC0010001"]
    assert sorted(i.fields["title"] for i in both) == ["Router upgrade issues", "incident for router crash"]
    (warning,) = [w for w in got.warnings if "INC0010001" in w.message]
    assert str(warning).endswith(
        ": record 29: id 'INC0010001' is also the id of a different record (record 26, created at another time): "
        "both are kept"
    )


def test_real_spanish_jira_completado_stops_at_the_last_update():
    got = read([REAL_DATA / "jira/jira_cloud_jsm_csv_es_locale_sla__diegodev23.csv"], config(source="jira"))
    assert all(issue.resolved == issue.updated for issue in got.issues)


def test_real_servicenow_event_log_is_folded_into_incidents_with_pauses():
    cfg = config(source="servicenow")
    got = read([REAL_DATA / "servicenow/incident_event_log.csv.gz"], cfg)
    assert got.errors == [] and got.warnings == []
    assert 20_000 <= len(got.issues) <= 21_000  # 119,998 events of 20,769 incidents
    paused = [issue for issue in got.issues if issue.pauses]
    assert len(paused) > 1000
    for issue in paused:
        assert all(end is None or start < end for start, end in issue.pauses)
    report = evaluate(got.issues, cfg.policies, 1_483_228_800, str)  # 2017-01-01
    assert report.counts()[State.MET.value] + report.counts()[State.MISSED.value] > 19_000


SN_POLICIES = {
    "source": "servicenow",
    "calendars": {"office": {"timezone": "UTC", "hours": {"mon-fri": ["08:00-18:00"]}}},
    "policies": [
        {
            "name": "critical",
            "match": {"priority": ["1 - Critical", "2 - High"]},
            "calendar": "office",
            "targets": {"resolution": "8h"},
            "escalate": [{"after": "100%", "level": "L2"}],
        },
        {"name": "standard", "calendar": "office", "targets": {"resolution": "40h"}},
    ],
}


def test_real_event_log_report_and_a_week_of_backtest():
    from escalate_cli.config import parse_config
    from escalate_cli.engine.backtest import replay as columnar_replay
    from escalate_cli.pipeline import load_prepared, read_options
    from escalate_cli.readers import ReadOptions
    from escalate_cli.readers.issues import collect
    from escalate_cli.stats import summarize
    from tests.reference_backtest import replay

    cfg = parse_config(SN_POLICIES)
    groups = collect([str(REAL_DATA / "servicenow/incident_event_log.csv.gz")], cfg, ReadOptions()).groups
    issues = read([REAL_DATA / "servicenow/incident_event_log.csv.gz"], cfg, as_of=1_488_326_400).issues
    stats = summarize(evaluate(issues, cfg.policies, 1_488_326_400, str).clocks, ["priority"], "month", cfg.timezone)
    assert [row.group for row in stats.rows] == [("1 - Critical",), ("2 - High",), ("3 - Moderate",), ("4 - Low",)]
    assert sum(row.tally.clocks for row in stats.rows) == len(issues)
    window = (cfg.policies, cfg.statuses, None, 1_456_790_400, 1_457_395_199, 900, cfg.timezone)
    week = replay(groups, *window)
    totals = week.totals()  # 2016-03-01 .. 03-07 at 15-minute steps
    assert week.steps == 671 and totals["new breach"] > 50 and totals["stopped"] > 500
    export = [str(REAL_DATA / "servicenow/incident_event_log.csv.gz")]
    rows = load_prepared(export, cfg, 0, read_options(cfg), fold=False).rows
    by_columns = columnar_replay(rows, *window)  # what `escalate backtest` runs
    assert (by_columns.issues, by_columns.totals(), by_columns.stopped) == (week.issues, totals, week.stopped)
    assert by_columns.per_day == week.per_day and by_columns.verdicts == week.verdicts
