"""Targets in open days (`3wd`, GLPI's `definition_time: day`): the scalar rule on the cases GLPI's own calendar
code decides, its properties on random calendars, and the columnar `engine.working_days` against it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escalate_cli.business_time import DAY, Calendar
from escalate_cli.config import ConfigErrors, parse_config
from escalate_cli.engine.working_days import ends
from escalate_cli.model import Issue, Policy, State, Step, Threshold, WorkingDays
from escalate_cli.sla import evaluate, target_deadline
from tests.unit.test_business_time import calendar_and_instant

H = 3600
PARIS = ZoneInfo("Europe/Paris")
OFFICE = Calendar(
    tz=PARIS,
    week=(((9 * H, 17 * H),),) * 5 + ((), ()),
    closed=frozenset({date(2026, 12, 25)}),
    special={date(2026, 12, 31): ((9 * H, 12 * H),)},
    name="office",
)


def at(text: str, zone: ZoneInfo = PARIS) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp())


def local(moment: int, zone: ZoneInfo = PARIS) -> str:
    return datetime.fromtimestamp(moment, zone).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("start", "days", "end_of_day", "deadline"),
    [
        ("2026-12-21 10:00", 2, False, "Wed 2026-12-23 10:00"),  # the same time of day, two open days on
        ("2026-12-23 10:00", 2, False, "Mon 2026-12-28 10:00"),  # over the holiday and the weekend
        ("2026-12-19 11:00", 2, False, "Wed 2026-12-23 09:00"),  # Saturday: from Monday's opening
        ("2026-12-21 18:30", 1, False, "Tue 2026-12-22 17:00"),  # after closing: at most the day's closing
        ("2026-12-21 07:00", 1, False, "Tue 2026-12-22 07:00"),  # before opening: that wall time, as GLPI
        ("2026-12-30 15:00", 1, False, "Thu 2026-12-31 12:00"),  # a short special day closes earlier
        ("2026-12-21 10:00", 1, True, "Tue 2026-12-22 17:00"),  # end_of_day: at that day's closing
        ("2026-12-21 10:00", 0, True, "Mon 2026-12-21 17:00"),  # 0wd to the end of the same day
        ("2026-12-24 10:00", 0, True, "Thu 2026-12-24 17:00"),
        ("2026-12-25 10:00", 0, True, "Mon 2026-12-28 17:00"),  # a holiday start: the next open day's close
    ],
)
def test_working_days_end_where_glpi_puts_them(start, days, end_of_day, deadline):
    assert local(OFFICE.days_later(at(start), days, end_of_day)) == deadline


def test_a_day_is_a_wall_day_across_dst():
    always = Calendar(tz=ZoneInfo("Europe/Berlin"), week=(((0, DAY),),) * 7, name="24x7")
    berlin = ZoneInfo("Europe/Berlin")
    spring = always.days_later(at("2026-03-28 10:00", berlin), 1)
    assert local(spring, berlin) == "Sun 2026-03-29 10:00" and spring - at("2026-03-28 10:00", berlin) == 23 * H
    autumn = always.days_later(at("2026-10-24 10:00", berlin), 1)
    assert autumn - at("2026-10-24 10:00", berlin) == 25 * H
    skipped = always.days_later(at("2026-03-28 02:30", berlin), 1)  # 02:30 does not exist on the 29th
    assert local(skipped, berlin) == "Sun 2026-03-29 03:30"  # fold=0: the offset before the change
    repeated = always.days_later(at("2026-10-24 02:30", berlin), 1)  # 02:30 happens twice on the 25th
    assert repeated == int(datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("UTC")).timestamp())  # the first


def test_a_clock_that_uses_its_time_at_a_closing_is_due_when_its_working_days_end():
    """From Saturday, 2wd is due Wednesday 09:00 (GLPI's date), not Tuesday's closing, although no open time
    lies between: resolved Wednesday 08:30 is met; at Tuesday 20:00 the clock is not breached yet."""
    policy = Policy(
        "p",
        OFFICE,
        "office",
        {"resolution": WorkingDays(2)},
        warn=(Threshold(share=None, left=H),),
        steps=(Step("L2", past_due=0),),
    )
    saturday = at("2026-12-19 11:00")
    assert target_deadline(OFFICE, WorkingDays(2), saturday) == (16 * H, at("2026-12-23 09:00"))
    open_one = Issue("A", saturday)
    done = Issue("B", saturday, resolved=at("2026-12-23 08:30"))
    late = Issue("C", saturday, resolved=at("2026-12-23 09:00") + 1)
    tuesday_night = evaluate([open_one], (policy,), at("2026-12-22 20:00"), str).clocks[0]
    assert (tuesday_night.state, tuesday_night.level, local(tuesday_night.due_at)) == (
        State.WARNING,
        None,
        "Wed 2026-12-23 09:00",
    )
    wednesday = evaluate([open_one, done, late], (policy,), at("2026-12-23 09:00"), str).clocks
    assert [(c.issue.id, c.state, c.level) for c in wednesday] == [
        ("A", State.BREACHED, "L2"),
        ("B", State.MET, None),
        ("C", State.BREACHED, "L2"),  # resolved a second later
    ]
    afterwards = evaluate([late], (policy,), at("2026-12-23 10:00"), str).clocks[0]
    assert afterwards.state is State.MISSED


def test_config_reads_open_days():
    config = parse_config(
        {
            "calendars": {"office": {"timezone": "Europe/Paris", "hours": {"mon-fri": ["09:00-17:00"]}}},
            "policies": [
                {
                    "name": "p",
                    "calendar": "office",
                    "targets": {"resolution": "3wd", "first_response": {"target": "1WD", "end_of_day": True}},
                }
            ],
        }
    )
    assert config.policies[0].targets == {"first_response": WorkingDays(1, True), "resolution": WorkingDays(3)}
    assert not config.lint  # `3wd` is not the 24-hour `3d`


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "0wd",
            "policies[0].targets.resolution: 0wd leaves no time: say end_of_day: true for the close of the same day",
        ),
        ({"target": "4h", "end_of_day": True}, "policies[0].targets.resolution.end_of_day: end_of_day needs a target"),
        ({"end_of_day": True}, "policies[0].targets.resolution: required: target"),
        ({"target": "2wd", "eod": True}, "policies[0].targets.resolution.eod: unknown key"),
        ({"target": "2wd", "end_of_day": "yes"}, "policies[0].targets.resolution.end_of_day: expected true or false"),
        ("three wd", 'policies[0].targets.resolution: expected a duration such as "4h"'),
    ],
)
def test_config_says_what_is_wrong_with_a_target_in_open_days(target, message):
    spec = {"policies": [{"name": "p", "targets": {"resolution": target}}]}
    with pytest.raises(ConfigErrors) as caught:
        parse_config(spec)
    assert message in str(caught.value)


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendar_and_instant(), st.integers(0, 6), st.booleans())
def test_the_working_days_end_on_the_nth_open_day(cal_start, days, end_of_day):
    """Between the start's open day (or the next one) and the deadline's day lie exactly `days` open days, the
    deadline's wall time is at most that day's last closing, and the clock's target is the open time between
    (calendars without overnight windows, whose days are the dates)."""
    cal, start = cal_start
    windows = [w for day in (*cal.week, *cal.special.values()) for w in day]
    assume(all(end < DAY for _, end in windows))
    deadline = cal.days_later(start, days, end_of_day)
    first = datetime.fromtimestamp(start, cal.tz).date()
    while not cal.windows_on(first):
        first += timedelta(days=1)
    wall = datetime.fromtimestamp(deadline, cal.tz)
    last = wall.date()
    assert cal.windows_on(last)
    between = sum(1 for n in range(1, (last - first).days + 1) if cal.windows_on(first + timedelta(days=n)))
    assert between == days
    closing = max(end for _, end in cal.windows_on(last))
    noon = datetime.combine(last, datetime.min.time()).replace(tzinfo=cal.tz)
    changes = noon.utcoffset() != (noon + timedelta(days=1)).utcoffset()  # a wall time the zone skips moves on
    seconds = wall.hour * H + wall.minute * 60 + wall.second
    assert seconds <= closing or changes
    if end_of_day and not changes:
        assert seconds == closing
    assert target_deadline(cal, WorkingDays(days, end_of_day), start) == (cal.elapsed_ts(start, deadline), deadline)


@PROPERTY
@given(calendar_and_instant(), st.lists(st.integers(-9 * DAY, 9 * DAY), max_size=12), st.integers(0, 4))
def test_the_columns_end_where_the_scalar_rule_does(cal_start, offsets, days):
    cal, start = cal_start
    starts = np.array([start, *(start + o for o in offsets)], dtype=np.int64)
    for end_of_day in (False, True):
        expected = [cal.days_later(int(s), days, end_of_day) for s in starts]
        assert ends(cal, WorkingDays(days, end_of_day), starts).tolist() == expected
