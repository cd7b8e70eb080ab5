from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.business_time import DAY, Calendar
from escalate_cli.config import parse_config
from tests import reference

H = 3600
BERLIN = ZoneInfo("Europe/Berlin")


def calendar(hours, timezone="Europe/Berlin", holidays=None, special=None) -> Calendar:
    spec = {"timezone": timezone, "hours": hours}
    if holidays is not None:
        spec["holidays"] = holidays
    if special is not None:
        spec["special"] = special
    config = parse_config({"calendars": {"c": spec}, "policies": []})
    return config.calendars["c"]


OFFICE = {"mon-fri": ["09:00-12:00", "13:00-17:00"]}
SUPPORT = calendar(
    OFFICE,
    holidays={"country": "DE", "subdivision": "BY", "dates": ["2026-12-24"]},
    special={"2026-12-31": ["09:00-13:00"], "2026-11-11": [], "2026-11-14": ["10:00-14:00"]},
)
NIGHT = calendar({"sun": ["22:00-06:00"]}, holidays={"dates": ["2026-11-29"]})  # a Sunday
NIGHT_MON_OFF = calendar({"sun": ["22:00-06:00"], "mon": ["09:00-10:00"]}, holidays={"dates": ["2026-11-23"]})


def at(text: str, tz=BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


ELAPSED = [
    pytest.param(SUPPORT, "2026-11-16 10:00", "2026-11-16 11:00", 1 * H, id="same-morning"),
    pytest.param(SUPPORT, "2026-11-16 11:00", "2026-11-16 14:00", 2 * H, id="over-lunch"),
    pytest.param(SUPPORT, "2026-11-16 07:00", "2026-11-16 08:59", 0, id="before-opening"),
    pytest.param(SUPPORT, "2026-11-20 16:00", "2026-11-23 10:00", 2 * H, id="over-weekend"),
    pytest.param(SUPPORT, "2026-11-21 10:00", "2026-11-22 18:00", 0, id="weekend-only"),
    pytest.param(SUPPORT, "2026-01-05 16:00", "2026-01-07 10:00", 2 * H, id="package-holiday-epiphany-by"),
    pytest.param(SUPPORT, "2026-12-23 16:00", "2026-12-28 10:00", 2 * H, id="explicit-and-christmas"),
    pytest.param(SUPPORT, "2026-12-31 08:00", "2026-12-31 18:00", 4 * H, id="special-part-day"),
    pytest.param(SUPPORT, "2026-11-10 16:00", "2026-11-12 10:00", 2 * H, id="special-closed-day"),
    pytest.param(SUPPORT, "2026-11-14 00:00", "2026-11-15 00:00", 4 * H, id="special-extra-saturday"),
    pytest.param(SUPPORT, "2026-11-16 12:00", "2026-11-16 10:00", 0, id="end-before-start"),
    pytest.param(SUPPORT, "2026-11-16 10:00", "2026-11-16 10:00", 0, id="empty-span"),
    pytest.param(NIGHT, "2026-11-22 21:00", "2026-11-23 07:00", 8 * H, id="overnight"),
    pytest.param(NIGHT, "2026-11-23 00:00", "2026-11-23 07:00", 6 * H, id="overnight-after-midnight"),
    pytest.param(NIGHT, "2026-11-29 21:00", "2026-11-30 07:00", 0, id="overnight-holiday-on-its-day"),
    pytest.param(NIGHT_MON_OFF, "2026-11-22 21:00", "2026-11-23 12:00", 8 * H, id="overnight-holiday-next-day"),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}),
        "2026-03-29 00:00",
        "2026-03-30 00:00",
        23 * H,
        id="berlin-spring-forward-day",
    ),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}), "2026-10-25 00:00", "2026-10-26 00:00", 25 * H, id="berlin-fall-back-day"
    ),
    pytest.param(
        calendar({"sun": ["01:00-04:00"]}, "America/New_York"),
        "2026-03-08 00:00",
        "2026-03-09 00:00",
        2 * H,
        id="new-york-window-over-gap",
    ),
    pytest.param(
        calendar({"sun": ["02:30-03:30"]}, "America/New_York"),
        "2026-03-08 00:00",
        "2026-03-09 00:00",
        30 * 60,
        id="new-york-window-starting-in-gap",
    ),
    pytest.param(
        calendar({"sun": ["01:00-02:00"]}, "America/New_York"),
        "2026-11-01 00:00",
        "2026-11-02 00:00",
        2 * H,
        id="new-york-repeated-hour-counts-twice",
    ),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}, "Australia/Sydney"),
        "2026-04-05 00:00",
        "2026-04-06 00:00",
        25 * H,
        id="sydney-fall-back-day",
    ),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}, "Australia/Sydney"),
        "2026-10-04 00:00",
        "2026-10-05 00:00",
        23 * H,
        id="sydney-spring-forward-day",
    ),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}, "Asia/Kolkata"),
        "2026-03-29 00:00",
        "2026-03-30 00:00",
        24 * H,
        id="kolkata-no-dst",
    ),
]


