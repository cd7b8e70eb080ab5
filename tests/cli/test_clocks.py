"""Clocks of `clocks:`, from the command line: scenarios from the documented behaviour of RT, Zammad and GLPI, the
OLA of a team over an event log, not started, delayed starts, `explain` per cycle, and located config mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_check import run

CALENDAR = """\
timezone: UTC
calendars:
  office: {hours: {mon-fri: ["09:00-17:00"]}}
"""

# Mon 2026-06-01 .. Fri 2026-06-05: office hours 09-17
MESSAGES = """\
id,created,author_role,public
T-1,2026-06-01T09:00:00Z,customer,true
T-1,2026-06-01T09:30:00Z,customer,true
T-1,2026-06-01T10:00:00Z,agent,false
T-1,2026-06-01T11:00:00Z,agent,true
T-1,2026-06-01T13:00:00Z,customer,true
T-1,2026-06-01T14:00:00Z,agent,true
T-1,2026-06-01T15:00:00Z,agent,true
T-1,2026-06-02T10:00:00Z,customer,true
"""
ISSUES = """\
id,created,updated,status,title
T-1,2026-06-01T08:55:00Z,2026-06-01T08:55:00Z,open,printer on fire
T-2,2026-06-01T12:00:00Z,2026-06-01T12:00:00Z,open,nobody wrote
"""


def _write(tmp_path, config, **files):
    (tmp_path / "c.yaml").write_text(CALENDAR + config, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return str(tmp_path / "c.yaml")


def _results(args):
    result = run(args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


RESPONSE = """\
clocks:
  response:                  # RT Response: each unanswered requestor message sets a deadline, a reply clears it
    start: {message: customer}
    stop: {message: agent}
  keep_in_loop:              # RT KeepInLoop: each owner reply sets the next deadline, a requestor message clears it
    start: {message: agent, every: true}
    stop: {message: customer}
policies:
  - name: support
    calendar: office
    targets: {response: 2h, keep_in_loop: 1h}
