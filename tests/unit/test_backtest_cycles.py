"""`backtest` of defined clocks (#19) against the brute force it stands for: `check` run at every step of the
window over the same history and messages, each cycle a clock of its own, consecutive runs compared as the
state file compares them."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.backtest import Outcome
from escalate_cli.changes import ChangeKind, diff, remember
from escalate_cli.engine.backtest import replay
from escalate_cli.engine.evaluate import evaluate
from escalate_cli.engine.fold import at_instant
from escalate_cli.model import Clock
from escalate_cli.pipeline import clock_reading, load
from tests.unit.test_cycles import CONFIG, T0, _files, messages, rows_of_fields

H = 3600
WITH_BUILT_IN = CONFIG.replace("taken: 4h}", "taken: 4h, resolution: 6h}\n    warn: 75%")


def _as_cycles(clocks: list[Clock]) -> list[Clock]:
    """Each cycle after the first as a clock of its own name, as the backtest keys its verdicts."""
    return [c if (c.cycle or 1) == 1 else replace(c, metric=f"{c.metric} cycle {c.cycle}") for c in clocks]


def brute_force(loaded, start: int, end: int, every: int) -> tuple[Counter[str], dict, Counter]:
    config = loaded.config
    clocks, said = clock_reading(config)

    def run_at(moment: int) -> list[Clock]:
        frame, _ = at_instant(
            loaded.rows, moment, config.statuses, config.history, config.policies, clocks=clocks, messages=said
        )
        return _as_cycles(evaluate(frame, config.policies, moment, str, every_cycle=True).clocks)

    counts: Counter[str] = Counter()
    previous = {(c.issue.id, c.metric): remember(c) for c in run_at(start)}
    now: list[Clock] = []
    for step in range(start + every, end + 1, every):
        now = run_at(step)
        for change in diff(previous, now):
            counts[change.kind.value] += 1
            if change.kind in (ChangeKind.NEW_BREACH, ChangeKind.LEVEL) and change.level:
                counts[f"level {change.level}"] += 1
        previous = {(c.issue.id, c.metric): remember(c) for c in now}
    stopped: Counter[tuple[str, str, str]] = Counter(
        (c.policy, c.metric.split(" cycle ")[0], c.state.value)
        for c in now
        if not c.state.is_running and c.stopped_at is not None and start < c.stopped_at <= end
    )
    return counts, {key: r.state for key, r in previous.items()}, stopped


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(rows_of_fields, messages), min_size=1, max_size=5),
    st.integers(-8, 3 * 24),
    st.sampled_from([2 * H, 3 * H, 4 * H]),
)
def test_the_backtest_of_defined_clocks_reports_what_check_at_every_run_would(tmp_path, histories, begin, every):
    exports = _files(tmp_path, histories)
    (tmp_path / "c.yaml").write_text(WITH_BUILT_IN, encoding="utf-8")
    loaded = load(exports, tmp_path / "c.yaml", as_of=None, fold=False)
    config = loaded.config
    start = T0 + begin * H
    end = start + (48 * H // every) * every
    outcome: Outcome = replay(
        loaded.rows,
        config.policies,
        config.statuses,
        config.history,
        start,
        end,
        every,
        timezone.utc,
        messages=clock_reading(config)[1],
    )
    counts, final, stopped = brute_force(loaded, start, end, every)
    assert outcome.totals() == counts
    assert outcome.stopped == stopped
    assert outcome.verdicts == final
    assert counts or final  # something to compare: every history has clocks
