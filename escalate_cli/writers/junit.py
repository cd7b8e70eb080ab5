"""JUnit XML, as CI servers read it: one testsuite per policy, one testcase per clock.

A breached clock is a <failure type="breached">; a warning is a <failure type="warning"> only with
--fail-on warning (else it passes, with the warning in <system-out>). Stopped clocks (met, missed) and ok or
paused ones pass. Each testcase carries due_at, elapsed_seconds, target_seconds, remaining_seconds, state and
level as <properties>; its classname is the policy and its name "<issue> <metric>".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import tzinfo
from itertools import groupby

from escalate_cli.durations import format_duration
from escalate_cli.model import Clock, Report, Severity, State
from escalate_cli.writers import iso


def render(report: Report, *, tz: tzinfo, fail_on: Severity = Severity.BREACH) -> str:
    suites = ET.Element("testsuites", name="escalate")
    total = failed = 0
    by_policy = sorted(report.clocks, key=lambda c: c.policy)
    for policy, clocks in groupby(by_policy, key=lambda c: c.policy):
        suite = ET.SubElement(suites, "testsuite", name=policy)
        cases = list(clocks)
        failures = sum(_is_failure(c, fail_on) for c in cases)
        for clock in cases:
            _testcase(suite, clock, tz, fail_on)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total, failed = total + len(cases), failed + failures
    suites.set("tests", str(total))
    suites.set("failures", str(failed))
    suites.set("errors", str(len(report.errors)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _is_failure(clock: Clock, fail_on: Severity) -> bool:
    return fail_on.fails(clock.state)


def _testcase(suite: ET.Element, clock: Clock, tz: tzinfo, fail_on: Severity) -> None:
    case = ET.SubElement(suite, "testcase", classname=clock.policy, name=f"{clock.issue.id} {clock.metric.value}")
    props = ET.SubElement(case, "properties")
    for name, value in (
        ("state", clock.state.value),
        ("due_at", iso(clock.due_at, tz)),
        ("elapsed_seconds", clock.elapsed),
        ("target_seconds", clock.target),
        ("remaining_seconds", clock.remaining),
        ("level", clock.level or ""),
        ("where", clock.issue.where),
    ):
        ET.SubElement(props, "property", name=name, value=str(value))
    summary = _summary(clock)
    if _is_failure(clock, fail_on):
        failure = ET.SubElement(case, "failure", type=clock.state.value, message=summary)
        failure.text = "\n".join([summary, *(a.message for a in clock.actions)])
    elif clock.state is State.WARNING:
        ET.SubElement(case, "system-out").text = summary


def _summary(clock: Clock) -> str:
    title = clock.issue.fields.get("title", "")
    if clock.remaining <= 0 and clock.state.is_running:
        text = f"{clock.metric.value} {clock.state.value}: overdue by {format_duration(-clock.remaining)}"
    else:
        text = f"{clock.metric.value} {clock.state.value}: {format_duration(clock.remaining)} left"
    return f"{clock.issue.id} {text}" + (f" ({title})" if title else "")
