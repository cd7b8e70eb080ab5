"""JSON lists and NDJSON built by columns (`engine.read_records`) against the Python builder (the oracle): the
same issues, errors and warnings, for random records whose values are every JSON type, in batches some of
which the columns cannot take."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.config import parse_config
from escalate_cli.engine import read_records
from escalate_cli.pipeline import load_prepared, read_options
from escalate_cli.sla import field_values
from tests.unit.test_engine_read import AS_OF, python_reading

TEXT = st.sampled_from(["P1", " p2 ", "", "Open", "closed", "a, b;c", "x\x1fy", "ünï", " "])
VALUE = st.one_of(
    TEXT,
    st.integers(-5, 10**12),
    st.booleans(),
    st.none(),
    st.lists(st.one_of(TEXT, st.integers(0, 9), st.none()), max_size=3),
    st.fixed_dictionaries({"name": TEXT}),
    st.fixed_dictionaries({"other": TEXT}),
    st.lists(st.fixed_dictionaries({"name": TEXT}), max_size=3),
)
STAMP = st.one_of(
    st.sampled_from(["2026-11-02T09:00:00Z", "2026-11-02 10:30:00", "2026-11-03T08:00:00+01:00", "tomorrow", ""]),
    st.none(),
    st.just(1_762_074_000),  # an epoch number: the batch goes record by record
)
CONFIGS = {
    "generic": parse_config(
        {
            "timezone": "Europe/Berlin",
            "fields": {"team": {"column": "team"}},
            "policies": [
                {"name": "p1", "match": {"priority": "p1", "team": ["5", "eu"]}, "targets": {"resolution": "4h"}},
                {"name": "rest", "targets": {"first_response": "1h"}},
            ],
        }
    ),
    "github": parse_config(
        {"source": "github", "policies": [{"name": "all", "match": {"labels": "a"}, "targets": {"resolution": "1d"}}]}
    ),
}


@st.composite
def records(draw):
    out = []
    for n in range(draw(st.integers(0, 30))):
        record = {}
        for key, value in (
            ("id", draw(st.sampled_from([f"T-{n}", f" T-{n} ", n, "", None]))),
            ("number", n),
            ("title", draw(VALUE)),
            ("priority", draw(VALUE)),
            ("status", draw(VALUE)),
            ("state", draw(TEXT)),
            ("team", draw(VALUE)),
            ("labels", draw(VALUE)),
            ("created", draw(STAMP)),
            ("createdAt", draw(STAMP)),
            ("resolved", draw(STAMP)),
            ("closedAt", draw(STAMP)),
            ("pull_request", draw(st.sampled_from([None, {"url": "x"}]))),
        ):
            if draw(st.integers(0, 9)):  # now and then a key is missing
                record[key] = value
        out.append(record)
    return out


def comparable(issue, keys):
    return dataclasses.replace(issue, record={key: field_values(issue, key) for key in keys})


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(records(), st.sampled_from(sorted(CONFIGS)), st.sampled_from(["json", "ndjson"]), st.booleans())
def test_records_by_columns_give_what_the_python_builder_gives(tmp_path, monkeypatch, rows, name, kind, broken):
    monkeypatch.setattr(read_records, "BATCH", 7)  # several batches, some of them record by record
    config = CONFIGS[name]
    path = tmp_path / f"export.{kind}"
    if kind == "json":
        text = "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n"
    else:
        lines = [json.dumps(r) for r in rows]
        if broken and lines:
            lines[len(lines) // 2 :] = ["{not json", "", "[1, 2]", *lines[len(lines) // 2 :]]
        text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    try:
        issues, errors, warnings = python_reading(path, config)
    except Exception as exc:  # the whole export refused: the same refusal
        with pytest.raises(type(exc)) as again:
            load_prepared([str(path)], config, AS_OF, read_options(config, keep=frozenset()))
        assert str(again.value) == str(exc)
        return
    loaded = load_prepared([str(path)], config, AS_OF, read_options(config, keep=frozenset()))
    keys = sorted(config.columns_used())
    assert [comparable(i, keys) for i in loaded.issues] == [comparable(i, keys) for i in issues]
    assert (loaded.errors, loaded.warnings) == (errors, warnings)