"""


def test_rt_response_runs_from_the_first_unanswered_message_to_the_public_reply(tmp_path):
    """09:00 asks, 09:30 asks again (the deadline stays 11:00), 10:00 an internal note (no answer), 11:00 the
    reply: met at the due instant. 13:00 asks, 14:00 answered; Tue 10:00 asks: still waiting at 12:00."""
    config = _write(tmp_path, RESPONSE, issues_csv=ISSUES, messages_csv=MESSAGES)
    exports = [str(tmp_path / "issues.csv"), str(tmp_path / "messages.csv")]
    doc = _results(["report", *exports, "-c", config, "--as-of", "2026-06-02T11:45:00Z", "-f", "json"])
    totals = {t["metric"]: t for t in doc["totals"]}
    assert (totals["response"]["met"], totals["response"]["missed"], totals["response"]["running"]) == (2, 0, 1)
    story = run(["explain", "T-1", *exports, "-c", config, "--as-of", "2026-06-02T11:45:00Z", "-f", "json"])
    assert story.exit_code == 0, story.output
    clocks = [c for c in json.loads(story.stdout)["clocks"] if c["metric"] == "response"]
    assert [(c["cycle"], c["started_at"], c["stopped_at"], c["state"]) for c in clocks] == [
        (1, "2026-06-01T09:00:00+00:00", "2026-06-01T11:00:00+00:00", "met"),
        (2, "2026-06-01T13:00:00+00:00", "2026-06-01T14:00:00+00:00", "met"),
        (3, "2026-06-02T10:00:00+00:00", None, "warning"),
    ]
    assert clocks[0]["started_by"] == "a customer message at " + str(tmp_path / "messages.csv") + ":2"
    assert clocks[0]["stopped_by"] == "an agent message at " + str(tmp_path / "messages.csv") + ":5"
    assert clocks[0]["elapsed_seconds"] == 2 * 3600 and clocks[0]["due_at"] == "2026-06-01T11:00:00+00:00"


def test_rt_keep_in_loop_alternates_with_response(tmp_path):
    """Each owner reply (11:00, 14:00, 15:00) restarts KeepInLoop; the requestor's message (13:00, Tue 10:00)
    stops it, and Response takes over: the two clocks never run at once."""
    config = _write(tmp_path, RESPONSE, issues_csv=ISSUES, messages_csv=MESSAGES)
    exports = [str(tmp_path / "issues.csv"), str(tmp_path / "messages.csv")]
    story = run(["explain", "T-1", *exports, "-c", config, "--as-of", "2026-06-02T12:00:00Z", "-f", "json"])
    cycles = [c for c in json.loads(story.stdout)["clocks"] if c["metric"] == "keep_in_loop"]
    said = [c["stopped_by"].split(" at ")[0] for c in cycles]
    assert [(c["started_at"][11:16], c["stopped_at"][11:16], by, c["state"]) for c, by in zip(cycles, said)] == [
        ("11:00", "13:00", "a customer message", "missed"),  # 2h of office time: over the 1h
        ("14:00", "15:00", "restarted", "met"),
        ("15:00", "10:00", "a customer message", "missed"),  # 15:00-17:00 and 09:00-10:00: 3h
    ]
    response = [c for c in json.loads(story.stdout)["clocks"] if c["metric"] == "response"]
    spans = [(c["started_at"], c["stopped_at"] or "2026-06-02T12:00:00+00:00") for c in response + cycles]
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # one after the other


def test_a_clock_that_never_started_is_not_started_not_ok(tmp_path):
    config = _write(tmp_path, RESPONSE, issues_csv=ISSUES, messages_csv=MESSAGES)
    exports = [str(tmp_path / "issues.csv"), str(tmp_path / "messages.csv")]
    doc = _results(["check", *exports, "-c", config, "--as-of", "2026-06-02T12:00:00Z", "-f", "json", "--all"])
    nobody = [r for r in doc["results"] if r["issue"] == "T-2"]
    assert {(r["metric"], r["state"], r["started_at"], r["due_at"]) for r in nobody} == {
        ("response", "not_started", None, None),
        ("keep_in_loop", "not_started", None, None),
    }
    assert doc["summary"]["not_started"] == 2
    table = run(["check", *exports, "-c", config, "--as-of", "2026-06-02T12:00:00Z", "--all"])
    assert [line.split()[:3] for line in table.stdout.splitlines() if "T-2" in line] == [
        ["not_started", "T-2", "keep_in_loop"],
        ["not_started", "T-2", "response"],
    ]
    assert ", 2 not started | 2 issues" in table.stdout.splitlines()[-1]  # the summary counts them too
    quiet = run(["check", *exports, "-c", config, "--as-of", "2026-06-02T12:00:00Z", "--quiet"])
    assert ", 2 not started | 2 issues" in quiet.stdout
    markdown = run(["check", *exports, "-c", config, "--as-of", "2026-06-02T12:00:00Z", "-f", "markdown"])
    assert ", 2 not started** across 2 issues" in markdown.stdout


ZAMMAD = """\
clocks:
  update:
    start: {message: customer}
