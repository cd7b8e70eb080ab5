"""`escalate init`: a commented starter config written from the user's own exports.

    recognise the source  ->  read with it  ->  business time to first response and resolution per priority
    ->  targets from the history (p80, rounded up)  ->  YAML text with what each target would have met

Nothing here is a rule of the clock: it measures with the same engine as `check`, on a calendar of office hours
(09:00-17:00, Monday to Friday, in the zone given) with targets no clock reaches, and reads the stopped clocks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from escalate_cli.durations import format_duration
from escalate_cli.errors import InputError

# Targets a person would write, in business time
_STEPS = [m * 60 for m in (15, 30, 45)] + [h * 3600 for h in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 40, 60, 80, 120, 160)]
_FEW = 5  # fewer stopped clocks than this say too little about a priority: the overall figures are proposed
_MOST_PRIORITIES = 8
_NEVER = "100000h"  # a target no clock reaches while the history is measured


@dataclass(frozen=True)
class Proposal:
    """One proposed target and what the history says about it."""

    seconds: int
    median: int
    p80: int
    samples: int
    met: int  # stopped clocks the target would have met


def propose(seconds: list[int]) -> Proposal | None:
    """The p80 rounded up to a duration a person would write, or None without history."""
    if not seconds:
        return None
    ordered = sorted(seconds)

    def rank(share: float) -> int:
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]  # nearest rank

    p80 = rank(0.8)
    target = next((step for step in _STEPS if step >= p80), _STEPS[-1] * math.ceil(p80 / _STEPS[-1]))
    return Proposal(target, rank(0.5), p80, len(ordered), sum(1 for s in ordered if s <= target))


def starter_config(exports: Sequence[str], source: str | None, timezone: str, country: str | None) -> str:
    """The text of a starter config for these exports."""
    import polars as pl

    from escalate_cli.config import parse_config
    from escalate_cli.engine import clocks as C
    from escalate_cli.engine import schema as S
    from escalate_cli.engine.evaluate import evaluate
    from escalate_cli.pipeline import load_prepared, read_options
    from escalate_cli.readers.sniff import detect

    sources = [source] * len(exports) if source else [detect(e) if e != "-" else "generic" for e in exports]
    chosen = sources[0] if len(set(sources)) == 1 else None  # else each export's is detected again by check
    calendar: dict[str, object] = {"timezone": timezone, "hours": {"mon-fri": ["09:00-17:00"]}}
    if country:
        calendar["holidays"] = {"country": country}
    targets = {"first_response": _NEVER, "resolution": _NEVER}
    policy = {"name": "all", "calendar": "office", "targets": targets}
    spec = {"timezone": timezone, "calendars": {"office": calendar}, "policies": [policy]}
    config = parse_config({"source": chosen, **spec} if chosen else spec)
    loaded = load_prepared(list(exports), config, _now(), read_options(config), sources=sources)
    if not loaded.frame.frame.height:
        raise InputError(f"{exports[0]}: no issue could be read to propose targets from")
    report = evaluate(loaded.frame, config.policies, _now(), str, keep_clocks=False, as_table=True)
    assert report.table is not None
    issues = report.table.issues.frame.select(C.ROW, "priority", S.FIRST_RESPONSE)
    clocks = report.table.clocks.filter(pl.col(C.STOPPED).is_not_null()).join(issues, on=C.ROW)
    replied = clocks.filter((pl.col(C.METRIC) != "first_response") | pl.col(S.FIRST_RESPONSE).is_not_null())
    counts = issues.group_by("priority").len().sort(["len", "priority"], descending=[True, False])
    priorities = [p for p in counts.get_column("priority").to_list() if p][:_MOST_PRIORITIES]

    def measured(metric: str, priority: str | None) -> list[int]:
        rows = replied.filter(pl.col(C.METRIC) == metric)
        if priority is not None:
            rows = rows.filter(pl.col("priority") == priority)
        return rows.get_column(C.ELAPSED).to_list()

    has_replies = bool(measured("first_response", None))
    lines = _head(exports, sources, timezone, country, loaded.frame.frame.height, has_replies)
    for priority in [*priorities, None]:
        lines += _policy(priority, measured, has_replies, bool(priorities))
    return "\n".join(lines) + "\n"


def _now() -> int:
    import time

    return int(time.time())


def _head(
    exports: Sequence[str], sources: Sequence[str], timezone: str, country: str | None, issues: int, has_replies: bool
) -> list[str]:
    if len(set(sources)) == 1:
        source = [f"source: {sources[0]}"]
    else:  # several tools: no source: key, so that each export's is recognised from its columns
        source = ["# source: recognised per export from its columns:"]
        source += [f"#   {export}: {name}" for export, name in zip(exports, sources)]
    lines = [
        f"# A starter config written by `escalate init` from {', '.join(exports)} ({issues} issues).",
        "# Check it, then: escalate check EXPORT (this file is found as ./escalate.yaml).",
        *source,
        f"timezone: {json.dumps(timezone)}          # of timestamps without an offset, and of the output",
        "",
        "calendars:",
        "  office:                        # business hours the targets count in",
        f"    timezone: {json.dumps(timezone)}",
        '    hours: {mon-fri: ["09:00-17:00"]}',
    ]
    if country:
        lines.append(f"    holidays: {{country: {json.dumps(country)}}}")
    else:
        lines.append("    # holidays: {country: DE}      # public holidays from the holidays package (--country)")
    lines += ["", "# Targets are the business time 80% of the history's clocks stopped within, rounded up."]
    if not has_replies:
        lines.append(
            "# This export has no first-reply times, so first_response is left out: map a column with"
            " fields: {first_response: COLUMN}."
        )
    return [*lines, "policies:"]


def _policy(
    priority: str | None, measured: Callable[[str, str | None], list[int]], has_replies: bool, several: bool
) -> list[str]:
    name = "other" if priority is None and several else (priority or "all")
    lines = [f"  - name: {json.dumps(_name(name))}"]
    if priority is not None:
        lines.append(f"    match: {{priority: {json.dumps(priority)}}}")
    lines.append("    calendar: office")
    metrics = ["first_response", "resolution"] if has_replies else ["resolution"]
    targets, notes = [], []
    for metric in metrics:
        found = propose(measured(metric, priority))
        overall = priority is not None and (found is None or found.samples < _FEW)
        if overall:
            found = propose(measured(metric, None))
        if found is None:
            targets.append(f"{metric}: 8h")
            notes.append(f"    # {metric}: no stopped clock to learn from; 8h is a guess")
            continue
        targets.append(f"{metric}: {_duration(found.seconds)}")
        share = found.met / found.samples * 100
        scope = f"all {found.samples} stopped" if priority is None else f"{found.samples} stopped"
        if overall:
            scope = f"all priorities' {found.samples} stopped (few of this one)"
        notes.append(
            f"    # {metric}: median {format_duration(found.median)}, p80 {format_duration(found.p80)} over {scope};"
            f" {_duration(found.seconds)} would have met {share:.0f}%"
        )
    lines += notes
    lines.append(f"    targets: {{{', '.join(targets)}}}")
    lines.append('    warn: ["75%"]')
    lines.append('    goal: "80%"                     # the share meant to be met: the targets are the history\'s p80')
    return lines


def _name(text: str) -> str:
    return " ".join(text.split()) or "unnamed"


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if not rest:
        return f"{hours}h"
    return f"{hours}h{rest // 60}m" if hours else f"{rest // 60}m"
