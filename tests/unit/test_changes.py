from __future__ import annotations

import pytest

from escalate_cli.changes import ChangeKind, Remembered, announcements, diff
from escalate_cli.model import Action, Clock, Issue, Metric, State


def clock(state, level=None, reached=()):
    return Clock(
        Issue(id="A", created=0),
        Metric.RESOLUTION,
        "p",
        "24x7",
        state,
        0,
        100,
        None,
        0,
        100,
        level,
        reached[-1:],
        reached=reached,
    )


def old(state, level=None):
    return {("A", "resolution"): Remembered("A", "resolution", "p", state, level, 100)}


CASES = [
    pytest.param(None, clock(State.OK), None, id="first-sight-ok-is-no-news"),
    pytest.param(None, clock(State.BREACHED), ChangeKind.NEW_BREACH, id="first-sight-breach"),
    pytest.param(old("ok"), clock(State.WARNING), ChangeKind.NEW_WARNING, id="new-warning"),
    pytest.param(old("warning"), clock(State.WARNING), None, id="still-warning"),
    pytest.param(old("warning"), clock(State.BREACHED, "L2"), ChangeKind.NEW_BREACH, id="new-breach"),
    pytest.param(old("breached", "L2"), clock(State.BREACHED, "L2"), None, id="still-breached"),
    pytest.param(old("breached", "L2"), clock(State.BREACHED, "L3"), ChangeKind.LEVEL, id="new-level"),
    pytest.param(old("warning"), clock(State.PAUSED), ChangeKind.RECOVERED, id="recovered-by-pause"),
    pytest.param(old("breached"), clock(State.OK), ChangeKind.RECOVERED, id="recovered"),
    pytest.param(old("ok"), clock(State.MET), ChangeKind.STOPPED, id="stopped-met"),
    pytest.param(old("breached"), clock(State.MISSED), ChangeKind.STOPPED, id="stopped-missed"),
    pytest.param(old("met"), clock(State.MET), None, id="still-met"),
]


@pytest.mark.parametrize(("previous", "now", "kind"), CASES)
def test_change_kinds(previous, now, kind):
    changes = diff(previous or {}, [now])
    assert [c.kind for c in changes] == ([kind] if kind else [])


def test_disappeared_only_for_clocks_that_were_running():
    assert [c.kind for c in diff(old("warning"), [])] == [ChangeKind.DISAPPEARED]
    assert diff(old("met"), []) == []


def test_announcements_skip_what_was_announced():
    steps = (Action("L2", ("lead",), "two"), Action("L3", ("head",), "three"))
    items = announcements([clock(State.BREACHED, "L3", steps)], {"A\x1fresolution\x1fp\x1fL2"})
    assert [(a.level, a.notify, a.message) for a in items] == [("L3", ("head",), "three")]
