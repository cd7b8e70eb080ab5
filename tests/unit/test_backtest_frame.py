"""`backtest` by columns (`engine.backtest.replay`) against the scalar replay (`escalate_cli.backtest.replay`, which
a brute-force replay of every run backs in test_insight): random event logs and snapshots, with pauses, closed ->
closed moves, reopenings, reclassification, warnings and ladders, a run every few minutes."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.config import parse_config
from escalate_cli.engine.backtest import replay
from escalate_cli.engine.fold import VALID_FROM, VALID_TO, groups, versions
from escalate_cli.engine.frame import from_issues, to_issues
from escalate_cli.model import Issue
from escalate_cli.sla import policy_name
from tests.reference_backtest import _versions
from tests.reference_backtest import replay as scalar_replay

UTC = timezone.utc
H, M = 3600, 60
T0 = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())  # a Monday
FIELDS = ("title", "priority", "status")


def config(pause: list[str], restart: bool, resolution: object = "4h"):
    return parse_config(
        {
            "calendars": {
                "office": {
                    "timezone": "Europe/Berlin",
                    "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"]},
                    "holidays": {"dates": ["2026-03-06"]},
                }
            },
            "statuses": {"closed": ["done", "closed"], "paused": ["waiting"]},
            "on_reclassify": "restart" if restart else "continue",
            "policies": [
                {
                    "name": "urgent",
                    "match": {"priority": "P1"},
                    "calendar": "office",
                    "targets": {"first_response": "1h", "resolution": resolution, "update": "2h"},
                    "warn": ["50%", "90%"],
                    "pause": pause,
                    "escalate": [{"after": "100%", "level": "L2"}, {"after": "+2h", "level": "L3"}],
                },
                {"name": "normal", "match": {"priority": "P3"}, "targets": {"resolution": "16h"}, "warn": "75%"},
            ],
        }
    )


@st.composite
def logs(draw) -> list[Issue]:
    rows = []
    for n in range(draw(st.integers(1, 8))):
        at = T0 + draw(st.integers(0, 5 * 24 * 4)) * 15 * M + draw(st.sampled_from([0, 0, 1, 7 * M]))
        created = at - draw(st.sampled_from([0, 0, H, 3 * 24 * H]))
        priority = draw(st.sampled_from(["P1", "P3", "P9"]))
        first = created + draw(st.integers(0, 6 * 4)) * 15 * M if draw(st.booleans()) else None
        for _ in range(draw(st.integers(1, 6))):
            status = draw(st.sampled_from(["open", "open", "waiting", "done", "closed"]))
            if draw(st.integers(0, 4)) == 0:
                priority = draw(st.sampled_from(["P1", "P3", "P9"]))
            rows.append(
                Issue(
                    id=f"I{n}",
                    created=created,
                    updated=at,
                    first_response=first,
                    fields={"status": status, "priority": priority, "title": ""},
                    where=f"log.csv:{len(rows) + 2}",
                )
            )
            at += draw(st.sampled_from([0, 1, 20 * M, H, 5 * H, 24 * H]))
    order = draw(st.permutations(range(len(rows))))  # file order need not be time order
    return [rows[i] for i in order]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logs(),
    st.sampled_from([[], ["resolution"], ["resolution", "update", "first_response"]]),
    st.booleans(),
    st.sampled_from([True, False, None]),
    st.sampled_from([7 * M, 15 * M, H]),
    st.integers(0, 3 * 24),
    st.sampled_from(["4h", "4h", "2wd", {"target": "1wd", "end_of_day": True}]),
)
def test_the_columnar_backtest_reports_what_the_scalar_one_does(rows, pause, restart, history, every, begin, due):
    cfg = config(pause, restart, due)
    frame = from_issues(rows, FIELDS, ())
    start, end = T0 + begin * H, T0 + begin * H + 4 * 24 * H
    args = (cfg.policies, cfg.statuses, history, start, end, every, UTC, "c", restart)
    expected = scalar_replay(groups(frame), *args)
    actual = replay(frame, *args)
    assert actual.issues == expected.issues
    assert actual.steps == expected.steps
    assert {d: dict(c) for d, c in actual.per_day.items()} == {d: dict(c) for d, c in expected.per_day.items()}
    assert actual.stopped == expected.stopped
    assert actual.verdicts == expected.verdicts


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs(), st.integers(0, 6 * 24))
def test_each_version_is_the_scalar_fold_at_its_instant(rows, until):
    cfg = config(["resolution"], False)
    frame = from_issues(rows, FIELDS, ())
    end = T0 + until * H
    expected = []
    for rows_of_id in groups(frame).values():
        expected += _versions(rows_of_id, True, cfg.statuses, end, policy_name(cfg.policies))
    stood = versions(frame, end, cfg.statuses, True, cfg.policies)
    actual = list(zip(stood.get_column(VALID_FROM).to_list(), to_issues(frame, stood)))
    assert actual == expected
    assert stood.get_column(VALID_TO).to_list() == [
        after[0] if after is not None and after[1].id == now[1].id else end + 1
        for now, after in zip(expected, [*expected[1:], None])
    ]