@pytest.mark.parametrize(("cal", "start", "end", "expected"), ELAPSED)
def test_elapsed(cal, start, end, expected):
    tz = cal.tz
    assert cal.elapsed(at(start, tz), at(end, tz)) == expected


ADD = [
    pytest.param(SUPPORT, "2026-11-16 13:00", 4 * H, "2026-11-16 17:00", id="runs-out-at-closing"),
    pytest.param(SUPPORT, "2026-11-16 16:00", 2 * H, "2026-11-17 10:00", id="into-next-day"),
    pytest.param(SUPPORT, "2026-11-16 11:30", H, "2026-11-16 13:30", id="over-lunch"),
    pytest.param(SUPPORT, "2026-11-21 10:00", H, "2026-11-23 10:00", id="from-weekend"),
    pytest.param(SUPPORT, "2026-12-23 16:00", 2 * H, "2026-12-28 10:00", id="over-holidays"),
    pytest.param(SUPPORT, "2026-11-16 10:00", 0, "2026-11-16 10:00", id="zero"),
    pytest.param(SUPPORT, "2026-11-21 10:00", 0, "2026-11-21 10:00", id="zero-while-closed"),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}),
        "2026-03-28 12:00",
        24 * H,
        "2026-03-29 13:00",
        id="berlin-24h-over-spring-forward",
    ),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}),
        "2026-10-24 12:00",
        24 * H,
        "2026-10-25 11:00",
        id="berlin-24h-over-fall-back",
    ),
    pytest.param(
        calendar({"sun": ["02:30-05:00"]}, "America/New_York"),
        "2026-03-08 00:00",
        1,
        "2026-03-08 03:00:01",
        id="new-york-opens-at-first-instant-after-gap",
    ),
    pytest.param(
        calendar({"daily": ["00:00-24:00"]}, "Australia/Sydney"),
        "2026-10-03 12:00",
        24 * H,
        "2026-10-04 13:00",
        id="sydney-24h-over-spring-forward",
    ),
    pytest.param(
        calendar({"mon-fri": ["09:30-18:00"]}, "Asia/Kolkata"),
        "2026-03-27 17:00",
        2 * H,
        "2026-03-30 10:30",
        id="kolkata-no-dst-over-weekend",
    ),
    pytest.param(
        calendar({"sun": ["09:00-17:00"]}, "Australia/Sydney"),
        "2026-04-05 00:00",
        8 * H,
        "2026-04-05 17:00",
        id="sydney-fall-back",
    ),
]


@pytest.mark.parametrize(("cal", "start", "seconds", "expected"), ADD)
def test_add(cal, start, seconds, expected):
    tz = cal.tz
    assert cal.add(at(start, tz), seconds) == at(expected, tz)


