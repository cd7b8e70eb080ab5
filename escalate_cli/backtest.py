"""What a backtest finds, and how two configs' findings differ. The replay itself is `engine.backtest.replay`;
tests hold it to the scalar replay in `tests/reference_backtest.py`."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

ClockKey = tuple[str, str]


@dataclass
class Outcome:
    policies_label: str
    steps: int
    issues: int = 0
    per_day: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    verdicts: dict[ClockKey, str] = field(default_factory=dict)  # state at the end of the window
    stopped: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (policy, metric, met|missed)

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.per_day.values():
            total.update(counts)
        return total


def combined(outcomes: list[Outcome]) -> Outcome:
    """The outcomes of one replay's parts (one per source, each with its own status words) as one."""
    out = Outcome(outcomes[0].policies_label, outcomes[0].steps)
    for part in outcomes:
        out.issues += part.issues
        for day, counts in part.per_day.items():
            out.per_day[day].update(counts)
        out.verdicts.update(part.verdicts)
        out.stopped.update(part.stopped)
    return out


def compare(candidate: Outcome, baseline: Outcome) -> list[tuple[ClockKey, str | None, str | None]]:
    """Clocks whose verdict at the end of the window differs (None: the clock exists under one config only)."""
    keys = sorted(set(candidate.verdicts) | set(baseline.verdicts))
    return [
        (k, baseline.verdicts.get(k), candidate.verdicts.get(k))
        for k in keys
        if baseline.verdicts.get(k) != candidate.verdicts.get(k)
    ]
