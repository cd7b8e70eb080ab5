"""Every tabular writer's header holds its rows: one heading per value, for a clock with every key set (a
pause, a change of policy, a level, actions, extra fields and labels)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

from escalate_cli.config import parse_config
from escalate_cli.model import Issue
from escalate_cli.sla import evaluate
from escalate_cli.writers import OutputFormat, writer_for

UTC = ZoneInfo("UTC")
T0 = 1_767_603_600  # 2026-01-05 09:00 UTC
H = 3600
CONFIG = parse_config(
    {
        "fields": {"team": {"column": "team"}},
        "policies": [
            {
                "name": "all",
                "targets": {"resolution": "4h"},
                "escalate": [{"after": "50%", "level": "L2", "notify": ["lead", "duty"]}],
            }
        ],
    }
)
ISSUE = Issue(
    id="A-1",
    created=T0,
    updated=T0 + H,
    fields={"title": "t", "priority": "P1", "status": "waiting", "team": "web"},
    labels=("vip", "eu"),
    where="issues.csv:2",
    pauses=((T0 + 3 * H, T0 + 4 * H), (T0 + 5 * H, None)),
    policy_changed_at=T0 + H,
    previous_policy="old",
)


def full_report():
    report = evaluate([ISSUE], CONFIG.policies, T0 + 6 * H, str)
    clock = report.clocks[0]
    assert clock.paused_seconds and clock.level and clock.actions and ISSUE.policy_changed_at
    return report


def rendered(fmt):
    return writer_for(fmt, tz=UTC, show_all=True)(full_report())


def test_csv_has_a_heading_for_every_value():
    header, *rows = list(csv.reader(io.StringIO(rendered(OutputFormat.CSV))))
    assert rows and all(len(row) == len(header) for row in rows)
    values = dict(zip(header, rows[0]))
    assert values["paused_seconds"] == "7200" and values["previous_policy"] == "old"
    assert values["policy_changed_at"] == "2026-01-05T10:00:00+00:00" and values["level"] == "L2"
    assert values["team"] == "web" and values["labels"] == "vip, eu" and values["where"] == "issues.csv:2"


def test_markdown_rows_have_the_headers_cells():
    lines = [line for line in rendered(OutputFormat.MARKDOWN).splitlines() if line.startswith("|")]
    header, rule, *rows = lines
    assert rows and {line.count(" | ") for line in [header, *rows]} == {header.count(" | ")}
    assert rule.count("|") == header.count("|")


def test_junit_properties_name_every_value():
    root = ET.fromstring(rendered(OutputFormat.JUNIT))
    names = [[p.get("name") for p in case.iter("property")] for case in root.iter("testcase")]
    assert names and all(n == names[0] for n in names) and len(set(names[0])) == len(names[0])
    assert all(p.get("value") is not None for p in root.iter("property"))