def test_fall_back_add_lands_in_the_second_pass_of_the_repeated_hour():
    cal = calendar({"sun": ["01:00-02:00"]}, "America/New_York")
    due = cal.add(at("2026-11-01 00:00", cal.tz), 90 * 60)
    assert due.astimezone(ZoneInfo("UTC")) == datetime(2026, 11, 1, 6, 30, tzinfo=ZoneInfo("UTC"))


def test_span_of_years_counts_every_working_day():
    # No window of SUPPORT touches a DST change, so a day-by-day sum of window lengths is exact.
    start = date(2023, 2, 1)
    days = [start + timedelta(days=i) for i in range((date(2026, 9, 1) - start).days)]
    expected = sum(end - begin for day in days for begin, end in SUPPORT.windows_on(day))
    assert expected > 3 * 1500 * H
    assert SUPPORT.elapsed(at("2023-02-01 00:00"), at("2026-09-01 00:00")) == expected


def test_always_open_counts_real_seconds_over_years():
    cal = Calendar.always_open()
    assert cal.elapsed(at("2021-01-01 00:00"), at("2026-01-01 00:00")) == 1826 * DAY


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        SUPPORT.elapsed(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        SUPPORT.add_ts(0, -1)


def test_calendar_that_never_reaches_the_target_says_so():
    cal = Calendar(tz=BERLIN, week=((),) * 7, special={date(2026, 1, 5): ((9 * H, 10 * H),)})
    with pytest.raises(ValueError, match="never accumulates"):
        cal.add(at("2026-01-05 09:00"), 2 * H)


def test_open_spans_are_clipped_and_ordered():
    spans = list(SUPPORT.open_spans(int(at("2026-11-16 10:00").timestamp()), int(at("2026-11-17 10:00").timestamp())))
    as_text = [
        (datetime.fromtimestamp(s, BERLIN).strftime("%d %H:%M"), datetime.fromtimestamp(e, BERLIN).strftime("%d %H:%M"))
        for s, e in spans
    ]
    assert as_text == [("16 10:00", "16 12:00"), ("16 13:00", "16 17:00"), ("17 09:00", "17 10:00")]


# Property tests against the brute-force reference.

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
ANCHORS = [
    datetime(2026, m, d, tzinfo=ZoneInfo("UTC"))
    for m, d in [(3, 8), (3, 29), (4, 5), (10, 4), (10, 25), (11, 1), (6, 15), (12, 31)]
]


@st.composite
def day_windows(draw):
    cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=0, max_size=6)))
    windows = [(a * 900, b * 900) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    if windows and draw(st.booleans()) and windows[-1][1] == 96 * 900:
        windows[-1] = (windows[-1][0], DAY + draw(st.integers(1, 28)) * 900)  # overnight into the next day
    return tuple(windows)


@st.composite
def calendars(draw):
    week = tuple(draw(day_windows()) for _ in range(7))
    if not any(week):
        week = (((9 * H, 17 * H),), *week[1:])
    base = date(2026, 1, 1)
    closed = frozenset(base + timedelta(days=d) for d in draw(st.sets(st.integers(0, 364), max_size=40)))
    special = {base + timedelta(days=d): draw(day_windows()) for d in draw(st.sets(st.integers(0, 364), max_size=20))}
    return Calendar(tz=ZoneInfo(draw(st.sampled_from(ZONES))), week=week, closed=closed, special=special)


@st.composite
def instants(draw, cal):
    """Mostly a second either side of one of the calendar's own window edges near a DST change, else anywhere."""
    anchor = draw(st.sampled_from(ANCHORS))
    day = anchor.date() + timedelta(days=draw(st.integers(-4, 4)))
    edges = [edge for window in cal.windows_on(day) for edge in window] or [0]
    wall = datetime.combine(day, datetime.min.time()) + timedelta(seconds=draw(st.sampled_from(edges)))
    near_edge = int(wall.replace(tzinfo=cal.tz).timestamp()) + draw(st.sampled_from([-1, 0, 1]))
    anywhere = draw(st.integers(int(anchor.timestamp()) - 4 * DAY, int(anchor.timestamp()) + 4 * DAY))
    return draw(st.sampled_from([near_edge, near_edge, anywhere]))


@st.composite
def calendar_and_instant(draw):
    cal = draw(calendars())
    return cal, draw(instants(cal))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendar_and_instant(), st.integers(0, 6 * DAY))
