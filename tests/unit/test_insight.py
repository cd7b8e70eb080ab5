from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from escalate_cli.backtest import compare
from escalate_cli.calendar_view import days, lint
from escalate_cli.changes import ChangeKind, diff, remember
from escalate_cli.config import holiday_name, holiday_years, parse_config
from escalate_cli.engine.backtest import replay as columnar_replay
from escalate_cli.engine.frame import from_issues
from escalate_cli.explain import explain
from escalate_cli.history import resolve
from escalate_cli.model import Issue, State
from escalate_cli.sla import evaluate, policy_name
from escalate_cli.stats import summarize
from tests.reference_backtest import replay

UTC = timezone.utc
H, M = 3600, 60
T0 = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())  # a Monday


def cfg(**extra):
    return parse_config(
        {
            "calendars": {
                "office": {
                    "timezone": "UTC",
                    "hours": {"mon-fri": ["09:00-17:00"]},
                    "holidays": {"dates": ["2026-03-06"]},
                }
            },
            "statuses": {"closed": ["done"], "paused": ["waiting"]},
            "policies": [
                {
                    "name": "urgent",
                    "match": {"priority": "P1"},
                    "calendar": "office",
                    "targets": {"resolution": "4h"},
                    "warn": ["50%"],
                    "escalate": [{"after": "100%", "level": "L2"}, {"after": "+2h", "level": "L3"}],
                },
                {"name": "normal", "calendar": "office", "targets": {"resolution": "16h"}, "warn": "75%"},
            ],
            **extra,
        }
    )


def row(issue, at, status="open", priority="P3", created=None):
    return Issue(
        id=issue,
        created=created if created is not None else at,
        updated=at,
        fields={"status": status, "priority": priority, "title": ""},
        where=f"log.csv:{at}",
    )


# explain


def test_explain_says_why_earlier_policies_did_not_match_and_where_time_went():
    config = cfg()
    issue = Issue(
        id="X",
        created=T0 + 15 * H,
        fields={"priority": "P3", "title": "t"},
        pauses=((T0 + 24 * H + 10 * H, T0 + 24 * H + 11 * H),),
    )  # Tue 10:00-11:00 paused
    story = explain(issue, config.policies, T0 + 7 * 24 * H + 10 * H, str, holiday_name)
    assert [(c.policy, c.matched, c.key, c.actual) for c in story.checks] == [
        ("urgent", False, "priority", ("P3",)),
        ("normal", True, None, ()),
    ]
    (clock,) = story.clocks
    kinds = [(s.kind, s.seconds) for s in clock.spans]
    assert kinds[:5] == [("counted", 2 * H), ("closed", 0), ("counted", H), ("paused", H), ("counted", 6 * H)]
    reasons = [s.reason for s in clock.spans if s.kind == "closed"]
    assert "day off (holidays.dates) (2026-03-06)" in " ".join(reasons) and "no hours on Sat" in " ".join(reasons)
    marks = {m.label: m for m in clock.marks}
    # Mon 15-17 (2h), Tue 9-17 less the 1h pause (7h), Wed 9-16 (7h): due Wed 16:00
    assert marks["due (16h)"].instant == T0 + 2 * 24 * H + 16 * H
    assert marks["warning at 75%"].reached and clock.clock.state is State.BREACHED


# calendar


def test_calendar_days_and_lint():
    config = parse_config(
        {
            "calendars": {
                "c": {
                    "timezone": "Europe/Berlin",
                    "hours": {"tue-sat": ["01:30-03:30"], "sun": ["02:30-04:00"]},
                    "holidays": {"country": "DE", "dates": ["2026-03-30"]},
                    "special": {"2026-10-25": ["01:30-03:30"], "2026-10-27": ["01:30-03:30"]},
                }
            },
            "policies": [],
        }
    )
    calendar = config.calendars["c"]
    views = days(calendar, date(2026, 3, 29), date(2026, 3, 31), holiday_name)
    assert [(v.day.isoformat(), v.open_seconds, v.note) for v in views] == [
        ("2026-03-29", H, ""),
        ("2026-03-30", 0, "closed: day off (holidays.dates)"),
        ("2026-03-31", 2 * H, ""),
    ]
    notes = lint(calendar, date(2026, 3, 29), date(2026, 3, 30), holiday_name, holiday_years(calendar))
    notes += lint(calendar, date(2026, 10, 25), date(2026, 10, 27), holiday_name, (1991, 2026))
    assert notes == [
        "Sun 2026-03-29: window 02:30-04:00 starts in the DST gap; it opens at 03:00",
        "Mon 2026-03-30: day off (holidays.dates) falls on a day with no hours anyway",
        "Sun 2026-10-25: window 01:30-03:30 spans the repeated hour of the DST change and holds 60 minutes more "
        "than on other days",
        "Tue 2026-10-27: special hours repeat the weekly hours",
    ]
    assert lint(calendar, date(2101, 1, 1), date(2101, 1, 2), holiday_name, holiday_years(calendar))[-1] == (
        "holiday data covers 1991-2100 only; days outside it have no package holidays"
    )


# report statistics


