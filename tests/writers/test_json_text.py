"""The JSON writer renders indented text itself (json.dumps with indent runs its slow pure-Python encoder); it
must give json.dumps's text character for character, whatever the values hold."""

from __future__ import annotations

import json
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
