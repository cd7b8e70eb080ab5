from __future__ import annotations

from dataclasses import replace

import pytest

from escalate_cli.config import parse_config
from escalate_cli.engine.fold import is_event_log
from escalate_cli.engine.frame import from_issues
from escalate_cli.history import fold, looks_like_event_log, resolve, with_status
from escalate_cli.model import Issue, Metric, State, Statuses
from escalate_cli.readers.issues import TEXT_FIELDS
from escalate_cli.sla import evaluate, policy_name

H = 3600
T0 = 1_700_000_000
STATUSES = Statuses(closed=frozenset({"closed"}), paused=frozenset({"waiting"}))


def snap(status, at, created=T0, priority="P3", resolved=None, id="1"):
    return Issue(
        id=id,
        created=created,
        updated=at,
        resolved=resolved,
        fields={
            "status": status,
            "priority": priority,
            "title": "",
        },
    )


def config(**policy):
    spec = {"name": "p", "targets": {"first_response": "1h", "resolution": "4h", "update": "2h"}, **policy}
    return parse_config({"policies": [spec]})


def clocks(issue, as_of, cfg=None, **kw):
    cfg = cfg or config()
    return {c.metric: c for c in evaluate([issue], cfg.policies, as_of, str, **kw).clocks}


def test_closed_status_without_resolved_stops_at_the_last_update():
    issue = with_status(snap("Closed", T0 + 3 * H), STATUSES)
    assert issue.resolved == T0 + 3 * H
    clock = clocks(issue, T0 + 10 * H)[Metric.RESOLUTION]
    assert (clock.state, clock.stopped_at) == (State.MET, T0 + 3 * H)


def test_closed_before_created_is_clamped_to_created():  # GitLab's edited fixture has updated < created
    assert with_status(snap("closed", T0 - H), STATUSES).resolved == T0


def test_paused_snapshot_freezes_from_its_last_update_and_pushes_due_out():
    issue = with_status(snap("Waiting", T0 + H), STATUSES)
    got = clocks(issue, T0 + 10 * H)
    resolution = got[Metric.RESOLUTION]
    assert (resolution.state, resolution.elapsed, resolution.paused_seconds) == (State.PAUSED, H, 9 * H)
    assert resolution.due_at == T0 + 10 * H + 3 * H  # due if resumed now: 3h of the 4h are left
    assert got[Metric.FIRST_RESPONSE].state is State.BREACHED  # first_response does not pause by default


def test_pause_metrics_are_chosen_per_policy():
    issue = with_status(snap("waiting", T0 + H), STATUSES)
    got = clocks(issue, T0 + 3 * H, config(pause=["update"]))
    assert got[Metric.RESOLUTION].state is State.WARNING and got[Metric.RESOLUTION].elapsed == 3 * H
    assert got[Metric.UPDATE].state is State.PAUSED


def test_a_breach_stays_a_breach_while_paused():
    issue = with_status(snap("waiting", T0 + 5 * H), STATUSES)
    assert clocks(issue, T0 + 8 * H)[Metric.RESOLUTION].state is State.BREACHED


def test_fold_gives_exact_pauses_and_the_time_the_issue_closed():
    events = [
        snap("open", T0),
        snap("waiting", T0 + H),
        snap("waiting", T0 + 2 * H),
        snap("open", T0 + 3 * H),
        snap("closed", T0 + 5 * H),
        snap("closed", T0 + 6 * H),
    ]
    issue = fold(events, T0 + 10 * H, STATUSES, lambda _: "p")
    assert issue.pauses == ((T0 + H, T0 + 3 * H),)
    assert (issue.resolved, issue.status_since, issue.updated) == (T0 + 5 * H, T0 + 5 * H, T0 + 6 * H)
    clock = clocks(issue, T0 + 10 * H)[Metric.RESOLUTION]
    assert (clock.state, clock.elapsed, clock.paused_seconds) == (State.MET, 3 * H, 2 * H)
    assert clock.due_at == T0 + 6 * H  # 4h target + 2h paused


def test_a_pause_left_in_the_same_second_is_no_pause():
    events = [snap("open", T0), snap("waiting", T0 + H), snap("open", T0 + H)]
    assert fold(events, T0 + 2 * H, STATUSES, lambda _: "p").pauses == ()


def test_fold_at_an_earlier_instant_replays_the_log():
    events = [snap("open", T0), snap("waiting", T0 + H), snap("open", T0 + 3 * H), snap("closed", T0 + 5 * H)]
    issue = fold(events, T0 + 2 * H, STATUSES, lambda _: "p")
    assert (issue.pauses, issue.resolved, issue.fields["status"]) == (((T0 + H, None),), None, "waiting")
    assert fold(events, T0 - 1, STATUSES, lambda _: "p") is None  # nothing had happened yet


def test_events_are_ordered_by_update_time_not_file_order():
    events = [snap("closed", T0 + 5 * H), snap("open", T0), snap("waiting", T0 + H), snap("open", T0 + 2 * H)]
    issue = fold(events, T0 + 10 * H, STATUSES, lambda _: "p")
    assert (issue.pauses, issue.resolved) == (((T0 + H, T0 + 2 * H),), T0 + 5 * H)


PRIORITY_POLICIES = parse_config(
    {
        "policies": [
            {"name": "urgent", "match": {"priority": "P1"}, "targets": {"resolution": "4h"}},
            {"name": "normal", "targets": {"resolution": "1d"}},
        ]
    }
).policies