"""


def test_a_clock_named_like_a_built_in_is_refused_with_its_key(tmp_path):
    config = _write(
        tmp_path,
        ZAMMAD + "policies:\n  - {name: p, targets: {resolution: 4h}}\n",
    )
    result = run(["validate", "-c", config])
    assert result.exit_code == 3
    assert "clocks.update: 'update' is a built-in clock" in result.output


def test_zammad_update_escalation_is_cleared_by_the_agents_answer(tmp_path):
    """Zammad: the customer's message starts the update time; the agent's answer ends the escalation."""
    config = _write(
        tmp_path,
        "clocks:\n  agent_update:\n    start: {message: customer}\n    stop: {message: agent}\n"
        "policies:\n  - name: p\n    calendar: office\n    targets: {agent_update: 1h}\n"
        "    escalate: [{after: 100%, level: L2, notify: [lead]}]\n",
        issues_csv=ISSUES,
        messages_csv=MESSAGES,
    )
    exports = [str(tmp_path / "issues.csv"), str(tmp_path / "messages.csv")]
    before = _results(["check", *exports, "-c", config, "--as-of", "2026-06-01T10:30:00Z", "-f", "json"])
    t1 = [r for r in before["results"] if r["issue"] == "T-1"]
    assert [(r["state"], r["level"]) for r in t1] == [("breached", "L2")]
    after = _results(["check", *exports, "-c", config, "--as-of", "2026-06-01T11:00:00Z", "-f", "json"])
    assert [(r["state"], r["level"]) for r in after["results"] if r["issue"] == "T-1"] == [("missed", None)]
    assert after["summary"]["breached"] == 0


LOG = """\
id,created,updated,status,group,assignee,priority
I-1,2026-06-01T09:00:00Z,2026-06-01T09:00:00Z,New,L1,,high
I-1,2026-06-01T09:00:00Z,2026-06-01T09:20:00Z,Active,L1,ann,high
I-1,2026-06-01T09:00:00Z,2026-06-01T10:00:00Z,Active,L2,ann,high
I-1,2026-06-01T09:00:00Z,2026-06-01T11:00:00Z,Waiting,L2,ann,high
I-1,2026-06-01T09:00:00Z,2026-06-01T13:00:00Z,Active,L2,ann,high
I-1,2026-06-01T09:00:00Z,2026-06-01T14:30:00Z,Active,L2,bob,high
I-1,2026-06-01T09:00:00Z,2026-06-01T15:00:00Z,Active,L3,cyd,high
I-1,2026-06-01T09:00:00Z,2026-06-01T16:00:00Z,Resolved,L3,cyd,high
I-2,2026-06-01T09:00:00Z,2026-06-01T09:00:00Z,New,L1,,low
I-2,2026-06-01T09:00:00Z,2026-06-01T12:00:00Z,Resolved,L1,,low
"""
OLA = """\
clocks:
  time_to_own:                 # an OLA per team: from the team getting it to someone in it taking it
    start: {changes: group}
    stop: {changes: assignee}
    pause: {when: {status: [Waiting]}}
  l2_ola:                      # GLPI's OLA: the L2 team's, started when L2 got it, the first time only
    start: {when: {group: L2}}
    stop: {when: {status: [Resolved]}}
    cycles: first
    starts_after: 30m
policies:
  - name: all
    calendar: office
    targets: {resolution: 8h, time_to_own: 1h, l2_ola: 2h}
    escalate:
      - {after: 100%, level: team-lead, notify: [lead]}
