"""Report statistics from the clock frame (`stats.summarize_table`) against those from `Clock`s
(`stats.summarize`): the same rows, groups, tallies and trend, for every kind of --by key and period."""

from __future__ import annotations

import random

import pytest
import yaml

from escalate_cli.config import parse_config
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from escalate_cli.stats import summarize, summarize_table
from tests.cli.test_columnar import BASE, CONFIGS, export


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize(
    "by", [[], ["priority"], ["labels"], ["team", "status"], ["id"], ["nowhere"], ["labels", "priority"]]
)
def test_statistics_from_the_frame_are_those_from_clocks(tmp_path, name, by):
    config = parse_config(yaml.safe_load(CONFIGS[name]))
    path = tmp_path / "issues.csv"
    path.write_text(export(random.Random(len(by) + len(name)), 900), encoding="utf-8")
    options = read_options(config, keep=frozenset(by))
    loaded = load_prepared([str(path)], config, BASE, options)
    clocks = evaluate_loaded(loaded).clocks
    table = evaluate_loaded(loaded, keep_clocks=False, as_table=True).table
    assert clocks and table is not None
    for period in ("week", "month", "day"):
        expected = summarize(clocks, by, period, config.timezone)
        assert len(expected.rows) > 1 and any(row.tally.elapsed for row in expected.rows)
        assert summarize_table(table, by, period, config.timezone) == expected
