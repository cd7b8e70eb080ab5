"""The lane's compiled texts: any fixed text stays text, whatever it holds; plans it cannot make exact are refused."""

from __future__ import annotations

from datetime import timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.business_time import Calendar
from escalate_cli.lane_json import JsonResults, _Code, _joined
from escalate_cli.model import Metric, Policy

# Texts that would be code, or escapes, if they were pasted into the f-string's source
AWKWARD = ["{", "}", "{x}", "{{", "\\", "\\N{DASH}", "'", '"', "'''", "\n", "\r", "\0", "%s", "é", "\U0001f600"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(), st.sampled_from(AWKWARD), st.sampled_from(["a", "b", "n"]).map(_Code)),
        max_size=12,
    ),
    st.text(),
    st.text(),
    st.integers(),
)
def test_joined_writes_fixed_texts_as_they_are(pieces, a, b, n):
    joined = _joined("a, b, n", pieces, {})
    values = {"a": a, "b": b, "n": n}
    expected = "".join(str(values[p.expression]) if isinstance(p, _Code) else p for p in pieces)
    assert joined(a, b, n) == expected


def test_joined_expressions_see_the_names_bound():
    joined = _joined("c", ["<", _Code("quoted(c[1].strip())"), ">"], {"quoted": repr})
    assert joined(["x", " y "]) == "<'y'>"


def test_a_target_of_no_time_is_left_to_the_ordinary_path():
    """A due time is then its start itself, which the lane's memo of due times by open seconds cannot tell."""
    results = JsonResults(0, timezone.utc, {"title": (0, None)}, -1, "issues.csv:")
    calendar = Calendar.always_open()
    policy = Policy("zero", calendar, "24x7", {Metric.RESOLUTION: 0})
    assert results.plans_for(policy, calendar.tables(0)) is None
    assert results.plans_for(Policy("four", calendar, "24x7", {Metric.RESOLUTION: 4 * 3600}), None) is not None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([" P1", "P1", "P2 ", "1", "2", "{x}", "é", '"q"', ""]), st.text(max_size=8)),
        min_size=1,
        max_size=40,
    )
)
def test_a_recurring_columns_remembered_texts_are_those_worked_out_each_time(rows):
    """The issue's part with the status and priority columns remembered by cell (codes, stray spaces, quotes,
    the memo emptied when full) is the part worked out row by row."""
    import escalate_cli.lane_json as lane_json

    fields = {"title": (1, None), "priority": (0, {"1": "High", " 2": "Low"}), "status": (2, None)}
    plain = JsonResults(0, timezone.utc, fields, -1, "issues.csv:")
    remembering = JsonResults(0, timezone.utc, fields, -1, "issues.csv:", recurring=[0, 2])
    kept, lane_json._SEEN_KEPT = lane_json._SEEN_KEPT, 3
    try:
        for line, (key, title) in enumerate(rows):
            cells = [key, title, key[::-1]]
            assert remembering.part(cells, "[]", line) == plain.part(cells, "[]", line)
    finally:
        lane_json._SEEN_KEPT = kept
