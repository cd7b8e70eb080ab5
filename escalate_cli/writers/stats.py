"""`escalate report` output: a terminal table with trend bars, JSON, CSV, markdown, and one self-contained HTML page
(inline CSS and SVG: it opens with no network). Business times are shown as durations, attainment as a percentage.
"""

from __future__ import annotations

import csv
import html
import io
import json

from escalate_cli.durations import format_duration
from escalate_cli.stats import Stats, Tally

BAR = 30


def _pct(value: float | None) -> str:
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
            _pct(row.tally.attainment),
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
                f"  {label:<10} {_bar(tally)} {_pct(tally.attainment):>6}  "
                f"({tally.met} met of {tally.met + tally.breaches}, {tally.running} running)"
            )
    if not stats.rows:
        lines = ["no clocks: nothing matched a policy"]
    return "\n".join(lines) + "\n"


def render_json(stats: Stats) -> str:
    def tally(t: Tally) -> dict[str, object]:
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

    document = {
        "schema_version": 1,
        "by": list(stats.by),
        "period": stats.period,
        "rows": [
            {"policy": r.policy, "metric": r.metric, "group": dict(zip(stats.by, r.group)), **tally(r.tally)}
            for r in stats.rows
        ],
        "trend": [
            {"policy": p, "metric": m, "periods": [{"period": label, **tally(t)} for label, t in periods]}
            for (p, m), periods in stats.trend.items()
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


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
        lines += [f"| {label} | {_pct(t.attainment)} | `{_bar(t)}` |" for label, t in periods]
    return "\n".join(lines) + "\n"


_STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:left}th{background:#f4f4f4}
h2{margin-top:2em;font-size:1.1em}svg text{font:11px system-ui,sans-serif}"""


def render_html(stats: Stats, title: str) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in _columns(stats))
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in _cells(stats))
    charts = "".join(
        f"<h2>{esc(p)} / {esc(m)}: attainment per {esc(stats.period)}</h2>{_svg(periods)}"
        for (p, m), periods in stats.trend.items()
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{esc(title)}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{charts}</body></html>\n"
    )


def _svg(periods: list[tuple[str, Tally]]) -> str:
    width, height, gap = 28, 160, 8
    total = len(periods) * (width + gap) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height + 60}" role="img">',
        f'<line x1="30" y1="{height}" x2="{total}" y2="{height}" stroke="#999"/>',
    ]
    for i, (label, tally) in enumerate(periods):
        x = 34 + i * (width + gap)
        share = tally.attainment or 0.0
        bar = round(share * height)
        colour = "#2e7d32" if share >= 0.9 else "#f9a825" if share >= 0.75 else "#c62828"
        parts.append(
            f'<rect x="{x}" y="{height - bar}" width="{width}" height="{bar}" fill="{colour}">'
            f"<title>{html.escape(label)}: {_pct(tally.attainment)}</title></rect>"
        )
        parts.append(f'<text x="{x}" y="{height - bar - 4}">{round(share * 100)}</text>')
        parts.append(
            f'<text x="{x}" y="{height + 14}" transform="rotate(45 {x} {height + 14})">{html.escape(label)}</text>'
        )
    return "".join(parts) + "</svg>"