def test_attainment_percentiles_and_trend():
    config = cfg()
    issues = [
        Issue(id=str(i), created=T0 + 9 * H, resolved=T0 + 9 * H + (i + 1) * H, fields={"priority": "P1"})
        for i in range(10)
    ]
    issues.append(Issue(id="open", created=T0 + 7 * 24 * H + 9 * H, fields={"priority": "P1"}))
    clocks = evaluate(issues, config.policies, T0 + 8 * 24 * H, str).clocks
    stats = summarize(clocks, ["priority"], "week", ZoneInfo("UTC"))
    (row_,) = stats.rows
    tally = row_.tally
    assert (tally.met, tally.missed, tally.breached, tally.running) == (4, 6, 1, 0)
    assert tally.attainment == pytest.approx(4 / 11)
    # nearest rank of 1h..8h, 8h, 8h (the 09:00-17:00 day caps the last three)
    assert (tally.percentile(0.5), tally.percentile(0.9)) == (5 * H, 8 * H)
    assert [label for label, _ in stats.trend[("urgent", "resolution")]] == ["2026-W10", "2026-W11"]


# backtest against a brute-force replay that evaluates every step


def brute_force(groups, config, start, end, every):
    counts: Counter[str] = Counter()
    issues, _ = resolve(groups, start, config.statuses, True, policy_name(config.policies))
    previous = {(c.issue.id, c.metric): remember(c) for c in evaluate(issues, config.policies, start, str).clocks}
    final = {}
    for step in range(start + every, end + 1, every):
        issues, _ = resolve(groups, step, config.statuses, True, policy_name(config.policies))
        clocks = evaluate(issues, config.policies, step, str).clocks
        for change in diff(previous, clocks):
            counts[change.kind.value] += 1
            if change.kind in (ChangeKind.NEW_BREACH, ChangeKind.LEVEL) and change.level:
                counts[f"level {change.level}"] += 1
        previous = {(c.issue.id, c.metric): remember(c) for c in clocks}
        final = {key: r.state for key, r in previous.items()}
    return counts, final


def random_log(seed):
    rng = random.Random(seed)
    groups = {}
    for n in range(12):
        at = T0 + rng.randrange(5 * 24 * H)
        created, priority, rows = at, rng.choice(["P1", "P3"]), []
        for _ in range(rng.randrange(1, 6)):
            status = rng.choice(["open", "open", "waiting", "done"])
            rows.append(row(f"I{n}", at, status, priority, created))
            if rng.random() < 0.2:
                priority = "P1" if priority == "P3" else "P3"
            at += rng.randrange(1, 30) * 20 * M
        groups[f"I{n}"] = rows
    return groups


@pytest.mark.parametrize("seed", range(8))
def test_event_driven_replay_matches_evaluating_every_step(seed):
    config, groups = cfg(), random_log(seed)
    start, end, every = T0 + 24 * H, T0 + 8 * 24 * H, 20 * M
    outcome = replay(groups, config.policies, config.statuses, True, start, end, every, UTC)
    expected, final = brute_force(groups, config, start, end, every)
    assert outcome.totals() == expected
    assert outcome.verdicts == final
    rows = from_issues([r for rows_of_id in groups.values() for r in rows_of_id], ("title", "priority", "status"), ())
    by_columns = columnar_replay(rows, config.policies, config.statuses, True, start, end, every, UTC)
    assert by_columns.totals() == expected
    assert by_columns.verdicts == final


def test_compare_lists_clocks_whose_verdict_changes():
    groups = {"A": [row("A", T0 + 9 * H, priority="P1"), row("A", T0 + 15 * H, "done", "P1", T0 + 9 * H)]}
    strict = parse_config({"policies": [{"name": "p", "targets": {"resolution": "4h"}}]})
    lenient = parse_config({"policies": [{"name": "p", "targets": {"resolution": "8h"}}]})
    args = (strict.statuses, True, T0, T0 + 24 * H, 15 * M, UTC)
    candidate = replay(groups, strict.policies, *args)
    baseline = replay(groups, lenient.policies, *args)
    assert compare(candidate, baseline) == [(("A", "resolution"), "met", "missed")]


def test_a_window_ending_in_the_repeated_hour_is_previewed_as_the_clock_counts_it():
    """01:00-02:30 on Berlin's fall-back night: the clock counts every instant whose wall time is in the window,
    the repeated half hour twice (2h); the preview said 1h30m (#18 point 12). The lint says so too."""
    config = parse_config(
        {"calendars": {"c": {"timezone": "Europe/Berlin", "hours": {"sun": ["01:00-02:30"]}}}, "policies": []}
    )
    calendar = config.calendars["c"]
    night = date(2026, 10, 25)
    (view,) = days(calendar, night, night, holiday_name)
    midnight = int(datetime(2026, 10, 25, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())
    assert view.open_seconds == calendar.elapsed_ts(midnight, midnight + 25 * H) == 2 * H
    assert lint(calendar, night, night, holiday_name, (1991, 2100)) == [
        "Sun 2026-10-25: window 01:00-02:30 spans the repeated hour of the DST change and holds 30 minutes more "
        "than on other days"
    ]


def test_a_window_ending_in_the_dst_gap_closes_at_the_jump():
    config = parse_config(
        {"calendars": {"c": {"timezone": "Europe/Berlin", "hours": {"sun": ["01:00-02:30"]}}}, "policies": []}
    )
    calendar = config.calendars["c"]
    spring = date(2026, 3, 29)
    (view,) = days(calendar, spring, spring, holiday_name)
    midnight = int(datetime(2026, 3, 29, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())
    assert view.open_seconds == calendar.elapsed_ts(midnight, midnight + 23 * H) == H
    assert lint(calendar, spring, spring, holiday_name, (1991, 2100)) == [
        "Sun 2026-03-29: window 01:00-02:30 ends in the DST gap; it closes at 03:00"
    ]
