"""`escalate backtest` output: per-day counts of what the runs would have announced, totals, attainment of the
clocks that stopped in the window, and the clocks whose verdict changes against the baseline (text or JSON)."""

from __future__ import annotations

import json
from collections import Counter

from escalate_cli.backtest import ClockKey, Outcome

MAX_CHANGED = 50


def _columns(*outcomes: Outcome | None) -> list[str]:
    kinds = {kind for outcome in outcomes if outcome for counts in outcome.per_day.values() for kind in counts}
    fixed = ["new warning", "new breach", "new level", "recovered", "stopped", "disappeared"]
    return [k for k in fixed if k in kinds] + sorted(k for k in kinds if k.startswith("level "))


def _attainment(outcome: Outcome) -> list[tuple[str, str, int, int]]:
    pairs = sorted({(p, m) for p, m, _ in outcome.stopped})
    return [
        (p, m, outcome.stopped[(p, m, "met")], outcome.stopped[(p, m, "met")] + outcome.stopped[(p, m, "missed")])
        for p, m in pairs
    ]


def render_text(
    outcome: Outcome,
    header: str,
    changed: list[tuple[ClockKey, str | None, str | None]] | None,
    baseline: Outcome | None,
) -> str:
    columns = _columns(outcome, baseline)
    lines = [header, f"{outcome.issues} issues, {outcome.steps} runs", ""]
    width = max([len(c) for c in columns] + [5])
    lines.append("day         " + "".join(c.rjust(width + 2) for c in columns))
    for day in sorted(outcome.per_day):
        lines.append(f"{day}  " + "".join(str(outcome.per_day[day][c]).rjust(width + 2) for c in columns))
    totals = outcome.totals()
    lines.append("total       " + "".join(str(totals[c]).rjust(width + 2) for c in columns))
    lines += ["", "attainment of the clocks that stopped in the window:"]
    earlier = {(p, m): (met, total) for p, m, met, total in _attainment(baseline)} if baseline is not None else {}
    for policy, metric, met, total in _attainment(outcome):
        line = f"  {policy} / {metric}: {met / total * 100:.1f}% ({met} of {total})"
        if baseline is not None:
            base_met, base_total = earlier.pop((policy, metric), (0, 0))
            line += f"; baseline {_share(base_met, base_total)}"
        lines.append(line)
    for (policy, metric), (base_met, base_total) in sorted(earlier.items()):  # under the baseline only
        lines.append(f"  {policy} / {metric}: no such clock; baseline {_share(base_met, base_total)}")
    if baseline is not None and changed is not None:
        base = baseline.totals()
        ends = "1 clock ends" if len(changed) == 1 else f"{len(changed)} clocks end"
        lines += ["", f"against the baseline {baseline.policies_label}: {ends} differently"]
        lines += [f"  {c}: {base[c]} -> {totals[c]}" for c in columns if base[c] != totals[c]]
        for (issue, metric), before, after in changed[:MAX_CHANGED]:
            lines.append(f"  {issue} {metric}: {before or '(no clock)'} -> {after or '(no clock)'}")
        if len(changed) > MAX_CHANGED:
            lines.append(f"  ... and {len(changed) - MAX_CHANGED} more (all of them are in --format json)")
    return "\n".join(lines) + "\n"


def _share(met: int, total: int) -> str:
    return f"{met / total * 100:.1f}% ({met} of {total})" if total else "none stopped"


def render_json(
    outcome: Outcome,
    header: str,
    changed: list[tuple[ClockKey, str | None, str | None]] | None,
    baseline: Outcome | None,
) -> str:
    columns = _columns(outcome, baseline)

    def ordered(counts: Counter[str]) -> dict[str, int]:
        return {kind: counts[kind] for kind in columns if kind in counts}

    document: dict[str, object] = {
        "schema_version": 1,
        "window": header,
        "issues": outcome.issues,
        "runs": outcome.steps,
        "per_day": {day: ordered(counts) for day, counts in sorted(outcome.per_day.items())},
        "totals": ordered(outcome.totals()),
        "attainment": [
            {"policy": p, "metric": m, "met": met, "stopped": total} for p, m, met, total in _attainment(outcome)
        ],
    }
    if baseline is not None and changed is not None:
        document["baseline_totals"] = ordered(baseline.totals())
        document["baseline_attainment"] = [
            {"policy": p, "metric": m, "met": met, "stopped": total} for p, m, met, total in _attainment(baseline)
        ]
        document["changed"] = [{"issue": i, "metric": m, "baseline": b, "candidate": c} for (i, m), b, c in changed]
    return json.dumps(document, indent=2) + "\n"
