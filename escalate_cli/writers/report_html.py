"""`report --html`: the weekly review page, drawn from the `report -f json` document (so every number on it is in
the JSON too). One self-contained file: Plotly's script is inlined once, nothing is fetched, and the document
itself rides along in a `<script type="application/json">` for whoever wants to check a figure.

Sections: attainment per policy and clock against its goal with volume; breaches and escalations per level; the
running backlog by business time left, soonest first; a breakdown by priority and by every `--by` field; the
business time to resolution as a share of its target. The period still under way is marked as partial.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from escalate_cli.durations import format_duration
from escalate_cli.writers.stats import percent

Doc = Mapping[str, Any]
HEIGHT = 340
MAX_LINES = 8  # values drawn per breakdown chart (the most clocks first); the table below it lists every value
COLOURS = {"met": "#2e7d32", "missed": "#c62828", "breached": "#ef6c00", "running": "#90a4ae"}
GOAL_COLOUR = "#6a1b9a"
PARTIAL_PATTERN = {"shape": "/", "fgcolor": "#ffffff", "size": 6, "solidity": 0.3}
_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1.5em 2em;max-width:1400px;
color:#1f2328;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:2em 0 .4em;border-bottom:1px solid #d0d7de}
h3{font-size:1.05em;margin:1.4em 0 .2em}p.note{color:#57606a;margin:.2em 0 .8em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-variant-numeric:tabular-nums;max-width:100%}
th,td{padding:.3em .7em;border-bottom:1px solid #d8dee4;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right}.wrap{overflow-x:auto;max-width:100%}
td.title{max-width:28em;overflow-wrap:anywhere}summary{cursor:pointer;color:#0969da;margin:.4em 0}
.partial{color:#9a6700;font-weight:600}.chart{width:100%}
"""


def render(doc: Doc, title: str) -> str:
    charts = _Charts()
    body = [
        f"<h1>{_e(title)}</h1>",
        _intro(doc),
        "<h2>Summary</h2>",
        _totals_table(doc),
        "<h2>Attainment over time</h2>",
        '<p class="note">Share of decided clocks met (line, left axis) against the policy\'s goal (dashed), and the '
        f"clocks started each {_e(doc['period'])} (bars, right axis).</p>",
        *(charts.attainment(entry, doc) for entry in doc["trend"]),
        "<h2>Breaches and escalations</h2>",
        '<p class="note">Clocks started each period that breached, and that reached each level of the ladder '
        "(a clock at L3 counts at L1 and L2 too).</p>",
        *_escalations(doc, charts),
        *_backlog(doc, charts),
        *_breakdowns(doc, charts),
        *_distribution(doc, charts),
        "<h2>Every row</h2>",
        _details(f"{len(doc['rows'])} rows, as `report -f json` gives them", _summary_table(doc)),
        f'<script type="application/json" id="report-json">{_json_for_script(doc)}</script>',
    ]
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _intro(doc: Doc) -> str:
    partial = doc.get("partial_period")
    text = f"As of {_e(str(doc.get('as_of', '')))}; clocks are counted in the {_e(doc['period'])} they started."
    if partial:
        text += (
            f' <span class="partial">{_e(partial)} is not over</span>: its figures are partial, and its clocks '
            "still running are shown as running, not as met."
        )
    return f'<p class="note">{text}</p>'


def _totals_table(doc: Doc) -> str:
    head = ["policy", "metric", "clocks", "met", "missed", "breached", "running", "attainment", "median", "p90"]
    goals = {entry["policy"]: entry.get("goal") for entry in doc["trend"]}
    rows = [[row["policy"], row["metric"], *_figures(row)] for row in doc.get("totals", [])]
    if any(goal is not None for goal in goals.values()):
        head.insert(8, "goal")
        for row, total in zip(rows, doc.get("totals", [])):
            row.insert(8, percent(goals.get(total["policy"])))
    return _table(head, rows, numeric_from=2)


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{_e(summary)}</summary>{body}</details>"


