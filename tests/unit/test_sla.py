from __future__ import annotations

import pytest

from escalate_cli.config import parse_config
from escalate_cli.escalation import reached_steps
from escalate_cli.model import Issue, Metric, State, Step
from escalate_cli.sla import evaluate, match_policy

H, M = 3600, 60
T0 = 1_700_000_000  # created


def policies(*specs):
    return parse_config({"policies": list(specs)}).policies


CRITICAL = {
    "name": "critical",
    "targets": {"resolution": "4h"},
    "warn": ["75%", "30m"],
    "escalate": [
        {
            "after": "100%",
            "level": "L2",
            "notify": ["lead"],
            "action": "{id} {priority} {metric} overdue by {overdue}; {title}",
        },
        {"after": "+2h", "level": "L3", "notify": ["head"]},
        {"after": "50%", "level": "L1"},
    ],
}


def issue(id="1", created=T0, **kw):
    fields = {"title": kw.pop("title", "t"), "priority": kw.pop("priority", "P1"), "status": kw.pop("status", "")}
    return Issue(id=id, created=created, fields=fields, **kw)


def clocks_at(elapsed, *specs, **issue_kw):
    report = evaluate([issue(**issue_kw)], policies(*specs or [CRITICAL]), T0 + elapsed, str)
    return {c.metric: c for c in report.clocks}


STATES = [
    pytest.param(0, State.OK, None, id="just-created"),
    pytest.param(2 * H - 1, State.OK, None, id="before-first-step"),
    pytest.param(2 * H, State.OK, "L1", id="50pct-step-reached-while-ok"),
    pytest.param(3 * H - 1, State.OK, "L1", id="just-under-75pct"),
    pytest.param(3 * H, State.WARNING, "L1", id="75pct-warns"),
    pytest.param(4 * H - 1, State.WARNING, "L1", id="last-second-before-due"),
    pytest.param(4 * H, State.BREACHED, "L2", id="due-is-breached"),
    pytest.param(6 * H - 1, State.BREACHED, "L2", id="before-plus-2h"),
    pytest.param(6 * H, State.BREACHED, "L3", id="plus-2h"),
]


@pytest.mark.parametrize(("elapsed", "state", "level"), STATES)
def test_running_states_and_levels(elapsed, state, level):
    clock = clocks_at(elapsed)[Metric.RESOLUTION]
    assert (clock.state, clock.level, clock.elapsed, clock.remaining) == (state, level, elapsed, 4 * H - elapsed)
    assert clock.due_at == T0 + 4 * H and clock.stopped_at is None


def test_time_left_threshold_triggers_on_its_own():
    spec = {**CRITICAL, "warn": ["90%", "1h"]}
    assert clocks_at(3 * H - 1, spec)[Metric.RESOLUTION].state is State.OK
    assert clocks_at(3 * H, spec)[Metric.RESOLUTION].state is State.WARNING


def test_no_warning_when_warn_is_empty():
    assert clocks_at(4 * H - 1, {**CRITICAL, "warn": []})[Metric.RESOLUTION].state is State.OK


def test_action_message_is_filled_in():
    clock = clocks_at(4 * H + 90 * M)[Metric.RESOLUTION]
    assert [(a.level, a.notify, a.message) for a in clock.actions] == [
        ("L2", ("lead",), "1 P1 resolution overdue by 1h30m; t")
    ]


def test_default_messages_before_and_after_due():
    spec = {"name": "p", "targets": {"resolution": "4h"}, "escalate": [{"after": "-1h", "level": "L1"}]}
    assert clocks_at(3 * H, spec)[Metric.RESOLUTION].actions[0].message == "Escalate 1 to L1: resolution due in 1h"
    assert clocks_at(5 * H, spec)[Metric.RESOLUTION].actions[0].message == (
        "Escalate 1 to L1: resolution overdue by 1h"
    )