"""


def test_an_ola_per_team_has_a_cycle_each_time_the_issue_entered_a_team(tmp_path):
    config = _write(tmp_path, OLA, log_csv=LOG)
    log = str(tmp_path / "log.csv")
    doc = _results(["report", log, "-c", config, "--as-of", "2026-06-02T09:00:00Z", "--by", "group", "-f", "json"])
    owned = {
        r["group"]["group"]: (r["clocks"], r["met"], r["missed"]) for r in doc["rows"] if r["metric"] == "time_to_own"
    }
    # I-1 entered L1 (owned at 09:20), L2 (ann stayed on from L1; bob took it 14:30, 4h30m less the 2h waiting:
    # 2h30m, missed), L3 (cyd with it: owned at once); I-2 entered L1 and was resolved unowned at 12:00 (3h)
    assert owned == {"L1": (2, 1, 1), "L2": (1, 0, 1), "L3": (1, 1, 0)}
    story = run(["explain", "I-1", log, "-c", config, "--as-of", "2026-06-02T09:00:00Z", "-f", "json"])
    clocks = json.loads(story.stdout)["clocks"]
    l2 = next(c for c in clocks if c["metric"] == "time_to_own" and c["cycle"] == 2)
    assert (l2["elapsed_seconds"], l2["paused_seconds"], l2["stopped_by"]) == (
        9000,
        7200,
        f"assignee changed at {log}:7",
    )
    assert [s["reason"] for s in l2["spans"] if s["kind"] == "paused"] == ["pause: status = Waiting"]
    glpi = [c for c in clocks if c["metric"] == "l2_ola"]
    # started 10:00 + 30m; Waiting 11:00-13:00 does not pause it (its own pause: none); resolved 16:00
    assert [(c["started_at"], c["stopped_at"], c["elapsed_seconds"], c["state"]) for c in glpi] == [
        ("2026-06-01T10:30:00+00:00", "2026-06-01T16:00:00+00:00", 5 * 3600 + 1800, "missed")
    ]


def test_each_clock_of_a_tier_escalates_on_its_own(tmp_path):
    config = _write(tmp_path, OLA, log_csv=LOG)
    doc = _results(["check", str(tmp_path / "log.csv"), "-c", config, "--as-of", "2026-06-01T14:00:00Z", "-f", "json"])
    i1 = {r["metric"]: (r["state"], r["level"]) for r in doc["results"] if r["issue"] == "I-1"}
    # time_to_own: L2 since 10:00, 1h of office time by 11:00... then waiting 11-13, 13-14: 2h > 1h: breached
    assert i1 == {
        "resolution": ("ok", None),
        "time_to_own": ("breached", "team-lead"),
        "l2_ola": ("breached", "team-lead"),
    }


def test_backtest_replays_each_cycle_as_a_clock_of_its_own(tmp_path):
    config = _write(tmp_path, OLA, log_csv=LOG)
    (tmp_path / "base.yaml").write_text(CALENDAR + OLA.replace("time_to_own: 1h", "time_to_own: 5h"), encoding="utf-8")
    args = ["backtest", str(tmp_path / "log.csv"), "-c", config, "--from", "2026-06-01", "--to", "2026-06-02"]
    result = run([*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no clock left out
    doc = json.loads(result.stdout)
    # time_to_own: I-1's L1 cycle met at 09:20, its L2 cycle missed at 14:30 (2h30m of office time less the
    # wait), its L3 cycle met at once (15:00: no run saw it running, it still counts), I-2's L1 cycle missed at
    # its resolution. l2_ola: 10:30 to 16:00, missed.
    assert {(a["metric"], a["met"], a["stopped"]) for a in doc["attainment"]} == {
        ("l2_ola", 0, 1),
        ("resolution", 2, 2),
        ("time_to_own", 2, 4),
    }
    assert doc["totals"] == {"new warning": 4, "new breach": 3, "stopped": 6, "level team-lead": 3}
    compared = run([*args, "--baseline", str(tmp_path / "base.yaml")])
    assert "  I-1 time_to_own cycle 2: met -> missed\n  I-2 time_to_own: met -> missed\n" in compared.stdout


@pytest.mark.parametrize(
    ("clock", "said"),
    [
        ("{start: {when: {group: L2}}, cycles: all}", "clocks.own.cycles: expected one of each, first, got 'all'"),
        ("{start: {message: boss}}", "clocks.own.start.message: expected one of customer, agent, got 'boss'"),
        ("{stop: {message: agent}}", "clocks.own.start: required: when the clock starts"),
        ("{start: {at: resolved}}", "clocks.own.start.at: expected one of created, updated, first_reply"),
        ("{start: {when: {group: L2}, at: created}}", "clocks.own.start: expected exactly one of at, when, changes"),
        ("{start: {when: {group: '~('}}}", "clocks.own.start.when.group: invalid regular expression '('"),
        ("{start: [{changes: group}, {when: 5}]}", "clocks.own.start[1].when: expected a mapping, got 5"),
        ("{start: {at: created}, pause: {message: agent}}", "clocks.own.pause.message: unknown key"),
        ("{start: {at: created}, starts_after: soon}", 'clocks.own.starts_after: expected a duration such as "4h"'),
    ],
)
def test_every_mistake_in_a_clock_is_located(tmp_path, clock, said):
    config = _write(tmp_path, f"clocks:\n  own: {clock}\npolicies:\n  - {{name: p, targets: {{own: 1h}}}}\n")
    result = run(["validate", "-c", config])
    assert result.exit_code == 3, result.output
    assert said in result.output


def test_a_target_naming_no_clock_says_which_there_are(tmp_path):
    config = _write(tmp_path, "clocks:\n  own: {start: {at: created}}\npolicies:\n  - {name: p, targets: {onw: 1h}}\n")
    result = run(["validate", "-c", config])
    assert result.exit_code == 3 and "policies[0].targets.onw: unknown key (did you mean 'own'?)" in result.output


def test_validate_describes_each_clock(tmp_path):
    config = _write(tmp_path, OLA)
    result = run(["validate", "-c", config])
    assert result.exit_code == 0, result.output
    assert (
        "clock time_to_own: starts at group changed (every start opens a cycle), pauses while status = Waiting, "
        "stops at assignee changed or resolved" in result.output
    )
    assert (
        "clock l2_ola: starts at group = L2 + 30m (the first start only), stops at status = Resolved or resolved"
        in (result.output)
    )


def test_calendar_lists_the_clocks_counted_on_it(tmp_path):
    config = _write(tmp_path, OLA)
    result = run(["calendar", "office", "-c", config, "--from", "2026-06-01", "--to", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert (
        "clocks counted on it:\n"
        "  all: resolution 8h, time_to_own 1h (of clocks:), l2_ola 2h (of clocks:, starting 30m after its trigger)\n"
    ) in result.stdout
    doc = json.loads(run(["calendar", "office", "-c", config, "--from", "2026-06-01", "-f", "json"]).stdout)
    assert [(c["clock"], c["defined"], c["starts_after_seconds"]) for c in doc["clocks"]] == [
        ("resolution", False, 0),
        ("time_to_own", True, 0),
        ("l2_ola", True, 1800),
    ]


JIRA = """\
Summary,Issue key,Status,Priority,Created,Updated,Reporter,Reporter Id,Comment,Comment,Comment
printer,SR-1,Open,High,01/Jun/26 9:00 AM,01/Jun/26 3:00 PM,Ann,acc-ann,\
"01/Jun/26 9:30 AM;acc-bob;on it; calling","01/Jun/26 10:00 AM;acc-ann;still broken","01/Jun/26 2:00 PM;acc-bob;ok"
scanner,SR-2,Open,High,01/Jun/26 9:00 AM,01/Jun/26 9:00 AM,Cyd,acc-cyd,"01/Jun/26 9:10 AM;acc-cyd;hello?",,
fax,SR-3,Open,High,01/Jun/26 9:00 AM,01/Jun/26 9:00 AM,Dan,acc-dan,\
"01/Jun/26 9:00 AM;acc-dan;first","tomorrow;acc-bob;soon",
"""
JIRA_CLOCKS = """\
source: jira
clocks:
  first_agent_reply: {start: {at: created}, stop: {message: agent}}
  reply: {start: {message: customer}, stop: {message: agent}}
