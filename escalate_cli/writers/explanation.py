"""`escalate explain` output: a readable account of one issue (text), or the same as JSON."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo

from escalate_cli.durations import format_duration
from escalate_cli.explain import ClockStory, Explanation, Span
from escalate_cli.model import State
from escalate_cli.writers import iso

MAX_SPANS = 24  # in text; the JSON has them all


def render_text(story: Explanation, *, tz: tzinfo) -> str:
    issue = story.issue
    title = issue.fields.get("title", "")
    lines = [
        f"{issue.id}" + (f" — {title}" if title else "") + f"  ({issue.where})",
        f"as of {_when(story.as_of, tz)}",
        "",
    ]
    for check in story.checks:
        if check.matched:
            lines.append(f"policy {check.policy}: matches")
        else:
            actual = ", ".join(repr(a) for a in check.actual) or "nothing"
            lines.append(f"policy {check.policy}: no — {check.key} is {actual}, not one of {', '.join(check.expected)}")
    if story.policy is None:
        lines.append("no policy matches: the issue has no SLA clocks")
    if issue.policy_changed_at is not None:
        lines.append(f"moved here from policy {issue.previous_policy} at {_when(issue.policy_changed_at, tz)}")
    for clock_story in story.clocks:
        lines += ["", *_clock(clock_story, tz)]
    for metric in story.not_measured:
        lines += [
            "",
            f"{metric}: not measured: the export has no first-reply column (map one: fields: "
            "{first_response: COLUMN})",
        ]
    if story.figures:
        lines += ["", "the export's own figures (its tool's schedule, not this calendar):"]
        for figure in story.figures:
            placed = f" (at {_when(figure.at, tz)})" if figure.at is not None else ""
            lines.append(f"  {figure.name}: {figure.minutes:,} {figure.unit}{placed}")
    return "\n".join(lines) + "\n"


def _clock(story: ClockStory, tz: tzinfo) -> list[str]:
    clock = story.clock
    name = clock.metric + (f" cycle {clock.cycle}" if story.defined else "")
    if clock.started_at is None:
        return [f"{clock.metric}: {story.started_by}"]
    state = clock.state.value + (f", {clock.level}" if clock.level else "")
    if clock.state.is_running:
        left = (
            f"{format_duration(-clock.remaining)} overdue"
            if clock.remaining < 0 or clock.state is State.BREACHED
            else f"{format_duration(clock.remaining)} left"
        )
    else:
        left = f"used {format_duration(clock.elapsed)} of {format_duration(clock.target)}"
    lines = [
        f"{name}: {state} — {left} (calendar {clock.calendar})",
        f"  started  {_when(clock.started_at, tz)}  ({story.started_by})",
    ]
    if clock.stopped_at is not None:
        lines.append(
            f"  stopped  {_when(clock.stopped_at, tz)}" + (f"  ({story.stopped_by})" if story.stopped_by else "")
        )
    spans = list(story.spans)
    half = MAX_SPANS // 2
    shown = spans if len(spans) <= MAX_SPANS else [*spans[:half], None, *spans[-half:]]
    for span in shown:
        lines.append(f"    ... {len(spans) - MAX_SPANS} more spans ..." if span is None else _span(span, tz))
    paused = f", {format_duration(clock.paused_seconds)} paused" if clock.paused_seconds else ""
    lines.append(f"  counted  {format_duration(clock.elapsed)} of business time{paused}")
    for mark in story.marks:
        status = "reached" if mark.reached else "not yet" if clock.state.is_running else "not reached"
        notify = f"  notify {', '.join(mark.notify)}" if mark.notify else ""
        lines.append(f"  {mark.label:<24} {_when(mark.instant, tz)}  {status}{notify}")
    for action in clock.actions:
        lines.append(f"  action   {action.message}")
    return lines


def _span(span: Span, tz: tzinfo) -> str:
    amount = format_duration(span.seconds) if span.kind != "closed" else ""
    said = span.reason and (span.kind != "paused" or span.reason != "paused status")  # a pause says what else it is
    reason = f"  {span.reason}" if said else ""
    return f"    {span.kind:<8} {_when(span.start, tz)} → {_when(span.end, tz)}  {amount}{reason}".rstrip()


def _when(moment: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(moment, tz).strftime("%a %Y-%m-%d %H:%M")


def render_json(story: Explanation, *, tz: tzinfo) -> str:
    issue = story.issue
    document: dict[str, object] = {
        "schema_version": 1,
        "as_of": iso(story.as_of, tz),
        "issue": issue.id,
        "where": issue.where,
        "fields": dict(issue.fields),
        "policy": story.policy,
        "policy_changed_at": iso(issue.policy_changed_at, tz),
        "checks": [
            {
                "policy": c.policy,
                "matched": c.matched,
                "key": c.key,
                "actual": list(c.actual),
                "expected": list(c.expected),
            }
            for c in story.checks
        ],
        "clocks": [_clock_json(s, tz) for s in story.clocks],
        "not_measured": list(story.not_measured),
    }
    if story.figures:  # only where the export has the tool's own figures
        document["figures"] = [
            {"name": f.name, "minutes": f.minutes, "unit": f.unit, "at": iso(f.at, tz)} for f in story.figures
        ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _clock_json(story: ClockStory, tz: tzinfo) -> dict[str, object]:
    clock = story.clock
    return {
        "metric": clock.metric,
        **({"cycle": clock.cycle} if story.defined else {}),
        "state": clock.state.value,
        "level": clock.level,
        "calendar": clock.calendar,
        "started_at": iso(clock.started_at, tz),
        "started_by": story.started_by,
        "stopped_at": iso(clock.stopped_at, tz),
        **({"stopped_by": story.stopped_by or None} if story.defined else {}),
        "due_at": iso(clock.due_at, tz),
        "elapsed_seconds": clock.elapsed,
        "target_seconds": clock.target,
        "remaining_seconds": clock.remaining,
        "paused_seconds": clock.paused_seconds,
        "spans": [
            {"kind": s.kind, "start": iso(s.start, tz), "end": iso(s.end, tz), "seconds": s.seconds, "reason": s.reason}
            for s in story.spans
        ],
        "thresholds": [
            {
                "label": m.label,
                "kind": m.kind,
                "elapsed_seconds": m.elapsed_at,
                "at": iso(m.instant, tz),
                "reached": m.reached,
                "level": m.level,
                "notify": list(m.notify),
            }
            for m in story.marks
        ],
        "actions": [{"level": a.level, "notify": list(a.notify), "message": a.message} for a in clock.actions],
    }
