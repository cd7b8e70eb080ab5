"""The scalar backtest, the oracle of `engine.backtest.replay`: replaying history as if escalate had run from
cron every `every` seconds between `start` and `end`.

Nothing is evaluated per step. Each issue's history gives versions (one per event, valid until the next); within a
version a clock changes state only at a threshold (warning, due, escalation step) or a stop, so it is evaluated at
those instants alone. A run at step s sees the last state at or before s; consecutive runs are compared as the
state file compares them (`changes.diff`). The state at `start` counts as already known: only what changed after it
is reported. Verdicts are the clocks' states at `end`; the attainment counts each clock whose state at `end`
is a stop after `start`, whether or not a run saw it running.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo

from escalate_cli.backtest import ClockKey, Outcome
from escalate_cli.changes import ChangeKind, Remembered, diff, remember
from escalate_cli.history import fold, looks_like_event_log, with_status
from escalate_cli.model import Clock, Issue, Policy, State, Statuses
from escalate_cli.sla import clock_for, clock_span, instant_reaching, match_policy, pauses_within, uncounted


def replay(
    groups: Mapping[str, Sequence[Issue]],
    policies: tuple[Policy, ...],
    statuses: Statuses,
    history: bool | None,
    start: int,
    end: int,
    every: int,
    tz: tzinfo,
    label: str = "",
    restart_on_reclassify: bool = False,
) -> Outcome:
    steps = list(range(start + every, end + 1, every))
    outcome = Outcome(label, len(steps))
    is_log = history if history is not None else looks_like_event_log(groups)

    def policy_of(issue: Issue) -> str | None:
        policy = match_policy(issue, policies)
        return policy.name if policy else None

    for rows in groups.values():
        versions = _versions(rows, is_log, statuses, end, policy_of)
        if not versions or versions[0][0] > end:
            continue
        outcome.issues += 1
        timelines: dict[ClockKey, list[tuple[int, Clock]]] = defaultdict(list)
        for i, (valid_from, issue) in enumerate(versions):
            valid_to = versions[i + 1][0] if i + 1 < len(versions) else end + 1
            lo, hi = max(valid_from, start), min(valid_to, end + 1)
            if lo >= hi:
                continue
            for key, moment, clock in _change_points(issue, policies, lo, hi, restart_on_reclassify):
                timelines[key].append((moment, clock))
        for key, points in timelines.items():
            _observe(key, points, steps, start, end, tz, outcome)
    return outcome


def _versions(
    rows: Sequence[Issue], is_log: bool, statuses: Statuses, end: int, policy_of: Callable[[Issue], str | None]
) -> list[tuple[int, Issue]]:
    if not is_log:
        latest = with_status(rows[-1] if len(rows) == 1 else max(rows, key=lambda r: r.updated or 0), statuses)
        return [(latest.created, latest)]
    times = sorted({r.updated if r.updated is not None else r.created for r in rows})
    versions = []
    for moment in times:
        if moment > end:
            break
        issue = fold(rows, moment, statuses, policy_of)
        if issue is not None:
            versions.append((max(moment, issue.created), issue))
    return versions


def _change_points(
    issue: Issue, policies: tuple[Policy, ...], lo: int, hi: int, restart: bool
) -> list[tuple[ClockKey, int, Clock]]:
    """The clock states of one version at `lo` and wherever they can change before `hi`."""
    policy = match_policy(issue, policies)
    if policy is None:
        return []
    points = []
    for metric, target in policy.targets.items():
        key = (issue.id, metric)
        at_lo = clock_for(issue, policy, metric, target, lo, str, restart)
        points.append((key, lo, at_lo))
        if not at_lo.state.is_running or at_lo.state is State.PAUSED:
            continue  # stopped, or frozen until the next version
        instants = {at_lo.due_at}
        pauses = pauses_within(uncounted(issue, policy, metric), at_lo.started_at, lo)
        reach = [t.elapsed_at(at_lo.target) for t in policy.warn] + [s.elapsed_at(at_lo.target) for s in policy.steps]
        for seconds in reach:
            instants.add(instant_reaching(policy, at_lo.started_at, seconds, pauses, lo))
        _, stop = clock_span(issue, metric)
        if stop is not None:
            instants.add(stop)
        for moment in sorted(m for m in instants if lo < m < hi):
            points.append((key, moment, clock_for(issue, policy, metric, target, moment, str, restart)))
    return points


def _observe(
    key: ClockKey,
    points: list[tuple[int, Clock]],
    steps: list[int],
    start: int,
    end: int,
    tz: tzinfo,
    outcome: Outcome,
) -> None:
    points.sort(key=lambda p: p[0])
    times = [moment for moment, _ in points]
    previous: dict[ClockKey, Remembered] = {}
    first = bisect.bisect_right(times, start) - 1
    if first >= 0:
        previous = {key: remember(points[first][1])}
    # The runs that can see something new: the first step at or after each change point.
    seen = sorted({bisect.bisect_left(steps, moment) for moment in times if moment > start})
    for index in seen:
        if index >= len(steps):
            break
        step = steps[index]
        clock = points[bisect.bisect_right(times, step) - 1][1]
        day = datetime.fromtimestamp(step, tz).strftime("%Y-%m-%d")
        for change in diff(previous, [clock]):
            outcome.per_day[day][change.kind.value] += 1
            if change.kind in (ChangeKind.NEW_BREACH, ChangeKind.LEVEL) and change.level:
                outcome.per_day[day][f"level {change.level}"] += 1
        previous = {key: remember(clock)}
    last = points[-1][1]
    outcome.verdicts[key] = last.state.value
    if not last.state.is_running and last.stopped_at is not None and start < last.stopped_at <= end:
        outcome.stopped[(last.policy, last.metric, last.state.value)] += 1  # stopped in the window, seen or not
