"""The JSON writer renders indented text itself (json.dumps with indent runs its slow pure-Python encoder); it
must give json.dumps's text character for character, whatever the values hold."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime
from enum import Enum

from hypothesis import given
from hypothesis import strategies as st

from escalate_cli.writers.json_ import _indented

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # any code point: control characters, quotes, backslashes, surrogates, emoji
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values, st.sampled_from(["", "  ", "    "]))
def test_indented_text_is_json_dumps_text(value, prefix):
    expected = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + prefix)
    assert _indented(value, prefix) == expected


class Colour(str, Enum):
    RED = "red"


def test_what_it_does_not_render_itself_goes_to_json_dumps():
    odd = {"enum": Colour.RED, "keys": {1: "one", None: "none"}, "float": 1.5, "bool subclass": True}
    assert _indented(odd, "  ") == json.dumps(odd, indent=2, ensure_ascii=False).replace("\n", "\n  ")


LADDER = """
timezone: Europe/Berlin
statuses: {closed: [done, closed], paused: [waiting, on hold]}
calendars:
  office: {timezone: Europe/Berlin, hours: {mon-fri: ["08:00-12:00", "13:00-17:30"]}, holidays: {country: DE}}
policies:
  - name: urgent
    match: {priority: [P1, urgent]}
    targets: {first_response: 30m, resolution: 4h, update: 2h}
    warn: [50%]
    pause: [resolution]
    escalate:
      - after: 100%
        level: L2
        notify: [lead, "ops \\"chat\\""]
        action: "Page {id} ({priority}): {metric} overdue by {overdue}"
      - {after: 200%, level: L3, notify: [head]}
  - {name: rest, calendar: office, targets: {first_response: 8h, resolution: 40h}, escalate: [{after: -1h, level: L1}]}
"""


def test_result_text_is_the_result_dict_indented(tmp_path):
    """The writer spells out each result key by key; its text must be the generic rendering of `result`, for
    clocks of every state, with actions, pauses, labels, fields with quotes, control characters, emoji or
    nothing, and instants on both sides of a DST change."""
    from escalate_cli.pipeline import load
    from escalate_cli.sla import evaluate
    from escalate_cli.writers import iso
    from escalate_cli.writers.json_ import result, result_text
    from tests.cli.test_columnar import AS_OF, export

    rng = random.Random(4)
    lines = export(rng, 600).splitlines()
    odd = ['say "hi"\\there', "tab\tand\x01", "😀 ünïcode", "", "x" * 300]
    text = "\n".join(
        [f"{lines[0]},title,labels,product"]
        + [
            f'{line},"{rng.choice(odd).replace(chr(34), chr(34) * 2)}",{rng.choice(["", "a", "a;b"])},w'
            for line in lines[1:]
        ]
    )
    (tmp_path / "issues.csv").write_text(text)
    (tmp_path / "config.yaml").write_text(LADDER + "fields: {product: product}\n")
    loaded = load([str(tmp_path / "issues.csv")], tmp_path / "config.yaml", as_of=datetime.fromisoformat(AS_OF))
    tz = loaded.config.timezone
    report = evaluate(loaded.issues, loaded.config.policies, loaded.as_of, lambda m: iso(m, tz) or "")
    states = {clock.state for clock in report.clocks}
    assert len(states) == 6 and any(clock.actions for clock in report.clocks)
    assert any(clock.issue.labels for clock in report.clocks)
    for clock in report.clocks:
        assert result_text(clock, tz) == _indented(result(clock, tz), "    ")
    clock = next(clock for clock in report.clocks if clock.actions)
    odd = replace(clock, issue=replace(clock.issue, fields={"title": "t", "paused_seconds": "a field"}))
    assert result_text(odd, tz) == _indented(result(odd, tz), "    ")  # the dict's way, whatever it does
