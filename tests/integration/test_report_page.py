"""`report --html` in a real headless Chromium (Debian's, driven by Playwright): the page fetches nothing, logs no
error, lays out inside the viewport at a laptop's and a narrow window's width, marks the period under way as
partial, and draws exactly the numbers `report -f json` gives.

Needs /usr/bin/chromium (`.ci/run` installs it); without it these tests skip, unless ESCALATE_REQUIRE_BROWSER is
set (as `.ci/run` sets it), when they fail.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from tests.cli.test_check import run

AS_OF = "2026-11-20T14:00:00+01:00"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"

if not Path("/usr/bin/chromium").exists() or shutil.which("chromium") is None:
    if os.environ.get("ESCALATE_REQUIRE_BROWSER"):
        raise RuntimeError("/usr/bin/chromium is needed for the HTML page tests (apt-get install chromium)")
    pytest.skip("/usr/bin/chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
from scripts.screenshot_report import CHROMIUM, FLAGS  # noqa: E402  (the reviewers' script: one way to start it)

CLIPPED = """() => {
  const width = window.innerWidth, out = [];
  if (document.documentElement.scrollWidth > width) out.push(`page ${document.documentElement.scrollWidth}px wide`);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.wrap') && !el.classList.contains('wrap')) continue;  // tables scroll inside their box
    if (el.closest('script, details:not([open]), .plotly .modebar-container, #js-plotly-tester')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const name = `${el.tagName}.${el.className.baseVal ?? el.className}`;
    if (r.left < -1 || r.right > width + 1) out.push(`${name}: ${r.left}-${r.right}`);
  }
  for (const text of document.querySelectorAll('.plotly-graph-div svg text')) {
    const box = text.getBoundingClientRect(), svg = text.closest('svg.main-svg').getBoundingClientRect();
    if (!text.textContent.trim() || box.width === 0) continue;
    if (box.left < svg.left - 1 || box.right > svg.right + 1 || box.top < svg.top - 1 || box.bottom > svg.bottom + 1)
      out.push(`chart text '${text.textContent}' outside its chart`);
  }
  return out;
}"""
CHARTS = """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => ({
  title: div.closest('.chart').querySelector('h3').textContent,
  traces: div.data.map(t => ({name: t.name, type: t.type, x: t.x, y: t.y})),
  lines: (div.layout.shapes || []).map(s => ({name: s.name, y: s.y0})),
  ticks: [...div.querySelectorAll('.xtick text')].map(t => t.textContent),
}))"""


def _page(tmp_path: Path, args: list[str]) -> tuple[Path, dict]:
    page = tmp_path / "report.html"
    shown = run(["report", *args, "--html", str(page), "-f", "json"])
    assert shown.exit_code == 0, shown.output
    return page, json.loads(shown.stdout)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _open(browser, page_file: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    fetched: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def route(r):
        if r.request.url != page_file.as_uri():
            fetched.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.goto(page_file.as_uri(), wait_until="load")
    page.wait_for_function(
        "document.querySelectorAll('.plotly-graph-div .main-svg').length >= "
        "document.querySelectorAll('.plotly-graph-div').length"
    )
    page.wait_for_timeout(200)
    return page, problems, fetched


def test_the_weekly_page_is_whole_quiet_and_inside_the_window(tmp_path, browser):
    page_file, doc = _page(
        tmp_path,
        ["examples/issues.csv", "-c", "config.example.yaml", "--as-of", AS_OF, "--period", "week", "--by", "team"],
    )
    for width in (1280, 800):
        page, problems, fetched = _open(browser, page_file, width)
        assert fetched == [] and problems == []
        assert page.evaluate(CLIPPED) == [], width
        charts = page.evaluate(CHARTS)
        page.close()
        assert len(charts) >= len(doc["trend"]) + 3
    titles = [c["title"] for c in charts]
    assert any("critical / resolution" in t for t in titles)
    # the week under way is marked as partial wherever it is drawn
    partial = doc["partial_period"]
    assert partial == "2026-W47"
    assert any(f"{partial} (partial)" in tick for c in charts for tick in c["ticks"])
    assert not any(tick == partial for c in charts for tick in c["ticks"])


def test_every_number_drawn_is_one_from_the_json(tmp_path, browser):
    page_file, doc = _page(
        tmp_path, ["examples/issues.csv", "-c", "config.example.yaml", "--as-of", AS_OF, "--period", "week"]
    )
    page, problems, _ = _open(browser, page_file, 1280)
    charts = {c["title"]: c for c in page.evaluate(CHARTS)}
    embedded = page.evaluate("JSON.parse(document.getElementById('report-json').textContent)")
    page.close()
    assert problems == [] and embedded == doc
    for entry in doc["trend"]:
        title = next(t for t in charts if t.startswith(f"{entry['policy']} / {entry['metric']}"))
        traces = {t["name"]: t for t in charts[title]["traces"]}
        for state in ("met", "missed", "breached", "running"):
            assert traces[f"{state} clocks"]["y"] == [p[state] for p in entry["periods"]]
        shares = [None if p["attainment"] is None else round(p["attainment"] * 100, 1) for p in entry["periods"]]
        assert traces["attainment"]["y"] == shares
        goal = [line["y"] for line in charts[title]["lines"] if line["name"].startswith("goal")]
        assert goal == ([] if entry["goal"] is None else [round(entry["goal"] * 100, 1)])
        assert ("no goal set" in title) == (entry["goal"] is None)
    backlog = next(c for t, c in charts.items() if t.startswith("Running clocks"))
    for trace in backlog["traces"]:
        assert trace["y"] == [b["by_policy"].get(trace["name"], 0) for b in doc["backlog"]["buckets"]]
    distribution = next(c for t, c in charts.items() if t.startswith("Resolved clocks"))
    drawn = [sum(t["y"][i] for t in distribution["traces"]) for i in range(len(doc["resolution_distribution"]))]
    assert drawn == [b["clocks"] for b in doc["resolution_distribution"]]
    numbers = _numbers(doc)
    for chart in charts.values():  # nothing drawn that the JSON does not hold (shares as %, times in hours)
        for trace in chart["traces"]:
            for y in trace["y"] or []:
                assert y is None or any(math.isclose(y, n, abs_tol=0.051) for n in numbers), (chart["title"], y)


def _numbers(value: object) -> set[float]:
    out: set[float] = set()
    if isinstance(value, bool):
        return out
    if isinstance(value, (int, float)):
        out |= {float(value), round(value * 100, 1), round(value / 3600, 2)}
    elif isinstance(value, dict):
        for v in value.values():
            out |= _numbers(v)
        for trend in value.get("trend", []) if "trend" in value else []:
            for p in trend.get("periods", []):  # the breaches drawn per period: missed + breached
                out.add(float(p["missed"] + p["breached"]))
    elif isinstance(value, list):
        for v in value:
            out |= _numbers(v)
    return out


@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/data/real")
@pytest.mark.parametrize(
    "export",
    ["servicenow/incident_event_log.csv.gz", "zendesk/zendesk_ticket_export_csv_business_hours_metrics__plum.csv"],
)
def test_the_page_of_a_real_export(tmp_path, browser, export):
    config = tmp_path / "escalate.yaml"
    made = run(["init", str(REAL / export), "-o", str(config)])
    assert made.exit_code == 0, made.output
    page_file, doc = _page(tmp_path, [str(REAL / export), "-c", str(config), "--period", "week", "--by", "status"])
    page, problems, fetched = _open(browser, page_file, 1280)
    assert fetched == [] and problems == []
    assert page.evaluate(CLIPPED) == []
    charts = page.evaluate(CHARTS)
    page.close()
    weeks = {p["period"] for entry in doc["trend"] for p in entry["periods"]}
    assert len(weeks) >= 8  # months of history, week by week
    assert len(charts) >= len(doc["trend"]) + 3