@pytest.mark.parametrize(("resolved_after", "state"), [(4 * H, State.MET), (4 * H + 1, State.MISSED)])
def test_stopped_clocks_are_met_or_missed_and_have_no_level(resolved_after, state):
    clock = clocks_at(10 * H, resolved=T0 + resolved_after)[Metric.RESOLUTION]
    assert (clock.state, clock.level, clock.actions, clock.stopped_at) == (state, None, (), T0 + resolved_after)


def test_a_stop_after_as_of_has_not_happened_yet():
    clock = clocks_at(H, resolved=T0 + 2 * H)[Metric.RESOLUTION]
    assert (clock.state, clock.stopped_at, clock.elapsed) == (State.OK, None, H)


def test_issues_created_after_as_of_are_left_out():
    report = evaluate([issue(created=T0 + H)], policies(CRITICAL), T0, str)
    assert (report.issues, report.clocks) == (0, [])


def test_clock_starts_and_stops():
    spec = {"name": "p", "targets": {"first_response": "1h", "resolution": "8h", "update": "2h"}}
    clocks = clocks_at(5 * H, spec, first_response=T0 + 30 * M, updated=T0 + 4 * H)
    assert (clocks[Metric.FIRST_RESPONSE].state, clocks[Metric.FIRST_RESPONSE].elapsed) == (State.MET, 30 * M)
    assert (clocks[Metric.UPDATE].started_at, clocks[Metric.UPDATE].elapsed) == (T0 + 4 * H, H)
    resolved = clocks_at(5 * H, spec, resolved=T0 + 2 * H)
    assert resolved[Metric.FIRST_RESPONSE].stopped_at == T0 + 2 * H  # a resolution also answers the customer
    assert resolved[Metric.UPDATE].stopped_at == T0 + 2 * H


def test_business_calendar_is_used():
    spec = {"name": "p", "calendar": "office", "targets": {"resolution": "2h"}}
    config = parse_config(
        {"calendars": {"office": {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}}}, "policies": [spec]}
    )
    friday_4pm = 1_700_236_800  # Fri 2023-11-17 16:00 UTC
    report = evaluate([issue(created=friday_4pm)], config.policies, friday_4pm + 3 * 24 * H, str)  # Mon 16:00
    clock = report.clocks[0]
    assert (clock.elapsed, clock.due_at, clock.state) == (8 * H, friday_4pm + 3 * 24 * H - 6 * H, State.BREACHED)


MATCH = [
    pytest.param({"priority": "p1"}, {"priority": "P1"}, True, id="case-insensitive"),
    pytest.param({"priority": ["P2", "P1"]}, {"priority": "P1"}, True, id="list-is-any-of"),
    pytest.param({"priority": "P2"}, {"priority": "P1"}, False, id="no-match"),
    pytest.param(
        {"priority": "P1", "status": "open"}, {"priority": "P1", "status": "closed"}, False, id="all-keys-must-match"
    ),
    pytest.param({"labels": ["vip", "billing"]}, {"labels": ("x", "billing")}, True, id="labels-any"),
    pytest.param({"labels": "vip"}, {"labels": ()}, False, id="labels-none"),
    pytest.param({"title": "~^outage"}, {"title": "Outage in EU"}, True, id="regex-case-insensitive"),
    pytest.param({"title": "~^outage"}, {"title": "Minor outage"}, False, id="regex-anchored"),
    pytest.param({"Customer Tier": "gold"}, {"record": {"Customer Tier": "Gold"}}, True, id="export-column"),
    pytest.param({"Customer Tier": "gold"}, {"record": {}}, False, id="absent-column"),
    pytest.param({"Sprint": "s2"}, {"record": {"Sprint": ["S1", "S2"]}}, True, id="repeated-column"),
    pytest.param({"id": "~^OPS-"}, {"id": "OPS-7"}, True, id="id"),
    pytest.param({}, {}, True, id="empty-matches-everything"),
]


@pytest.mark.parametrize(("match", "issue_kw", "expected"), MATCH)
def test_match(match, issue_kw, expected):
    (policy,) = policies({"name": "p", "match": match, "targets": {"resolution": "1h"}})
    assert (match_policy(issue(**issue_kw), [policy]) is policy) is expected


