"""The lane's instant texts must be `writers.iso`'s, for any moment in any zone a config can name."""

from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.lane_json import Instants
from escalate_cli.writers import iso

ZONES = [
    timezone.utc,
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=45)),
    ZoneInfo("UTC"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/St_Johns"),
    ZoneInfo("Australia/Lord_Howe"),  # a DST change of half an hour
    ZoneInfo("Asia/Kolkata"),
]
FIRST, LAST = -2_208_988_800, 32_503_593_599  # 1900-01-01 to 2999-12-31, the years the lane reads


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ZONES), st.lists(st.integers(FIRST, LAST), min_size=1, max_size=20), st.integers(0, 86_400))
def test_instant_texts_are_iso(zone, moments, near):
    """Moments anywhere, and moments near each other (days learned once, then looked up)."""
    instants = Instants(zone)
    for moment in [*moments, *(m + near for m in moments), *(m - near for m in moments)]:
        if FIRST <= moment <= LAST:
            assert instants.quoted(moment) == f'"{iso(moment, zone)}"'


def test_instant_texts_across_dst_changes_to_the_second():
    zone = ZoneInfo("Europe/Berlin")
    instants = Instants(zone)
    for change in (1774746000, 1792890000):  # 2026-03-29 01:00 UTC, 2026-10-25 01:00 UTC
        for moment in range(change - 2 * 86_400, change + 2 * 86_400, 599):
            assert instants.quoted(moment) == f'"{iso(moment, zone)}"'