def test_a_priority_change_re_evaluates_from_the_original_start():
    events = [snap("open", T0, priority="P3"), snap("open", T0 + 5 * H, priority="P1")]
    issue = fold(events, T0 + 6 * H, STATUSES, policy_name(PRIORITY_POLICIES))
    assert (issue.policy_changed_at, issue.previous_policy) == (T0 + 5 * H, "normal")
    (clock,) = evaluate([issue], PRIORITY_POLICIES, T0 + 6 * H, str).clocks
    assert (clock.policy, clock.started_at, clock.state) == ("urgent", T0, State.BREACHED)


def test_on_reclassify_restart_measures_from_the_change():
    events = [snap("open", T0, priority="P3"), snap("open", T0 + 5 * H, priority="P1")]
    issue = fold(events, T0 + 6 * H, STATUSES, policy_name(PRIORITY_POLICIES))
    (clock,) = evaluate([issue], PRIORITY_POLICIES, T0 + 6 * H, str, restart_on_reclassify=True).clocks
    assert (clock.started_at, clock.elapsed, clock.state) == (T0 + 5 * H, H, State.OK)


@pytest.mark.parametrize(
    ("changing", "total", "expected"), [(1, 69, False), (1, 2, False), (2, 10, True), (5, 100, False), (10, 100, True)]
)
def test_event_log_detection_needs_many_changing_ids(changing, total, expected):
    groups = {}
    for i in range(total):
        rows = [snap("open", T0, id=str(i))]
        if i < changing:
            rows.append(snap("open", T0 + H, id=str(i)))
        groups[str(i)] = rows
    assert looks_like_event_log(groups) is expected
    frame = from_issues([row for rows in groups.values() for row in rows], TEXT_FIELDS, ())
    assert is_event_log(frame.frame) is expected  # the same rule by columns


def test_resolve_folds_a_log_or_merges_copies():
    groups = {"1": [snap("open", T0), snap("waiting", T0 + H)], "2": [snap("open", T0, id="2")]}
    folded, notes = resolve(groups, T0 + 2 * H, STATUSES, True, lambda _: "p")
    assert folded[0].pauses == ((T0 + H, None),) and notes == []
    merged, notes = resolve(groups, T0 + 2 * H, STATUSES, False, lambda _: "p")
    assert merged[0].fields["status"] == "waiting" and merged[0].pauses == ((T0 + H, None),)
    assert [n.message for n in notes] == [
        "1 row repeated the id of an earlier row (first: '1') and was merged, keeping the most recently updated"
    ]


def test_a_pause_that_begins_at_the_instant_evaluated_already_holds_the_clock():
    issue = fold([snap("open", T0), snap("waiting", T0 + H)], T0 + H, STATUSES, lambda _: "p")
    assert clocks(issue, T0 + H)[Metric.RESOLUTION].state is State.PAUSED


def test_a_pause_that_ends_at_the_instant_evaluated_is_over():
    events = [snap("open", T0), snap("waiting", T0 + H), snap("open", T0 + 2 * H)]
    issue = fold(events, T0 + 2 * H, STATUSES, lambda _: "p")
    clock = clocks(issue, T0 + 2 * H)[Metric.RESOLUTION]
    assert (clock.state, clock.elapsed, clock.paused_seconds) == (State.OK, H, H)


def test_a_move_from_one_closed_status_to_another_keeps_the_first_stop():
    """Solved -> Closed (Zendesk, four days later) or Resolved -> Closed (ServiceNow): the clock stopped when the
    issue first entered a closed status (#18 point 4)."""
    statuses = Statuses(closed=frozenset({"solved", "closed"}))
    rows = [snap("Open", T0), snap("Solved", T0 + 3 * H), snap("Closed", T0 + 99 * H)]
    issue = fold(rows, T0 + 100 * H, statuses, lambda _: "p")
    assert issue is not None and issue.resolved == T0 + 3 * H
    assert clocks(issue, T0 + 100 * H)[Metric.RESOLUTION].state is State.MET
    reopened = [*rows, snap("Open", T0 + 100 * H), snap("Closed", T0 + 101 * H)]
    again = fold(reopened, T0 + 102 * H, statuses, lambda _: "p")
    assert again is not None and again.resolved == T0 + 101 * H  # a reopen starts over: the last closing counts


def test_records_that_share_an_id_but_not_their_creation_are_both_kept():
    """Copies (the same creation time) merge; a different record under the same id is an issue of its own, and a
    note locates the conflict (#18 point 9)."""
    first = replace(snap("open", T0), where="x.csv:2")
    other = replace(snap("open", T0 + H, created=T0 + H), where="x.csv:3")
    copy = replace(snap("waiting", T0 + 2 * H), where="x.csv:4")
    issues, notes = resolve({"1": [first, other, copy]}, T0 + 3 * H, STATUSES, False, lambda _: "p")
    assert [(i.created, i.where) for i in issues] == [(T0, "x.csv:4"), (T0 + H, "x.csv:3")]
    assert [str(n) for n in notes] == [
        "x.csv:3: id '1' is also the id of a different record (line 2, created at another time): both are kept",
        "x.csv:4: 1 row repeated the id of an earlier row (first: '1') and was merged, keeping the most recently "
        "updated",
    ]
