"""The weekly review by columns (`engine.review`) against the same figures counted from `Clock`s, one at a time:
levels reached per period, the backlog by business time left, the clocks about to breach, the breakdowns and
the distribution of time to resolution. Each is a number the HTML page draws."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
import yaml

from escalate_cli.config import parse_config
from escalate_cli.engine.review import review
from escalate_cli.model import State
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from escalate_cli.stats import AT_RISK_SHOWN, AT_RISK_WITHIN, BACKLOG_BUCKETS, SHARE_BUCKETS, period_of, summarize
from tests.cli.test_columnar import BASE, CONFIGS, export

RUNNING = (State.OK, State.WARNING, State.PAUSED, State.BREACHED)


def _loaded(tmp_path, name: str, by: list[str], seed: int):
    config = parse_config(yaml.safe_load(CONFIGS[name]))
    path = tmp_path / "issues.csv"
    path.write_text(export(random.Random(seed), 900), encoding="utf-8")
    loaded = load_prepared([str(path)], config, BASE, read_options(config, keep=frozenset(by)))
    return config, loaded


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("period", ["week", "day"])
def test_the_review_by_columns_counts_what_the_clocks_say(tmp_path, name, period):
    by = ["team"]
    config, loaded = _loaded(tmp_path, name, by, seed=len(name) + len(period))
    clocks = evaluate_loaded(loaded).clocks
    table = evaluate_loaded(loaded, keep_clocks=False, as_table=True).table
    assert clocks and table is not None
    tz = config.timezone
    got = review(table, by, period, tz, BASE)
    policies = {p.name: p for p in config.policies}

    # levels: a clock counts at a level when its business time reached that level's first step
    levels: dict[tuple[str, str], dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for clock in clocks:
        first = {}
        for step in policies[clock.policy].steps:
            first.setdefault(step.level, step)
        for level, step in first.items():
            moment = period_of(clock.started_at, period, tz)
            levels[(clock.policy, clock.metric)][moment][level] += clock.elapsed >= step.elapsed_at(clock.target)
    expected_levels = {key: {m: dict(c) for m, c in per.items()} for key, per in levels.items()}
    assert got.levels == expected_levels
    assert any(n for per in got.levels.values() for counts in per.values() for n in counts.values()) or not any(
        p.steps for p in config.policies
    )
    for clock in clocks:  # where a running clock has announced its steps, the review agrees with them
        if clock.state.is_running and clock.reached:
            moment = period_of(clock.started_at, period, tz)
            assert all(got.levels[(clock.policy, clock.metric)][moment][a.level] for a in clock.reached)

    running = [c for c in clocks if c.state in RUNNING]
    expected_backlog = []
    lower = None
    for label, upper in BACKLOG_BUCKETS:
        inside = [
            c for c in running if (lower is None or c.remaining > lower) and (upper is None or c.remaining <= upper)
        ]
        expected_backlog.append((label, upper, dict(sorted(Counter(c.policy for c in inside).items()))))
        lower = upper
    assert got.backlog == expected_backlog
    assert sum(sum(counts.values()) for _, _, counts in got.backlog) == len(running)

    soon = sorted(
        (c for c in running if c.state is not State.PAUSED and 0 < c.remaining <= AT_RISK_WITHIN),
        key=lambda c: (c.remaining, c.due_at),
    )
    assert got.at_risk_total == len(soon)
    assert [(r.id, r.metric, r.remaining) for r in got.at_risk] == [
        (c.issue.id, c.metric, c.remaining) for c in soon[:AT_RISK_SHOWN]
    ] or _ties_only(got.at_risk, soon)

    resolved = [c for c in clocks if c.metric == "resolution" and c.state in (State.MET, State.MISSED)]
    expected_distribution = []
    for label, low, high in SHARE_BUCKETS:
        inside = [c for c in resolved if c.elapsed / c.target >= low and (high is None or c.elapsed / c.target < high)]
        expected_distribution.append((label, low, high, dict(sorted(Counter(c.policy for c in inside).items()))))
    assert got.distribution == expected_distribution

    assert [b.field for b in got.breakdowns] == ["priority", "team"]
    for breakdown in got.breakdowns:
        stats = summarize(clocks, [breakdown.field], period, tz)
        rows: dict[tuple[str, str], list] = defaultdict(list)
        for row in stats.rows:
            rows[(row.metric, row.group[0])].append(row.tally)
        assert [(m, v) for m, v, _ in breakdown.rows] == sorted(rows)
        for metric, value, tally in breakdown.rows:
            assert tally.clocks == sum(t.clocks for t in rows[(metric, value)])
            assert tally.met == sum(t.met for t in rows[(metric, value)])
            assert sorted(tally.elapsed) == sorted(e for t in rows[(metric, value)] for e in t.elapsed)

    totals = summarize(clocks, [], period, tz)
    assert [(p, m, t) for p, m, t in got.totals] == [(r.policy, r.metric, r.tally) for r in totals.rows]


def _ties_only(got, soon) -> bool:
    """The same clocks in the same order of time left (clocks with equal time left and due may come in any order)."""
    return [r.remaining for r in got] == [c.remaining for c in soon[:AT_RISK_SHOWN]] and len(got) == min(
        len(soon), AT_RISK_SHOWN
    )
