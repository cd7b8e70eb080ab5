"""`escalate calendar` output: the days of a range with their windows and holidays, the clocks that count on the
calendar, then the lint (text or JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from escalate_cli.calendar_view import DayView
from escalate_cli.durations import format_clock, format_duration
from escalate_cli.model import Policy, Target, format_target


def _windows(view: DayView) -> str:
    return ", ".join(f"{format_clock(s)}-{format_clock(e)}" for s, e in view.windows)


class CalendarClock(NamedTuple):
    """A clock some policy counts on the calendar."""

    policy: str
    clock: str
    target: Target
    defined: bool  # of `clocks:`
    starts_after_seconds: int

    def __str__(self) -> str:
        text = f"{self.clock} {format_target(self.target)}"
        if not self.defined:
            return text
        after = self.starts_after_seconds
        return text + (
            f" (of clocks:, starting {format_duration(after)} after its trigger)" if after else " (of clocks:)"
        )


def _clocks(name: str, policies: Sequence[Policy]) -> list[CalendarClock]:
    """The clocks of the policies on the calendar `name`, in the order of the policies and their targets."""
    return [
        CalendarClock(policy.name, clock, target, clock in policy.clocks, policy.clock(clock).starts_after)
        for policy in policies
        if policy.calendar_name == name
        for clock, target in policy.targets.items()
    ]


def render_text(name: str, zone: str, views: list[DayView], notes: list[str], policies: Sequence[Policy] = ()) -> str:
    first, last = views[0].day, views[-1].day
    lines = [f"calendar {name} ({zone}), {first.isoformat()} .. {last.isoformat()}", ""]
    for view in views:
        hours = format_duration(view.open_seconds) if view.open_seconds else ""
        lines.append(f"{view.day:%a %Y-%m-%d}  {_windows(view) or '-':<28} {hours:<8} {view.note}".rstrip())
    total = sum(view.open_seconds for view in views)
    lines += ["", f"open {total / 3600:g}h in {len(views)} days"]
    clocks = _clocks(name, policies)
    if clocks:
        lines += ["", "clocks counted on it:"]
        for policy in dict.fromkeys(c.policy for c in clocks):
            lines.append(f"  {policy}: {', '.join(str(c) for c in clocks if c.policy == policy)}")
    lines += ["", "lint:", *(f"  - {note}" for note in notes)] if notes else ["", "lint: nothing to report"]
    return "\n".join(lines) + "\n"


def render_json(name: str, zone: str, views: list[DayView], notes: list[str], policies: Sequence[Policy] = ()) -> str:
    document = {
        "calendar": name,
        "timezone": zone,
        "days": [
            {
                "date": v.day.isoformat(),
                "windows": _windows(v).split(", ") if v.windows else [],
                "open_seconds": v.open_seconds,
                "note": v.note,
            }
            for v in views
        ],
        "clocks": [clock._asdict() for clock in _clocks(name, policies)],
        "lint": notes,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