def _summary_table(doc: Doc) -> str:
    by = list(doc["by"])
    head = ["policy", "metric", *by, "clocks", "met", "missed", "breached", "running", "attainment", "median", "p90"]
    rows = [
        [
            row["policy"],
            row["metric"],
            *(row["group"].get(key, "") for key in by),
            *_figures(row),
        ]
        for row in doc["rows"]
    ]
    return _table(head, rows, numeric_from=2 + len(by))


def _figures(t: Mapping[str, Any]) -> list[str]:
    return [
        str(t["clocks"]),
        str(t["met"]),
        str(t["missed"]),
        str(t["breached"]),
        str(t["running"]),
        percent(t["attainment"]),
        _dur(t["median_seconds"]),
        _dur(t["p90_seconds"]),
    ]


def _escalations(doc: Doc, charts: _Charts) -> list[str]:
    """One chart per policy with a ladder (breaches and each level); the policies without one share a chart."""
    by_policy = _by_policy(doc["trend"])
    ladders = {
        p: entries for p, entries in by_policy.items() if any("levels" in x for e in entries for x in e["periods"])
    }
    out = [charts.levels(policy, entries, doc) for policy, entries in ladders.items()]
    rest = {p: entries for p, entries in by_policy.items() if p not in ladders}
    if rest:
        out.append(charts.breaches(rest, doc))
    return out


def _backlog(doc: Doc, charts: _Charts) -> list[str]:
    backlog = doc.get("backlog")
    if backlog is None:
        return []
    within = format_duration(backlog["due_within_seconds"])
    shown = backlog["next"]
    parts = [
        "<h2>Backlog at risk</h2>",
        '<p class="note">Running clocks by the business time left before they breach.</p>',
        charts.backlog(backlog["buckets"])
        if any(b["clocks"] for b in backlog["buckets"])
        else '<p class="note">No clock is running.</p>',
        f"<h3>Due within {within} of business time: {backlog['due_within_clocks']} clocks</h3>",
        '<p class="note">Clocks counting now (not paused) that breach within that much business time.</p>',
    ]
    if backlog["due_within_clocks"] > len(shown):
        parts.append(f'<p class="note">The {len(shown)} soonest are listed; `-f json` has the same list.</p>')
    if shown:
        rows = [
            [r["id"], r["title"], r["policy"], r["metric"], r["state"], _dur(r["remaining_seconds"]), r["due_at"]]
            for r in shown
        ]
        parts.append(_table(["id", "title", "policy", "metric", "state", "left", "due"], rows, numeric_from=5))
    return parts


def _breakdowns(doc: Doc, charts: _Charts) -> list[str]:
    parts: list[str] = []
    for breakdown in doc.get("breakdowns", []):
        key = breakdown["field"]
        heading = "Business time per priority" if key == "priority" else f"By {key}"
        parts += [f"<h2>{_e(heading)}</h2>"]
        if key == "priority":
            parts += [
                '<p class="note">Median and p90 business time of the clocks that stopped, per priority.</p>',
                charts.percentiles(breakdown),
            ]
        head = ["metric", key, "clocks", "met", "missed", "breached", "running", "attainment", "median", "p90"]
        rows = [[row["metric"], row["value"], *_figures(row)] for row in breakdown["rows"]]
        for metric in dict.fromkeys(entry["metric"] for entry in breakdown["trend"]):
            parts.append(charts.breakdown_trend(breakdown, metric, doc["period"]))
        table = _table(head, rows, numeric_from=2)
        parts.append(table if len(rows) <= 12 else _details(f"every {key}: {len(rows)} rows", table))
    return parts


def _distribution(doc: Doc, charts: _Charts) -> list[str]:
    buckets = doc.get("resolution_distribution")
    if buckets is None or not any(b["clocks"] for b in buckets):
        return []
    return [
        "<h2>Time to resolution against the target</h2>",
        '<p class="note">Resolved clocks by the business time they took as a share of their target; right of the '
        "dashed line is late.</p>",
        charts.distribution(buckets),
    ]


