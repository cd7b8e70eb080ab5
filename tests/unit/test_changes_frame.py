"""The cron rules by columns (`changes.diff_frame`, `engine.actions.unannounced`) against the same rules over
`Clock`s (`changes.diff`, `changes.announcements`): the same changes in the same order, and the same
announcements, between random runs of random exports."""

from __future__ import annotations

import random

import polars as pl
import pytest
import yaml

from escalate_cli.changes import announcements, diff, diff_frame, remember, remembered_frame
from escalate_cli.config import parse_config
from escalate_cli.engine import cells
from escalate_cli.engine.actions import unannounced
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from tests.cli.test_columnar import BASE, CONFIGS, export

H = 3600


def runs(tmp_path, name, seed):
    config = parse_config(yaml.safe_load(CONFIGS[name]))
    path = tmp_path / "issues.csv"
    path.write_text(export(random.Random(seed), 700, titles=True), encoding="utf-8")
    options = read_options(config, keep=frozenset())

    def at(moment):
        loaded = load_prepared([str(path)], config, moment, options)
        return evaluate_loaded(loaded), evaluate_loaded(loaded, keep_clocks=False, as_table=True)

    return config, at


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [1, 2])
def test_changes_by_columns_are_the_changes_of_the_clocks(tmp_path, name, seed):
    config, at = runs(tmp_path, name, seed)
    rng = random.Random(seed)
    before_clocks, before_frame = at(BASE - rng.randrange(1, 30) * H)
    now_clocks, now_frame = at(BASE)
    previous = {(c.issue.id, c.metric): remember(c) for c in before_clocks.clocks}
    dropped = set(rng.sample(sorted(previous), len(previous) // 10))  # clocks the last run had and this one lacks
    now_kept = [c for c in now_clocks.clocks if (c.issue.id, c.metric) not in dropped]
    expected = diff(previous, now_kept)
    assert {c.kind.value for c in expected} >= {"new breach", "disappeared"}
    remembered = remembered_frame(cells.of_report(before_frame, config.timezone))
    now = cells.of_report(now_frame, config.timezone)
    keys = zip(now.get_column(cells.ISSUE).to_list(), now.get_column(cells.METRIC).to_list())
    now = now.filter(pl.Series([key not in dropped for key in keys]))
    assert diff_frame(remembered, now) == expected
    assert diff_frame(remembered.head(0), cells.of_report(now_frame, config.timezone)) == diff({}, now_clocks.clocks)


def test_the_clocks_left_to_announce_give_the_announcements_of_every_clock(tmp_path):
    _, at = runs(tmp_path, "berlin", 3)  # a ladder with a template per step
    clocks, frame = at(BASE)
    everything = announcements(clocks.clocks, set())
    assert len({a.key.rsplit("\x1f", 1)[1] for a in everything}) >= 2
    rng = random.Random(4)
    for announced in (set(), {a.key for a in everything}, {a.key for a in everything if rng.random() < 0.7}):
        table = frame.table
        assert table is not None
        chosen = announcements(table.clock_objects(unannounced(table, announced)), announced)
        assert [(a.key, a.message, a.notify) for a in chosen] == [
            (a.key, a.message, a.notify) for a in announcements(clocks.clocks, announced)
        ]
