"""`escalate calendar` output: the days of a range with their windows and holidays, then the lint (text or JSON)."""

from __future__ import annotations

import json

from escalate_cli.calendar_view import DayView
from escalate_cli.durations import format_clock, format_duration


def _windows(view: DayView) -> str:
    return ", ".join(f"{format_clock(s)}-{format_clock(e)}" for s, e in view.windows)


def render_text(name: str, zone: str, views: list[DayView], notes: list[str]) -> str:
    first, last = views[0].day, views[-1].day
    lines = [f"calendar {name} ({zone}), {first.isoformat()} .. {last.isoformat()}", ""]
    for view in views:
        hours = format_duration(view.open_seconds) if view.open_seconds else ""
        lines.append(f"{view.day:%a %Y-%m-%d}  {_windows(view) or '-':<28} {hours:<8} {view.note}".rstrip())
    total = sum(view.open_seconds for view in views)
    lines += ["", f"open {total / 3600:g}h in {len(views)} days"]
    lines += ["", "lint:", *(f"  - {note}" for note in notes)] if notes else ["", "lint: nothing to report"]
    return "\n".join(lines) + "\n"


def render_json(name: str, zone: str, views: list[DayView], notes: list[str]) -> str:
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
        "lint": notes,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