def test_first_matching_policy_wins_and_unmatched_are_counted():
    specs = [
        {"name": "a", "match": {"priority": "P1"}, "targets": {"resolution": "1h"}},
        {"name": "b", "match": {"priority": ["P1", "P2"]}, "targets": {"resolution": "2h"}},
    ]
    report = evaluate(
        [issue("1", priority="P1"), issue("2", priority="P2"), issue("3", priority="P9")], policies(*specs), T0, str
    )
    assert [(c.issue.id, c.policy) for c in report.clocks] == [("1", "a"), ("2", "b")]
    assert [i.id for i in report.unmatched] == ["3"] and report.issues == 3


def test_highest_step_wins_and_ties_go_to_the_later_step():
    steps = (Step("L2", past_due=0), Step("L2b", past_due=0), Step("L1", past_due=-H))
    assert [s.level for s in reached_steps(steps, 4 * H, 4 * H)] == ["L1", "L2", "L2b"]
    assert [s.level for s in reached_steps(steps, 3 * H, 4 * H)] == ["L1"]
    assert reached_steps(steps, 3 * H - 1, 4 * H) == []


@pytest.mark.parametrize(
    ("resolved", "state"),
    [
        pytest.param("2026-11-16T17:00:00+01:00", State.MET, id="at-due"),
        pytest.param("2026-11-16T20:00:00+01:00", State.MISSED, id="same-evening"),
        pytest.param("2026-11-17T09:00:00+01:00", State.MISSED, id="next-opening"),
        pytest.param("2026-11-16T16:59:59+01:00", State.MET, id="a-second-early"),
    ],
)
def test_a_clock_stopped_after_its_due_time_is_missed(resolved, state):
    """4h from 13:00 runs out at 17:00 closing: stopping after due_at is late even if no business time passed
    since (#18 point 3); the engine gives the same verdict."""
    from datetime import datetime

    from escalate_cli.engine.evaluate import evaluate as columnar
    from escalate_cli.engine.frame import from_issues

    config = parse_config(
        {
            "calendars": {"office": {"timezone": "Europe/Berlin", "hours": {"mon-fri": ["09:00-17:00"]}}},
            "policies": [{"name": "p", "calendar": "office", "targets": {"resolution": "4h"}}],
        }
    )
    created = int(datetime.fromisoformat("2026-11-16T13:00:00+01:00").timestamp())
    stop = int(datetime.fromisoformat(resolved).timestamp())
    item = issue(created=created, resolved=stop)
    as_of = stop + 3600
    (clock,) = evaluate([item], config.policies, as_of, str).clocks
    assert clock.due_at == int(datetime.fromisoformat("2026-11-16T17:00:00+01:00").timestamp())
    assert clock.state is state
    frame = from_issues([item], ("title", "priority", "status"), ())
    assert columnar(frame, config.policies, as_of, str).clocks == [clock]


@pytest.mark.parametrize(("at", "state"), [(H, State.MET), (3 * H, State.MET)])
def test_first_response_stops_at_the_resolution_when_that_comes_before_the_reply(at, state):
    """Resolved at 1h, a reply at 3h, target 2h: the response clock stopped at the resolution, and is met at 1h30
    as after the reply (#18 point 6); the engine agrees."""
    from escalate_cli.engine.evaluate import evaluate as columnar
    from escalate_cli.engine.frame import from_issues

    config = parse_config({"policies": [{"name": "p", "targets": {"first_response": "2h"}}]})
    item = issue(resolved=T0 + H, first_response=T0 + 3 * H)
    as_of = T0 + at + 30 * M
    (clock,) = evaluate([item], config.policies, as_of, str).clocks
    assert (clock.stopped_at, clock.state) == (T0 + H, state)
    assert columnar(from_issues([item], ("title", "priority", "status"), ()), config.policies, as_of, str).clocks == [
        clock
    ]
