"""`escalate report` output: a terminal table with trend bars, JSON (`document`, which the HTML page of
`writers.report_html` is drawn from), CSV and markdown. Business times are shown as durations, attainment as a
percentage.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import tzinfo

from escalate_cli.durations import format_duration
from escalate_cli.stats import AT_RISK_WITHIN, Review, Stats, Tally

BAR = 30


def percent(value: float | None) -> str:
    """A share as the report writes it: `95.0%`, or `-` when there is none."""
    return "-" if value is None else f"{value * 100:.1f}%"


def _dur(value: int | None) -> str:
    return "-" if value is None else format_duration(value)


def _columns(stats: Stats) -> list[str]:
    return [
        "policy",
        "metric",
        *stats.by,
        "clocks",
        "met",
        "missed",
        "breached",
        "running",
        "attainment",
        "median",
        "p90",
    ]


def _cells(stats: Stats) -> list[list[str]]:
    return [
        [
            row.policy,
            row.metric,
            *row.group,
            str(row.tally.clocks),
            str(row.tally.met),
            str(row.tally.missed),
            str(row.tally.breached),
            str(row.tally.running),
            percent(row.tally.attainment),
            _dur(row.tally.percentile(0.5)),
            _dur(row.tally.percentile(0.9)),
        ]
        for row in stats.rows
    ]


def _bar(tally: Tally) -> str:
    share = tally.attainment
    if share is None:
        return "·" * BAR
    filled = round(share * BAR)
    return "█" * filled + "░" * (BAR - filled)


def render_table(stats: Stats) -> str:
    columns, rows = _columns(stats), _cells(stats)
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    for (policy, metric), periods in stats.trend.items():
        lines += ["", f"{policy} / {metric}: attainment per {stats.period}"]
        for label, tally in periods:
            lines.append(
                f"  {label:<10} {_bar(tally)} {percent(tally.attainment):>6}  "
                f"({tally.met} met of {tally.met + tally.breaches}, {tally.running} running"
                + (", so far)" if label == stats.partial else ")")
            )
    if not stats.rows:
        lines = ["no clocks: nothing matched a policy"]
    return "\n".join(lines) + "\n"


def _tally(t: Tally) -> dict[str, object]:
    return {
        "clocks": t.clocks,
        "met": t.met,
        "missed": t.missed,
        "breached": t.breached,
        "running": t.running,
        "attainment": t.attainment,
        "median_seconds": t.percentile(0.5),
        "p90_seconds": t.percentile(0.9),
    }


def document(stats: Stats, tz: tzinfo | None = None) -> dict[str, object]:
    """`report -f json` as a value: what the HTML page is drawn from, so every number on it is in the JSON."""
    review = stats.review

    def period(policy: str, metric: str, label: str, t: Tally) -> dict[str, object]:
        entry: dict[str, object] = {"period": label, **_tally(t)}
        if review is not None:
            entry["partial"] = label == stats.partial
            levels = review.levels.get((policy, metric))
            if levels is not None:
                entry["levels"] = levels.get(label, {})
        return entry

    def trend(p: str, m: str, periods: list[tuple[str, Tally]]) -> dict[str, object]:
        entry: dict[str, object] = {"policy": p, "metric": m}
        if review is not None:
            entry["goal"] = review.goals.get(p)
        entry["periods"] = [period(p, m, label, t) for label, t in periods]
        return entry

    out: dict[str, object] = {
        "schema_version": 1,
        "by": list(stats.by),
        "period": stats.period,
        "rows": [
            {"policy": r.policy, "metric": r.metric, "group": dict(zip(stats.by, r.group)), **_tally(r.tally)}
            for r in stats.rows
        ],
        "trend": [trend(p, m, periods) for (p, m), periods in stats.trend.items()],
    }
    if review is not None:
        out.update(_review(review, stats.partial, tz))
    return out


def _review(review: Review, partial: str, tz: tzinfo | None) -> dict[str, object]:
    from escalate_cli.writers import iso

    return {
        "as_of": iso(review.as_of, tz) if tz is not None else review.as_of,
        "partial_period": partial,
        "totals": [{"policy": p, "metric": m, **_tally(t)} for p, m, t in review.totals],
        "backlog": {
            "buckets": [
                {"bucket": label, "up_to_seconds": upper, "clocks": sum(counts.values()), "by_policy": counts}
                for label, upper, counts in review.backlog
            ],
            "due_within_seconds": AT_RISK_WITHIN,
            "due_within_clocks": review.at_risk_total,
            "next": [
                {
                    "id": r.id,
                    "title": r.title,
                    "policy": r.policy,
                    "metric": r.metric,
                    "state": r.state,
                    "remaining_seconds": r.remaining,
                    "due_at": iso(r.due_at, tz) if tz is not None else r.due_at,
                }
                for r in review.at_risk
            ],
        },
        "breakdowns": [
            {
                "field": b.field,
                "rows": [{"metric": m, "value": v, **_tally(t)} for m, v, t in b.rows],
                "trend": [
                    {
                        "metric": m,
                        "value": v,
                        "periods": [
                            {"period": label, "partial": label == partial, **_tally(t)} for label, t in periods
                        ],
                    }
                    for (m, v), periods in b.trend.items()
                ],
            }
            for b in review.breakdowns
        ],
        "resolution_distribution": [
            {
                "bucket": label,
                "from_share": lower,
                "to_share": upper,
                "clocks": sum(counts.values()),
                "by_policy": counts,
            }
            for label, lower, upper, counts in review.distribution
        ],
    }


def render_json(stats: Stats, tz: tzinfo | None = None) -> str:
    return json.dumps(document(stats, tz), indent=2, ensure_ascii=False) + "\n"


def render_csv(stats: Stats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_columns(stats))
    writer.writerows(_cells(stats))
    return out.getvalue()


def _cell(text: str) -> str:
    """A markdown cell that stays text, as `writers.markdown` writes its cells."""
    from escalate_cli.engine.cells import escaped_text
    from escalate_cli.writers.markdown import ESCAPES

    return escaped_text(text, ESCAPES)


def render_markdown(stats: Stats) -> str:
    columns = _columns(stats)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in _cells(stats)]
    for (policy, metric), periods in stats.trend.items():
        lines += [
            "",
            f"**{policy} / {metric}**: attainment per {stats.period}",
            "",
            "| period | attainment | |",
            "|---|---|---|",
        ]
        lines += [
            f"| {label}{' (so far)' if label == stats.partial else ''} | {percent(t.attainment)} | `{_bar(t)}` |"
            for label, t in periods
        ]
    return "\n".join(lines) + "\n"