policies:
  - name: all
    calendar: office
    targets: {first_agent_reply: 1h, reply: 4h}
"""


def test_jira_comment_cells_are_the_conversation_the_reporters_are_the_customers(tmp_path):
    """Jira packs each comment as `date;account;text`: the reporter's comments are customer messages, anyone
    else's agent messages. A comment whose date cannot be read is a located error; the rest are evaluated."""
    config = _write(tmp_path, JIRA_CLOCKS, issues_csv=JIRA)
    issues = str(tmp_path / "issues.csv")
    result = run(["check", issues, "-c", config, "--all", "-f", "json", "--as-of", "2026-06-01T16:00:00"])
    assert result.exit_code == 3, result.output
    assert f"{issues}:4: comment 2: cannot parse 'tomorrow'" in result.stderr
    got = {(r["issue"], r["metric"]): (r["state"], r["stopped_at"]) for r in json.loads(result.stdout)["results"]}
    assert got == {
        ("SR-1", "first_agent_reply"): ("met", "2026-06-01T09:30:00+00:00"),  # bob's comment at 09:30
        ("SR-1", "reply"): ("met", "2026-06-01T14:00:00+00:00"),  # ann wrote at 10:00, bob answered at 14:00, due
        ("SR-2", "first_agent_reply"): ("breached", None),  # only the reporter wrote
        ("SR-2", "reply"): ("breached", None),
        ("SR-3", "first_agent_reply"): ("breached", None),  # the agent's comment has no readable date
        ("SR-3", "reply"): ("breached", None),
    }


REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"


@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/data/real")
def test_the_real_jira_exports_comments_give_a_response_clock_per_customer_message(tmp_path):
    """The real Jira Cloud export (311 issues, up to 75 Comment columns): the first agent reply and each
    customer comment's answer, from the comment cells alone."""
    config = _write(tmp_path, JIRA_CLOCKS.replace("1h, reply: 4h", "8h, reply: 8h"))
    export = str(REAL / "jira" / "jira_cloud_csv_all_fields_en_repeated_cols__peris25.csv")
    doc = _results(["check", export, "-c", config, "--all", "-f", "json", "--as-of", "2026-02-01T00:00:00"])
    states: dict[tuple[str, str], int] = {}
    for r in doc["results"]:
        states[(r["metric"], r["state"])] = states.get((r["metric"], r["state"]), 0) + 1
    assert states == {
        ("first_agent_reply", "met"): 61,
        ("first_agent_reply", "missed"): 68,
        ("first_agent_reply", "breached"): 182,  # no one but the reporter commented
        ("reply", "met"): 30,
        ("reply", "missed"): 26,
        ("reply", "breached"): 63,
        ("reply", "not_started"): 192,  # the reporter never commented
    }
    assert doc["summary"]["issues"] == 311 and doc["summary"]["errors"] == 0