def test_elapsed_matches_reference(cal_start, length):
    cal, start = cal_start
    assert cal.elapsed_ts(start, start + length) == reference.elapsed(cal, start, start + length)


@PROPERTY
@given(calendar_and_instant(), st.integers(0, 2 * DAY))
def test_add_matches_reference(cal_start, seconds):
    cal, start = cal_start
    seconds %= 3 * sum(end - begin for day in cal.week for begin, end in day) + 1  # keep the walk short
    assert cal.add_ts(start, seconds) == reference.add(cal, start, seconds)


@PROPERTY
@given(calendar_and_instant(), st.integers(0, 3 * DAY), st.integers(0, 3 * DAY))
def test_elapsed_is_additive(cal_start, ab, bc):
    cal, a = cal_start
    b, c = a + ab, a + ab + bc
    assert cal.elapsed_ts(a, b) + cal.elapsed_ts(b, c) == cal.elapsed_ts(a, c)


@PROPERTY
@given(
    calendars(),
    st.integers(int(datetime(2018, 1, 1).timestamp()), int(datetime(2031, 1, 1).timestamp())),
    st.integers(0, 30 * DAY),
)
def test_add_inverts_elapsed_over_years(cal, start, seconds):
    assert cal.elapsed_ts(start, cal.add_ts(start, seconds)) == seconds


@settings(max_examples=150, deadline=None)
@given(
    which=st.sampled_from(["support", "night", "always"]),
    as_of=st.integers(1_767_225_600, 1_798_761_600),  # through 2026, DST changes both ways
    seconds=st.integers(0, 5 * 86_400),
    back=st.integers(0, 40 * 86_400),
)
def test_latest_start_reaching_splits_starts_exactly(which, as_of, seconds, back):
    """The fast lane's threshold: starts at or before it have used `seconds` by as_of, later ones have not;
    checked against elapsed_ts on both sides of it and at a random start."""
    from tests.reference import ALWAYS, latest_start_reaching

    cal = {"support": SUPPORT, "night": NIGHT, "always": Calendar.always_open()}[which]
    floor = as_of - 400 * 86_400
    found = latest_start_reaching(cal, seconds, as_of, floor)
    if found is None:
        assert cal.elapsed_ts(floor, as_of) < seconds
        return
    if found == ALWAYS:
        assert seconds == 0
        return
    assert cal.elapsed_ts(found, as_of) >= seconds > cal.elapsed_ts(found + 1, as_of)
    start = as_of - back
    assert (start <= found) is (cal.elapsed_ts(start, as_of) >= seconds)


@pytest.mark.parametrize("zone", ["UTC", "Etc/GMT-0", "Zulu", "Greenwich"])
def test_zones_that_are_utc_have_one_offset_as_probing_finds(zone):
    from escalate_cli import business_time

    tz = ZoneInfo(zone)
    start, end = 0, 40 * 365 * DAY
    probed = {business_time._offset(tz, moment) for moment in range(start, end, business_time._PROBE_STEP)}
    assert probed == {0}
    assert business_time._offset_segments(tz, start, end) == [(start, end, 0)]


def test_a_fixed_offset_is_one_segment_and_a_zone_that_changes_is_not():
    from datetime import timezone

    from escalate_cli import business_time

    india = timezone(timedelta(hours=5, minutes=30))
    assert business_time._offset_segments(india, 0, 10 * DAY) == [(0, 10 * DAY, 19_800)]
    berlin = business_time._offset_segments(ZoneInfo("Europe/Berlin"), 1_700_000_000, 1_700_000_000 + 365 * DAY)
    assert [offset for _, _, offset in berlin] == [3600, 7200, 3600]
