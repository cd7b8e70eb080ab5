"""A country's holidays through the cache file: the package's days and names, whether the file is new, old,
stale, broken or switched off, and no import of the package once a calendar's years are in the file."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import holidays
import pytest

from escalate_cli.config import ConfigError, parse_config
from escalate_cli.country_holidays import CountryHolidays

CALENDARS = [
    ("DE", None, ("public",)),
    ("US", "CA", ("public",)),
    ("GB", "SCT", ("public",)),
    ("NL", None, ("public",)),
]
YEARS = [1995, 2020, 2024, 2026, 2031]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _every_day(year: int) -> list[date]:
    first = date(year, 1, 1).toordinal()
    return [date.fromordinal(n) for n in range(first, date(year, 12, 31).toordinal() + 1)]


@pytest.mark.parametrize(("country", "subdiv", "categories"), CALENDARS)
def test_days_and_names_are_the_packages_new_or_cached(cache, country, subdiv, categories):
    package = holidays.country_holidays(country, subdiv=subdiv, categories=categories)
    fresh = CountryHolidays(country, subdiv, categories)
    for year in YEARS:
        for day in _every_day(year):
            assert (day in fresh) == (day in package)
            assert fresh.get(day) == package.get(day)
    cached = CountryHolidays(country, subdiv, categories)  # every year above is in the file now
    assert cached._package is None
    for year in YEARS:
        for day in _every_day(year):
            assert cached.get(day) == package.get(day)
            assert (datetime(day.year, day.month, day.day, 12) in cached) == (day in package)
    assert cached._package is None, "no year had to be worked out again"
    assert (cached.start_year, cached.end_year) == (package.start_year, package.end_year)


def test_a_cached_calendar_does_not_import_the_package(cache, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "calendars: {office: {hours: {mon-fri: ['09:00-17:00']}, holidays: {country: DE}}}\n"
        "policies: [{name: all, calendar: office, targets: {resolution: 1d}}]\n"
    )
    check = (
        "import sys\nfrom pathlib import Path\nfrom datetime import date\nfrom escalate_cli.config import load_config\n"
        f"closed = load_config(Path({str(config)!r})).calendars['office'].closed\n"
        "print(date(2026, 12, 25) in closed, closed.name(date(2026, 12, 25)), 'holidays' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert first.stdout.split()[0] == second.stdout.split()[0] == "True"
    assert first.stdout.split()[-1] == "True"  # worked out by the package, then written
    assert second.stdout.split()[-1] == "False"  # read from the file
    assert first.stdout.split()[1:-1] == second.stdout.split()[1:-1]


def test_an_unknown_country_is_refused_whatever_is_cached(cache):
    CountryHolidays("DE", None, ("public",))
    with pytest.raises(ConfigError, match="unknown country 'XX'"):
        parse_config(
            {
                "calendars": {"c": {"hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"country": "XX"}}},
                "policies": [{"name": "p", "targets": {"resolution": "1d"}}],
            }
        )


@pytest.mark.parametrize("damage", ["not json", '{"key": 1}', "[]", '{"key": "other"}'])
def test_a_broken_or_stale_file_is_worked_out_again(cache, damage):
    CountryHolidays("DE", None, ("public",)).get(date(2026, 12, 25))
    (file,) = cache.iterdir()
    if damage == '{"key": "other"}':  # another version of the package, say
        data = json.loads(file.read_text())
        data["key"] += "|another"
        data["years"]["2026"]["2026-12-25"] = "stale"
        file.write_text(json.dumps(data))
    else:
        file.write_text(damage)
    again = CountryHolidays("DE", None, ("public",))
    assert again.get(date(2026, 12, 25)) == holidays.country_holidays("DE").get(date(2026, 12, 25))
    assert json.loads(file.read_text())["years"]["2026"]["2026-12-25"] != "stale"


def test_no_cache_when_switched_off_or_unwritable(tmp_path, monkeypatch):
    unity = holidays.country_holidays("DE").get(date(2026, 10, 3))
    monkeypatch.setenv("ESCALATE_CACHE_DIR", "")
    assert CountryHolidays("DE", None, ("public",)).get(date(2026, 10, 3)) == unity
    blocked = tmp_path / "a file, not a directory"
    blocked.write_text("")
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(blocked / "cache"))
    assert CountryHolidays("DE", None, ("public",)).get(date(2026, 10, 3)) == unity


def test_another_version_of_the_package_is_another_key(tmp_path, monkeypatch, cache):
    """The key carries the installed package's own files: rewriting them (an upgrade) changes it."""
    import importlib.machinery
    import importlib.util
    import os

    from escalate_cli import country_holidays

    package = tmp_path / "holidays"
    package.mkdir()
    for name in ("__init__.py", "version.py", "holiday_base.py"):
        (package / name).write_text("# 1.0\n")
    spec = importlib.machinery.ModuleSpec("holidays", None, origin=str(package / "__init__.py"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    path, key = country_holidays._cache_file("DE", None, ("public",))
    (package / "version.py").write_text("# 1.1\n")
    os.utime(package / "version.py", ns=(1, 1))
    upgraded, upgraded_key = country_holidays._cache_file("DE", None, ("public",))
    assert key != upgraded_key and path != upgraded
    assert country_holidays._cache_file("DE", "BY", ("public",))[1] not in (key, upgraded_key)


def _office(country, zone, hours):
    from escalate_cli.config import parse_config

    calendars = {"c": {"timezone": zone, "hours": {"mon-fri": hours}, "holidays": {"country": country}}}
    calendars["c"]["holidays"]["categories"] = ["public", "half_day"]
    return parse_config({"calendars": calendars, "policies": []}).calendars["c"]


def _day(calendar, day):
    from datetime import datetime

    midnight = int(datetime.combine(day, datetime.min.time(), calendar.tz).timestamp())
    return calendar.elapsed_ts(midnight, midnight + 86400)


def test_half_days_close_when_the_package_says():
    """Iceland's Christmas Eve closes at 13:00 ('from 1pm'); Estonia's pre-holiday day is three hours shorter,
    taken off the end of the day. Before, category half_day closed the whole day, silently (#18 point 11)."""
    iceland = _office("IS", "Atlantic/Reykjavik", ["09:00-17:00"])
    assert iceland.windows_on(date(2026, 12, 24)) == ((9 * 3600, 13 * 3600),)
    assert _day(iceland, date(2026, 12, 24)) == 4 * 3600 and _day(iceland, date(2026, 12, 23)) == 8 * 3600
    assert _day(iceland, date(2026, 12, 25)) == 0  # a public holiday stays closed all day
    estonia = _office("EE", "Europe/Tallinn", ["09:00-12:00", "13:00-17:00"])
    assert estonia.windows_on(date(2026, 12, 23)) == ((9 * 3600, 12 * 3600), (13 * 3600, 14 * 3600))


def test_a_half_day_without_a_time_is_closed_and_linted():
    from escalate_cli.calendar_view import days, lint
    from escalate_cli.config import holiday_name

    china = _office("CN", "Asia/Shanghai", ["09:00-17:00"])
    women = date(2027, 3, 8)  # a Monday; the package gives no time for this half day
    assert china.windows_on(women) == ()
    (view,) = days(china, women, women, holiday_name)
    assert view.note == "closed: International Women's Day"
    assert lint(china, women, women, holiday_name, None) == [
        "Mon 2027-03-08: International Women's Day is a half day, but the holidays package does not say when it "
        "closes: closed all day (give it special hours to keep it open part of the day)",
        "the calendar is never open in this range: clocks on it do not move",
    ]


@pytest.mark.parametrize(
    ("name", "closes", "shorter"),
    [
        ("Christmas Eve (from 1pm)", 13 * 3600, 0),
        ("Christmas Eve (from 12pm)", 12 * 3600, 0),
        ("Republic Day (from 1:30 pm)", 13 * 3600 + 1800, 0),
        ("Pre-holiday day (workday shortened by 3 hours)", None, 3 * 3600),
    ],
)
def test_a_half_days_name_says_when_it_closes(name, closes, shorter):
    from escalate_cli.business_time import PartDay
    from escalate_cli.config import part_day

    assert part_day(name) == PartDay(closes, shorter)
    assert part_day("Army Day") is None
