"""Each source preset against a small export written here that reproduces the quirks of the real ones
(../shared/data/real/PROVENANCE.md): no hand-written field mapping, only `source:`."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from escalate_cli.config import parse_config
from escalate_cli.errors import ConfigError
from escalate_cli.model import State
from escalate_cli.sla import evaluate
from tests.helpers import POLICIES, config, read

UTC = timezone.utc


def epoch(*args) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_jira_csv_bom_repeated_columns_and_jira_dates(write):
    path = write(
        "jira.csv",
        "\ufeffSummary,Issue key,Status,Priority,Created,Updated,Resolved,Labels,Labels,Labels,"
        "Labels,Sprint,Sprint,Sprint\n"
        "Login broken,SOL-1,In progress,Highest,10/Jun/21 11:00 AM,11/Jun/21 2:05 PM,,important,urgent,,,"
        "S1,S2,\n"
        "Old thing,SOL-2,Done,Low,09/Jun/21 9:00 AM,12/Jun/21 8:30 AM,,,,,,,,\n",
    )
    got = read([path], config(source="jira"))
    assert got.errors == []
    one, two = got.by_id()["SOL-1"], got.by_id()["SOL-2"]
    assert (one.fields["title"], one.fields["priority"], one.labels) == (
        "Login broken",
        "Highest",
        ("important", "urgent"),
    )
    assert one.record["Sprint"] == ["S1", "S2"] and one.created == epoch(2021, 6, 10, 11, 0)
    assert two.resolved == epoch(2021, 6, 12, 8, 30)  # Done without a Resolved date stops at the last update


def test_spanish_jira_headers_months_and_status(write):
    path = write(
        "es.csv",
        "Resumen,Clave de incidencia,Estado,Prioridad,Creada,Actualizada,Resuelta\n"
        "VPN caída,HD-1,Completado,Medium,18/jul/26 9:10 AM,18/jul/26 10:53 AM,\n"
        "Correo,HD-2,En curso,Medium,03/dic/25 4:05 PM,04/ago/26 9:00 AM,\n",
    )
    got = read([path], config(source="jira"))
    assert got.errors == []
    one, two = got.by_id()["HD-1"], got.by_id()["HD-2"]
    assert (one.created, one.resolved) == (epoch(2026, 7, 18, 9, 10), epoch(2026, 7, 18, 10, 53))
    assert (two.created, two.resolved) == (epoch(2025, 12, 3, 16, 5), None)


def test_jira_rest_pages_offsets_without_colon_and_nulls(write):
    page = '{{"startAt": {start}, "total": 3, "issues": [{issues}]}}'
    issue = (
        '{{"key": "HELP-{n}", "fields": {{"created": "2016-03-03T13:40:01.000+0000", "updated": '
        '"2016-03-04T10:00:00.000+0100", "resolutiondate": {resolved}, "summary": "", "labels": [], '
        '"priority": {{"name": "Major"}}, "status": {{"name": "{status}"}}}}}}'
    )
    one = write(
        "p1.json",
        page.format(
            start=0,
            issues=",".join(
                [
                    issue.format(n=1, resolved="null", status="Open"),
                    issue.format(n=2, resolved='"2016-03-05T00:00:00.000+0000"', status="Closed"),
                ]
            ),
        ),
    )
    two = write("p2.json", page.format(start=2, issues=issue.format(n=3, resolved="null", status="Closed")))
    got = read([one, two], config(source="jira-json"))
    assert got.errors == [] and sorted(got.by_id()) == ["HELP-1", "HELP-2", "HELP-3"]
    assert got.by_id()["HELP-1"].created == epoch(2016, 3, 3, 13, 40, 1)
    assert got.by_id()["HELP-2"].resolved == epoch(2016, 3, 5)
    assert got.by_id()["HELP-3"].resolved == epoch(2016, 3, 4, 9)  # Closed, no date: its last update
    assert got.by_id()["HELP-1"].fields["priority"] == "Major"


def test_gh_issue_list_uppercase_states(write):
    path = write(
        "gh.json",
        '[{"closedAt":null,"createdAt":"2026-09-20T18:37:15Z","labels":[{"id":"LA_1",'
        '"name":"bug"}],"number":333,"state":"OPEN","title":"A \\"quoted\\" title","updatedAt":'
        '"2026-09-20T18:37:15Z"},{"closedAt":"2026-09-21T08:00:00Z","createdAt":"2026-09-20T10:00:00Z",'
        '"labels":[],"number":300,"state":"CLOSED","title":"done","updatedAt":"2026-09-21T08:00:00Z"}]\n',
    )
    got = read([path], config(source="github"))
    assert got.by_id()["333"].labels == ("bug",) and got.by_id()["333"].fields["status"] == "OPEN"
    assert got.by_id()["300"].resolved == epoch(2026, 9, 21, 8)


REST = (
    '{{"id": {id}, "number": {n}, "state": "open", "created_at": "2024-01-04T10:00:00Z", "updated_at": '
    '"2024-01-0{u}T10:00:00Z", "closed_at": null, "title": "t{n}", "labels": [{{"id": 1, "name": "railties"}}]'
    "{extra}}}"
)


def test_github_rest_pull_requests_are_skipped_and_copies_merged(write):
    rows = [
        REST.format(id=11, n=1, u=5, extra=""),
        REST.format(id=12, n=2, u=5, extra=', "pull_request": {}'),
        REST.format(id=11, n=1, u=5, extra=""),
        REST.format(id=11, n=1, u=5, extra=""),
    ]
    path = write("rest.json", "[\n" + ",\n".join(rows) + "\n]")
    got = read([path], config(source="github"))
    assert list(got.by_id()) == ["1"] and got.by_id()["1"].labels == ("railties",)
    assert [w.message for w in got.warnings] == [
        "skipped 1 pull request (include_pull_requests: true keeps them)",
        "2 rows repeated the id of an earlier row (first: '1') and were merged, keeping the most recently updated",
    ]
    kept = read([path], config(source="github", include_pull_requests=True))
    assert list(kept.by_id()) == ["1", "2"]


def test_gitlab_closed_without_closed_at(write):
    path = write(
        "gl.json",
        '[{"id": 1, "iid": 7, "state": "closed", "closed_at": null, "created_at": '
        '"2017-03-17T03:44:12.073Z", "updated_at": "2016-03-18T14:44:19.566Z", "labels": ["CI/CD"], '
        '"title": "perms"}, {"id": 2, "iid": 8, "state": "opened", "closed_at": null, "created_at": '
        '"2017-03-17T03:44:12.073Z", "updated_at": "2017-03-18T00:00:00Z", "labels": [], "title": "x"}]',
    )
    got = read([path], config(source="gitlab"))
    assert got.errors == [] and got.by_id()["7"].labels == ("CI/CD",)
    assert got.by_id()["7"].resolved == epoch(2017, 3, 17, 3, 44, 12)  # updated is before created: clamped
    assert got.by_id()["8"].resolved is None


def test_zendesk_csv_excel_null_sentinel_and_pending(write):
    path = write(
        "zd.csv",
        "Id,Status,Priority,Created at,Updated at,Solved at,Manual Tagging of Categories [list]\r\n"
        "1,Pending,Urgent,2023-04-08 20:52:00,2023-04-09 10:00:00,1900-01-01 00:00:00,-\r\n"
        "2,Solved,Low,2023-04-08 20:52:00,2023-06-14 16:30:00,2023-06-14 16:30:00,-\r\n",
    )
    got = read([path], config(source="zendesk"))
    assert got.errors == []
    pending = got.by_id()["1"]
    assert (pending.resolved, pending.pauses) == (None, ((epoch(2023, 4, 9, 10), None),))
    assert got.by_id()["2"].resolved == epoch(2023, 6, 14, 16, 30)


def test_zendesk_api_envelopes(write):
    tickets = write(
        "t.json",
        '{"tickets": [{"id": 2, "status": "solved", "priority": null, "created_at": '
        '"2019-06-03T02:23:47Z", "updated_at": "2019-06-05T01:13:24Z", "tags": [], "subject": "x"}], '
        '"next_page": null, "count": 1}',
    )
    search = write(
        "s.json",
        '{"results": [{"id": 4, "result_type": "ticket", "status": "new", "priority": "urgent", '
        '"created_at": "2019-06-06T10:02:04Z", "updated_at": "2019-06-06T10:02:04Z", "tags": ["vip"], '
        '"subject": "y"}], "facets": null}',
    )
    got = read([tickets, search], config(source="zendesk"))
    assert got.by_id()["2"].resolved == epoch(2019, 6, 5, 1, 13, 24)
    assert (got.by_id()["4"].fields["priority"], got.by_id()["4"].labels) == ("urgent", ("vip",))


def test_servicenow_display_values_and_raw_codes_read_alike(write):
    display = write(
        "list.csv", '"number","opened_at","priority","state"\n"INC1","2019-07-29 11:48:43","1 - Critical","On Hold"\n'
    )
    raw = write(
        "v2.json",
        '{"records":[{"__status":"success","number":"INC2","opened_at":"2016-12-12 15:19:57",'
        '"priority":"1","state":"7","incident_state":"7","sys_updated_on":"2016-12-14 02:46:44",'
        '"resolved_at":"","short_description":"Closed\\/Resolved by Caller","made_sla":"true"}]}',
    )
    got = read([display, raw], config(source="servicenow"))
    assert got.errors == []
    one, two = got.by_id()["INC1"], got.by_id()["INC2"]
    assert (one.fields["priority"], one.fields["status"], one.pauses) == (
        "1 - Critical",
        "On Hold",
        ((epoch(2019, 7, 29, 11, 48, 43), None),),
    )
    assert (two.fields["priority"], two.fields["status"]) == ("1 - Critical", "Closed")
    assert two.resolved == epoch(2016, 12, 14, 2, 46, 44) and two.fields["title"] == "Closed/Resolved by Caller"


def test_servicenow_excel_resaved_month_first_dates(write):
    path = write(
        "x.csv",
        "number,opened_at,short_description,priority,state,sys_updated_on\r\n"
        "INC1,3/17/2025 6:04,null,2 - High,Resolved,3/22/2025 7:00\r\n"
        "INC2,3/5/2025 13:49,null,3 - Moderate,New,3/6/2025 10:00\r\n",
    )
    got = read([path], config(source="servicenow"))
    assert got.by_id()["INC2"].created == epoch(2025, 3, 5, 13, 49)  # month first, decided from 3/17 and 3/22


EVENT_LOG = (
    "number,incident_state,active,priority,opened_at,sys_updated_at,resolved_at,closed_at\n"
    "INC45,New,true,3 - Moderate,1/3/2016 01:16,1/3/2016 01:23,1/3/2016 11:29,?\n"
    "INC45,Awaiting User Info,true,3 - Moderate,1/3/2016 01:16,1/3/2016 02:00,1/3/2016 11:29,?\n"
    "INC45,Active,true,3 - Moderate,1/3/2016 01:16,1/3/2016 05:00,1/3/2016 11:29,?\n"
    "INC45,Resolved,true,1 - Critical,1/3/2016 01:16,1/3/2016 11:29,1/3/2016 11:29,?\n"
    "INC46,New,true,2 - High,29/2/2016 09:00,29/2/2016 09:05,?,?\n"
    "INC46,Awaiting Vendor,true,2 - High,29/2/2016 09:00,29/2/2016 10:00,?,?\n"
)


def test_servicenow_event_log_is_folded_with_exact_pauses(write):
    path = write("log.csv", EVENT_LOG)
    cfg = parse_config(
        {
            "source": "servicenow",
            "policies": [
                {"name": "critical", "match": {"priority": "1 - Critical"}, "targets": {"resolution": "8h"}},
                *POLICIES,
            ],
        }
    )
    got = read([path], cfg)
    assert got.errors == [] and got.warnings == []
    incident = got.by_id()["INC45"]
    assert incident.created == epoch(2016, 3, 1, 1, 16)  # day first, decided from 29/2/2016
    assert incident.pauses == ((epoch(2016, 3, 1, 2), epoch(2016, 3, 1, 5)),)
    assert (incident.policy_changed_at, incident.previous_policy) == (epoch(2016, 3, 1, 11, 29), "p")
    (clock,) = [c for c in evaluate([incident], cfg.policies, epoch(2016, 4, 1), str).clocks]
    # 10h13m open minus 3h awaiting the user: met the 8h target, which the raw span would have missed
    assert (clock.policy, clock.state, clock.elapsed, clock.paused_seconds) == (
        "critical",
        State.MET,
        epoch(2016, 3, 1, 11, 29) - epoch(2016, 3, 1, 1, 16) - 3 * 3600,
        3 * 3600,
    )


def test_event_log_replay_with_as_of(write):
    path = write("log.csv", EVENT_LOG)
    cfg = config(source="servicenow")
    at_three = read([path], cfg, as_of=epoch(2016, 3, 1, 3)).by_id()["INC45"]
    assert (at_three.fields["status"], at_three.pauses) == ("Awaiting User Info", ((epoch(2016, 3, 1, 2), None),))
    (clock,) = evaluate([at_three], cfg.policies, epoch(2016, 3, 1, 3), str).clocks
    assert (clock.state, clock.stopped_at) == (State.PAUSED, None)  # resolved_at 11:29 has not happened yet
    assert "INC45" not in read([path], cfg, as_of=epoch(2016, 3, 1, 1)).by_id()


def test_history_can_be_forced_off(write):
    got = read([write("log.csv", EVENT_LOG)], config(source="servicenow", history=False))
    assert got.by_id()["INC45"].pauses == () and "merged" in got.warnings[0].message


def test_config_fields_override_the_preset_field_by_field(write):
    path = write(
        "jira.csv", "Issue key,Created,Custom field (Opened),Summary\nA-1,01/Jun/21 9:00 AM,02/Jun/21 9:00 AM,x\n"
    )
    got = read([path], config(source="jira", fields={"created": "Custom field (Opened)"}))
    assert got.by_id()["A-1"].created == epoch(2021, 6, 2, 9)


def test_statuses_replace_the_preset_words(write):
    path = write("zd.csv", "id,status,created_at,updated_at\n1,pending,2023-01-01,2023-01-02\n")
    got = read([path], config(source="zendesk", statuses={"closed": ["solved"], "paused": []}))
    assert got.by_id()["1"].pauses == ()


def test_unknown_source_is_a_config_error():
    with pytest.raises(
        ConfigError,
        match=r"^source: expected one of generic, jira, jira-json, github, gitlab, "
        r"zendesk, servicenow, got 'jira-csv'$",
    ):
        parse_config({"source": "jira-csv", "policies": POLICIES})
    with pytest.raises(ConfigError, match=r"^--source: unknown source 'gh' "):
        config().with_source("gh")
