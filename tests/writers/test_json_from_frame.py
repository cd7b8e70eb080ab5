"""JSON results and CSV rows written from the clock frame (`engine.results`) against those written from
`Clock`s (the scalar writers): the same bytes, for random exports under configs with pauses, ladders and
templates, in zones whose offsets once had seconds, with titles holding quotes, backslashes and control
characters."""

from __future__ import annotations

import random

import pytest
import yaml

from escalate_cli.config import parse_config
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from escalate_cli.writers import csv_, json_
from tests.cli.test_columnar import BASE, CONFIGS, export


def both(path, config, as_of, writer=json_):
    options = read_options(config, keep=frozenset())
    loaded = load_prepared([str(path)], config, as_of, options)
    from_clocks = writer.render(evaluate_loaded(loaded), tz=config.timezone)
    from_frame = writer.render(evaluate_loaded(loaded, keep_clocks=False, as_table=True), tz=config.timezone)
    return from_clocks, from_frame


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "America/New_York", "UTC"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_results_from_the_frame_are_the_scalar_writers(tmp_path, zone, name):
    spec = yaml.safe_load(CONFIGS[name])
    spec["timezone"] = zone
    config = parse_config(spec)
    text = export(random.Random(len(zone) + len(name)), 1500, titles=True)
    text = text.replace("Slow page", 'Slow "page" \\ \x01 \x0c tab\t')  # escapes and a control character
    path = tmp_path / "issues.csv"
    path.write_text(text, encoding="utf-8")
    from_clocks, from_frame = both(path, config, BASE)
    assert "\\u0001" in from_clocks and "\\f" in from_clocks
    assert from_frame == from_clocks
    from_clocks, from_frame = both(path, config, BASE, csv_)
    assert '"Slow ""page""' in from_clocks and '"two\nlines"' in from_clocks
    assert from_frame == from_clocks


def test_an_offset_with_seconds_is_written_as_python_writes_it(tmp_path):
    """Kolkata's clocks were 5h21m10s ahead of UTC until 1906: Polars would print +05:21."""
    config = parse_config({"timezone": "Asia/Kolkata", "policies": [{"name": "all", "targets": {"resolution": "4h"}}]})
    path = tmp_path / "old.csv"
    path.write_text("id,created,resolved\nA-1,1901-01-01 10:00:00,1901-01-01 12:00:00\n", encoding="utf-8")
    from_clocks, from_frame = both(path, config, BASE)
    assert '"started_at": "1901-01-01T10:00:00+05:21:10"' in from_clocks
    assert from_frame == from_clocks
    from_clocks, from_frame = both(path, config, BASE, csv_)
    assert "1901-01-01T10:00:00+05:21:10" in from_clocks and from_frame == from_clocks