def _response_story(tmp_path, source, target, files, issue, as_of):
    """`explain -f json` of one issue under the RT Response clock with `target`, over `files` (name: text)."""
    config = RESPONSE.replace("targets: {response: 2h, keep_in_loop: 1h}", f"targets: {{response: {target}}}")
    path = _write(tmp_path, f"source: {source}\n" + config)
    exports = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        exports.append(str(tmp_path / name))
    story = run(["explain", issue, *exports, "-c", path, "--as-of", as_of, "-f", "json"])
    assert story.exit_code == 0, story.output
    return json.loads(story.stdout), exports


GITHUB_ISSUES = """[
  {"number": 7, "title": "crash on start", "state": "open", "created_at": "2026-06-01T09:00:00Z",
   "updated_at": "2026-06-01T13:00:00Z", "closed_at": null, "author_association": "NONE", "labels": []}
]"""
GITHUB_COMMENTS = """[
  {"issue_url": "https://api.github.com/repos/o/r/issues/7", "author_association": "NONE",
   "user": {"login": "ann"}, "created_at": "2026-06-01T09:30:00Z", "updated_at": "2026-06-01T09:30:00Z"},
  {"issue_url": "https://api.github.com/repos/o/r/issues/7", "author_association": "MEMBER",
   "user": {"login": "bob"}, "created_at": "2026-06-01T10:00:00Z", "updated_at": "2026-06-02T16:00:00Z"},
  {"issue_url": "https://api.github.com/repos/o/r/issues/7", "author_association": "CONTRIBUTOR",
   "user": {"login": "cyd"}, "created_at": "2026-06-01T11:00:00Z", "updated_at": "2026-06-01T11:00:00Z"}
]"""


def test_github_issue_comments_are_the_conversation_by_the_authors_association(tmp_path):
    """`gh api repos/o/r/issues/comments`: a comment names its issue by URL, members and collaborators answer,
    anyone else asks; a comment was written when it was created (bob's edit a day later does not move it)."""
    files = {"issues.json": GITHUB_ISSUES, "comments.json": GITHUB_COMMENTS}
    doc, _ = _response_story(tmp_path, "github", "2h", files, "7", "2026-06-01T14:00:00Z")
    cycles = [(c["started_at"], c["stopped_at"], c["state"]) for c in doc["clocks"]]
    assert cycles == [
        ("2026-06-01T09:30:00+00:00", "2026-06-01T10:00:00+00:00", "met"),  # ann asked, bob answered
        ("2026-06-01T11:00:00+00:00", None, "breached"),  # cyd is no member: unanswered for 3h of office time
    ]  # the issue itself (author_association NONE, no issue_url) is no message


def test_messages_of_a_role_may_be_any_of_several_conditions(tmp_path):
    config = _write(
        tmp_path,
        RESPONSE.replace("targets: {response: 2h, keep_in_loop: 1h}", "targets: {response: 2h}")
        + "messages:\n  customer: [{author_role: customer}, {kind: question}]\n  agent: {author_role: agent}\n",
        issues_csv=ISSUES,
        messages_csv="id,created,author_role,kind\nT-2,2026-06-01T13:00:00Z,,question\n",
    )
    exports = [str(tmp_path / "issues.csv"), str(tmp_path / "messages.csv")]
    doc = _results(["check", *exports, "-c", config, "--as-of", "2026-06-01T14:00:00Z", "-f", "json", "--all"])
    started = {r["issue"]: r["started_at"] for r in doc["results"]}
    assert started == {"T-1": None, "T-2": "2026-06-01T13:00:00+00:00"}  # a question, by its kind alone
    (tmp_path / "c.yaml").write_text(
        CALENDAR + RESPONSE + "messages:\n  customer: [{author_role: customer}, {}]\n  agent: {author_role: agent}\n",
        encoding="utf-8",
    )
    result = run(["validate", "-c", config])
    assert result.exit_code == 3
    assert "messages.customer[1]: required: which rows are its messages" in result.stderr


