"""Event logs replayed by columns (`engine.fold.replay`) against `history.fold` one issue at a time: the same
issues, field for field and pause for pause, for random logs with ties, events after the instant, rows
without an update time, closings that reopen or move from one closed status to another, pauses left in the
second they began, and changes of policy."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.config import parse_config
from escalate_cli.engine.fold import at_instant, groups
from escalate_cli.engine.frame import from_issues, to_issues
from escalate_cli.history import resolve
from escalate_cli.model import Issue, Statuses
from escalate_cli.readers.issues import TEXT_FIELDS
from escalate_cli.sla import policy_name

T0 = 1_767_600_000
M = 60
STATUSES = Statuses(closed=frozenset({"done", "closed", "resolved"}), paused=frozenset({"waiting", "on hold"}))
WORDS = ["open", " Open", "In Progress", "waiting", "On Hold", "done", "Closed", "resolved", "DONE ", ""]
POLICIES = parse_config(
    {
        "policies": [
            {"name": "urgent", "match": {"priority": ["P1"]}, "targets": {"resolution": "4h"}},
            {"name": "normal", "match": {"priority": ["P2"]}, "targets": {"resolution": "8h"}},
        ]
    }
).policies


@st.composite
def logs(draw):
    rows = []
    for n in range(draw(st.integers(1, 12))):
        created = T0 + draw(st.integers(0, 50)) * M
        for _ in range(draw(st.integers(1, 8))):
            at = None if draw(st.integers(0, 9)) == 0 else created + draw(st.integers(0, 30)) * M
            rows.append(
                Issue(
                    id=f"I-{n}",
                    created=created + draw(st.sampled_from([0, 0, 0, -M, M])),
                    updated=at,
                    resolved=draw(st.sampled_from([None, None, None, created + 5 * M])),
                    fields={
                        "status": draw(st.sampled_from(WORDS)),
                        "priority": draw(st.sampled_from(["P1", "P2", "P3"])),
                        "title": draw(st.sampled_from(["a", "b"])),
                    },
                    where=f"log.csv:{len(rows) + 2}",
                )
            )
    order = draw(st.permutations(range(len(rows))))  # ids interleaved, events out of order
    as_of = T0 + draw(st.integers(0, 90)) * M
    return [rows[i] for i in order], as_of


@settings(max_examples=300, deadline=None)
@given(logs())
def test_replay_gives_the_scalar_fold(log):
    rows, as_of = log
    frame = from_issues(rows, TEXT_FIELDS, ())
    expected, _ = resolve(groups(frame), as_of, STATUSES, True, policy_name(POLICIES))
    replayed, notes = at_instant(frame, as_of, STATUSES, True, POLICIES)
    assert notes == []
    assert to_issues(replayed, replayed.frame) == expected