class _Charts:
    """Plotly figures as HTML: the library's script goes into the first one only; ids are numbered so that the
    same report gives the same page."""

    def __init__(self) -> None:
        self.count = 0

    def _html(self, figure: Any, height: int = HEIGHT) -> str:
        """The chart under its title as a heading of the page (which wraps, where Plotly's titles do not)."""
        title = str(figure.layout.meta["title"])
        for trace in figure.data:  # a legend entry is one line at most: the full name shows on hover
            trace.legendgroup, trace.name = trace.name, _short(str(trace.name))
        figure.update_layout(
            height=height,
            template="plotly_white",
            margin={"l": 60, "r": 60, "t": 20, "b": 40},
            legend={"orientation": "h", "y": -0.2, "x": 0},
            font={"family": "system-ui, sans-serif", "size": 13},
            hovermode="x unified",
            showlegend=True,
        )
        if figure.layout.yaxis.title.text == "clocks":  # whole numbers only on a count axis
            step = _count_step(_most(figure))
            figure.update_layout(yaxis={"tickmode": "linear", "tick0": 0, "dtick": step, "tickformat": ",d"})
        self.count += 1
        plot = figure.to_html(
            full_html=False,
            include_plotlyjs=self.count == 1,
            div_id=f"chart-{self.count}",
            default_width="100%",
            default_height=f"{height}px",
            config={"responsive": True, "displaylogo": False},
        )
        return f'<div class="chart"><h3>{_e(title)}</h3>{plot}</div>'

    def attainment(self, entry: Mapping[str, Any], doc: Doc) -> str:
        import plotly.graph_objects as go

        periods = entry["periods"]
        labels = [_period_label(p) for p in periods]
        figure = go.Figure()
        for state in ("met", "missed", "breached", "running"):
            figure.add_bar(
                x=labels,
                y=[p[state] for p in periods],
                name=f"{state} clocks",
                marker={"color": COLOURS[state], "pattern": _patterns(periods)},
                yaxis="y2",
                opacity=0.55,
            )
        figure.add_scatter(
            x=labels,
            y=[None if p["attainment"] is None else round(p["attainment"] * 100, 1) for p in periods],
            name="attainment",
            mode="lines+markers",
            line={"color": "#0969da", "width": 3},
            connectgaps=False,
        )
        goal = entry.get("goal")
        if goal is not None:
            figure.add_hline(  # a line across the chart, however few periods it has
                y=round(goal * 100, 1),
                name=f"goal {percent(goal)}",
                showlegend=True,
                line={"color": GOAL_COLOUR, "dash": "dash", "width": 2},
            )
        note = "" if goal is not None else " (no goal set: add goal: 95% to the policy)"
        figure.update_layout(
            meta={"title": f"{entry['policy']} / {entry['metric']}{note}"},
            barmode="stack",
            yaxis={"title": {"text": "attainment %"}, "range": [0, 105], "ticksuffix": "%"},
            yaxis2={
                "title": {"text": "clocks"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
                "tickmode": "linear",
                "tick0": 0,
                "dtick": _count_step(max((p["clocks"] for p in periods), default=0)),
                "tickformat": ",d",
            },
            xaxis={"title": {"text": doc["period"]}, "type": "category"},
        )
        return self._html(figure)

    def levels(self, policy: str, entries: Sequence[Mapping[str, Any]], doc: Doc) -> str:
        import plotly.graph_objects as go

        labels = list(dict.fromkeys(p["period"] for e in entries for p in e["periods"]))
        by_label = {p["period"]: p for e in entries for p in e["periods"]}
        breaches = dict.fromkeys(labels, 0)
        levels: dict[str, dict[str, int]] = {}
        for entry in entries:
            for p in entry["periods"]:
                breaches[p["period"]] += p["missed"] + p["breached"]
                for level, count in p.get("levels", {}).items():
                    levels.setdefault(level, dict.fromkeys(labels, 0))[p["period"]] += count
        shown = [_period_label(by_label[label]) for label in labels]
        figure = go.Figure()
        figure.add_bar(x=shown, y=list(breaches.values()), name="breached clocks", marker={"color": COLOURS["missed"]})
        for level, counts in levels.items():
            figure.add_scatter(x=shown, y=list(counts.values()), name=f"reached {level}", mode="lines+markers")
        figure.update_layout(
            meta={"title": f"{policy}: breaches and escalations ({', '.join(e['metric'] for e in entries)})"},
            yaxis={"title": {"text": "clocks"}, "rangemode": "tozero"},
            xaxis={"title": {"text": doc["period"]}, "type": "category"},
        )
        return self._html(figure)

    def breaches(self, policies: Mapping[str, Sequence[Mapping[str, Any]]], doc: Doc) -> str:
        import plotly.graph_objects as go

        labels = sorted({p["period"] for entries in policies.values() for e in entries for p in e["periods"]})
        shown = {p["period"]: _period_label(p) for es in policies.values() for e in es for p in e["periods"]}
        figure = go.Figure()
        for policy, entries in policies.items():
            counts = dict.fromkeys(labels, 0)
            for entry in entries:
                for p in entry["periods"]:
                    counts[p["period"]] += p["missed"] + p["breached"]
            figure.add_bar(x=[shown[label] for label in labels], y=list(counts.values()), name=policy)
        figure.update_layout(
            meta={"title": "Breached clocks per policy (no escalation ladder)"},
            barmode="stack",
            yaxis={"title": {"text": "clocks"}, "rangemode": "tozero"},
            xaxis={"title": {"text": doc["period"]}, "type": "category"},
        )
        return self._html(figure)

    def backlog(self, buckets: Sequence[Mapping[str, Any]]) -> str:
        figure = _per_policy(buckets, "Running clocks by business time left", "business time left before the breach")
        return self._html(figure)

    def percentiles(self, breakdown: Mapping[str, Any]) -> str:
        import plotly.graph_objects as go

        figure = go.Figure()
        for metric in dict.fromkeys(row["metric"] for row in breakdown["rows"]):
            rows = [r for r in breakdown["rows"] if r["metric"] == metric and r["median_seconds"] is not None]
            values = [r["value"] for r in rows]
            for key, name in (("median_seconds", "median"), ("p90_seconds", "p90")):
                figure.add_bar(
                    x=values,
                    y=[round(r[key] / 3600, 2) for r in rows],
                    name=f"{metric} {name}",
                    text=[_dur(r[key]) for r in rows],
                    textposition="none",
                    hovertemplate="%{x}: %{text}<extra>" + f"{metric} {name}</extra>",
                )
        figure.update_layout(
            meta={"title": "Business time per priority (median and p90)"},
            barmode="group",
            yaxis={"title": {"text": "business hours"}, "rangemode": "tozero"},
            xaxis={"title": {"text": "priority"}, "type": "category"},
        )
        return self._html(figure)

    def breakdown_trend(self, breakdown: Mapping[str, Any], metric: str, period: str) -> str:
        import plotly.graph_objects as go

        entries = [e for e in breakdown["trend"] if e["metric"] == metric]
        entries.sort(key=lambda e: (-sum(p["clocks"] for p in e["periods"]), e["value"]))
        labels = sorted({p["period"] for e in entries for p in e["periods"]})
        partial = {p["period"]: _period_label(p) for e in entries for p in e["periods"]}
        figure = go.Figure()
        for entry in entries[:MAX_LINES]:
            shares = {p["period"]: p["attainment"] for p in entry["periods"]}
            figure.add_scatter(
                x=[partial[label] for label in labels],
                y=[None if shares.get(label) is None else round(shares[label] * 100, 1) for label in labels],
                name=entry["value"],
                mode="lines+markers",
            )
        more = len(entries) - MAX_LINES
        extra = f" (the {MAX_LINES} with the most clocks; {more} more in the table)" if more > 0 else ""
        figure.update_layout(
            meta={"title": f"{metric}: attainment per {period} by {breakdown['field']}{extra}"},
            yaxis={"title": {"text": "attainment %"}, "range": [0, 105], "ticksuffix": "%"},
            xaxis={"title": {"text": period}, "type": "category"},
        )
        return self._html(figure)

    def distribution(self, buckets: Sequence[Mapping[str, Any]]) -> str:
        title = "Resolved clocks by business time used, as a share of the target"
        figure = _per_policy(buckets, title, "business time to resolution / target")
        late = next(i for i, b in enumerate(buckets) if b["from_share"] >= 1.0) - 0.5
        figure.add_vline(x=late, line={"color": GOAL_COLOUR, "dash": "dash", "width": 2})
        figure.add_annotation(
            x=late, y=1, yref="paper", text="target", showarrow=False, xanchor="left", font={"color": GOAL_COLOUR}
        )
        return self._html(figure)


def _most(figure: Any) -> int:
    """The highest value a chart's y axis must reach: stacked bars summed per category."""
    stacked: dict[object, float] = {}
    most = 0.0
    for trace in figure.data:
        values = [v or 0 for v in (trace.y or ())]
        if trace.type == "bar" and figure.layout.barmode == "stack":
            for x, v in zip(trace.x or (), values):
                stacked[x] = stacked.get(x, 0) + v
        most = max([most, *values])
    return int(max([most, *stacked.values()]))


def _count_step(most: int) -> int:
    """A whole step between ticks of a count axis (1, 2, 5, 10, 20, 50, ...), about five ticks up to `most`."""
    step = 1
    while most / step > 6:
        for factor in (2, 5 / 2, 2):
            step = int(step * factor)
            if most / step <= 6:
                break
    return step


def _per_policy(buckets: Sequence[Mapping[str, Any]], title: str, axis: str) -> Any:
    """Bars of clocks per bucket, stacked by policy (`by_policy` of each bucket)."""
    import plotly.graph_objects as go

    labels = [b["bucket"] for b in buckets]
    figure = go.Figure()
    for name in dict.fromkeys(name for b in buckets for name in b["by_policy"]):
        figure.add_bar(x=labels, y=[b["by_policy"].get(name, 0) for b in buckets], name=name)
    figure.update_layout(
        meta={"title": title},
        barmode="stack",
        yaxis={"title": {"text": "clocks"}, "rangemode": "tozero"},
        xaxis={"title": {"text": axis}, "type": "category"},
    )
    return figure


def _by_policy(trend: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for entry in trend:
        out.setdefault(entry["policy"], []).append(entry)
    return out


def _patterns(periods: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {**PARTIAL_PATTERN, "shape": ["/" if p.get("partial") else "" for p in periods]}


def _period_label(period: Mapping[str, Any]) -> str:
    return f"{period['period']} (partial)" if period.get("partial") else str(period["period"])


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int) -> str:
    def cell(i: int, text: str, tag: str) -> str:
        kind = ' class="num"' if i >= numeric_from else ' class="title"' if head[i] == "title" else ""
        return f"<{tag}{kind}>{_e(text)}</{tag}>"

    top = "".join(cell(i, h, "th") for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(cell(i, c, "td") for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="wrap"><table><thead><tr>{top}</tr></thead><tbody>{body}</tbody></table></div>'


def _json_for_script(doc: Doc) -> str:
    """The document inside a script element: `<`, `>` and `&` escaped so no value can end the element."""
    text = json.dumps(doc, ensure_ascii=False, sort_keys=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _e(text: object) -> str:
    return html.escape(str(text))


def _dur(value: int | None) -> str:
    if value is None:
        return "-"
    return format_duration(value) if value >= 0 else f"{format_duration(-value)} overdue"