@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/data/real")
def test_backtest_of_an_ola_on_the_real_servicenow_log_does_not_depend_on_the_interval(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    ola = readme[readme.index("source: servicenow\ncalendars:") :]
    (tmp_path / "sn.yaml").write_text(ola[: ola.index("```")], encoding="utf-8")
    export = str(REAL / "servicenow" / "incident_event_log.csv.gz")
    args = ["backtest", export, "-c", str(tmp_path / "sn.yaml"), "--from", "2016-03-01", "--to", "2016-03-31"]
    found = []
    for every in ("15m", "4h"):
        result = run([*args, "--every", every, "-f", "json"])
        assert result.exit_code == 0, result.output
        found.append({(a["metric"], a["met"], a["stopped"]) for a in json.loads(result.stdout)["attainment"]})
    assert found[0] == found[1] == {("resolution", 6504, 7652), ("time_to_own", 12337, 15607)}


ZENDESK_TICKETS = """{"tickets": [
  {"id": 47, "subject": "login fails", "status": "open", "priority": "high", "requester_id": 501,
   "created_at": "2026-06-01T09:00:00Z", "updated_at": "2026-06-01T12:00:00Z", "tags": []}
]}"""
ZENDESK_AUDITS = """{"audits": [
  {"id": 9001, "ticket_id": 47, "created_at": "2026-06-01T09:00:00Z", "author_id": 501,
   "events": [{"id": 1, "type": "Comment", "public": true, "author_id": 501, "body": "I cannot log in"},
              {"id": 2, "type": "Create", "field_name": "status", "value": "new"}]},
  {"id": 9002, "ticket_id": 47, "created_at": "2026-06-01T09:40:00Z", "author_id": 777,
   "events": [{"id": 3, "type": "Comment", "public": false, "author_id": 777, "body": "internal: check SSO"}]},
  {"id": 9003, "ticket_id": 47, "created_at": "2026-06-01T10:30:00Z", "author_id": 777,
   "events": [{"id": 4, "type": "Comment", "public": true, "author_id": 777, "body": "Try again now"}]},
  {"id": 9004, "ticket_id": 47, "created_at": "2026-06-01T11:00:00Z", "author_id": 777,
   "events": [{"id": 5, "type": "Change", "field_name": "priority", "value": "high"}]},
  {"id": 9005, "ticket_id": 47, "created_at": "2026-06-01T11:30:00Z", "author_id": 501,
   "events": [{"id": 6, "type": "Comment", "public": true, "author_id": 501, "body": "Still broken"}]}
]}"""


def test_zendesk_ticket_audits_are_the_conversation_the_requesters_comments_the_customers(tmp_path):
    """`/api/v2/tickets/{id}/audits`: an audit with a public comment is a message, the customer's where its
    author is the ticket's requester; an internal note or an audit without a comment is neither, and no audit
    is a row of the ticket's fields."""
    files = {"tickets.json": ZENDESK_TICKETS, "audits.json": ZENDESK_AUDITS}
    doc, exports = _response_story(tmp_path, "zendesk", "1h", files, "47", "2026-06-01T12:00:00Z")
    assert (doc["fields"]["status"], doc["fields"]["title"], doc["where"]) == ("open", "login fails", exports[0] + ":2")
    assert [(c["started_at"], c["stopped_at"], c["state"]) for c in doc["clocks"]] == [
        ("2026-06-01T09:00:00+00:00", "2026-06-01T10:30:00+00:00", "missed"),  # the note at 09:40 is no answer
        ("2026-06-01T11:30:00+00:00", None, "ok"),
    ]


def test_messages_of_no_issue_are_said_not_silently_dropped(tmp_path):
    config = _write(
        tmp_path, RESPONSE, issues_csv=ISSUES, messages_csv=MESSAGES + "T-9,2026-06-01T10:00:00Z,customer,true\n"
    )
    exports = [str(tmp_path / "issues.csv"), str(tmp_path / "messages.csv")]
    result = run(["check", *exports, "-c", config, "--as-of", "2026-06-02T12:00:00Z"])
    assert result.exit_code in (0, 1), result.output
    assert (
        f"warning: {exports[1]}:10: 1 message names an id no issue has (first: 'T-9'); they are left out: is the "
        "issues export among those read?"
    ) in result.stderr
