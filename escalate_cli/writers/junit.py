"""JUnit XML, as CI servers read it: one testsuite per policy, one testcase per clock.

A breached clock is a <failure type="breached">; a warning is a <failure type="warning"> only with
--fail-on warning (else it passes, with the warning in <system-out>). Stopped clocks (met, missed) and ok or
paused ones pass. Each testcase carries due_at, elapsed_seconds, target_seconds, remaining_seconds, state and
level as <properties>; its classname is the policy and its name "<issue> <metric>".

Written by columns (`engine.cells`), as ElementTree writes it (indented by two spaces, its escaping); tests hold
it to ElementTree's bytes. Characters XML cannot hold at all (control characters but tab, line feed and carriage
return) become U+FFFD, so the file always parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import tzinfo

import polars as pl

from escalate_cli.engine import cells as K
from escalate_cli.model import Report, Severity, State

_TEXT = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))  # as ElementTree escapes text, and attributes:
_ATTRIBUTE = (*_TEXT, ('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))
_BATCH = 50_000
_DUE, _FAILED = "due_text", "failed"
_PROPERTIES = ("state", "due_at", "elapsed_seconds", "target_seconds", "remaining_seconds", "level", "where")


def render(report: Report, *, tz: tzinfo, fail_on: Severity = Severity.BREACH) -> str:
    return "".join(chunks(report, tz=tz, fail_on=fail_on))


def chunks(report: Report, *, tz: tzinfo, fail_on: Severity = Severity.BREACH) -> Iterator[str]:
    """The document piece by piece (a batch of testcases at a time), so a million clocks never sit in memory
    as one string."""
    failing = [state.value for state in State if fail_on.fails(state)]
    clocks = K.of_report(report, tz).sort(K.POLICY, maintain_order=True)  # suites by name, clocks in report order
    clocks = clocks.with_columns(K.iso(clocks, K.DUE, tz).alias(_DUE), pl.col(K.STATE).is_in(failing).alias(_FAILED))
    suites = clocks.group_by(K.POLICY, maintain_order=True).agg(pl.len(), pl.col(_FAILED).sum()).rows()
    total, failed = clocks.height, sum(failures for _, _, failures in suites)
    head = f'<testsuites name="escalate" tests="{total}" failures="{failed}" errors="{len(report.errors)}"'
    if not total:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n{head} />\n'
        return
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n{head}>\n'
    start = 0
    for policy, tests, failures in suites:
        yield f'  <testsuite name="{_attribute_text(policy)}" tests="{tests}" failures="{failures}" errors="0">\n'
        for offset in range(start, start + tests, _BATCH):
            batch = clocks.slice(offset, min(_BATCH, start + tests - offset))
            yield batch.select(_testcase(batch).str.join("")).item()
        yield "  </testsuite>\n"
        start += tests
    yield "</testsuites>\n"


def _testcase(batch: pl.DataFrame) -> pl.Expr:
    """Each clock's <testcase> element; texts are escaped only in the columns of the batch that need it."""
    escaped = _escaping(batch)
    state, remaining = pl.col(K.STATE), pl.col(K.REMAINING)
    running = state.is_in([s.value for s in State if s.is_running])
    timing = (
        pl.when(running & K.overdue())
        .then(pl.concat_str([pl.lit(": overdue by "), K.duration(-remaining)]))
        .otherwise(pl.concat_str([pl.lit(": "), K.duration(remaining), pl.lit(" left")]))
    )
    title = pl.when(pl.col(K.TITLE) != "").then(pl.concat_str([pl.lit(" ("), pl.col(K.TITLE), pl.lit(")")]))
    summary = pl.concat_str(
        [pl.col(K.ISSUE), pl.lit(" "), pl.col(K.METRIC), pl.lit(" "), state, timing, title.otherwise(pl.lit(""))]
    )
    summary_attribute = _attribute(summary) if {K.ISSUE, K.TITLE} & escaped else summary
    values = {
        "state": state,
        "due_at": pl.col(_DUE),
        "elapsed_seconds": pl.col(K.ELAPSED).cast(pl.Utf8),
        "target_seconds": pl.col(K.TARGET).cast(pl.Utf8),
        "remaining_seconds": remaining.cast(pl.Utf8),
        "level": _attribute(pl.col(K.LEVEL)) if K.LEVEL in escaped else pl.col(K.LEVEL),
        "where": _attribute(pl.col(K.WHERE)) if K.WHERE in escaped else pl.col(K.WHERE),
    }
    parts: list[pl.Expr] = [
        pl.lit('    <testcase classname="'),
        _attribute(pl.col(K.POLICY)) if K.POLICY in escaped else pl.col(K.POLICY),
        pl.lit('" name="'),
        _attribute(pl.col(K.ISSUE)) if K.ISSUE in escaped else pl.col(K.ISSUE),
        pl.lit(" "),
        pl.col(K.METRIC),
        pl.lit('">\n      <properties>\n'),
    ]
    for name in _PROPERTIES:
        parts += [pl.lit(f'        <property name="{name}" value="'), values[name], pl.lit('" />\n')]
    message = pl.when(pl.col(K.ESCALATED)).then(pl.concat_str([pl.lit("\n"), pl.col(K.MESSAGE)])).otherwise(pl.lit(""))
    body = pl.concat_str([summary, message])
    failure = pl.concat_str(
        [
            pl.lit('      <failure type="'),
            state,
            pl.lit('" message="'),
            summary_attribute,
            pl.lit('">'),
            _text(body) if {K.ISSUE, K.TITLE, K.MESSAGE} & escaped else body,
            pl.lit("</failure>\n"),
        ]
    )
    shown = _text(summary) if {K.ISSUE, K.TITLE} & escaped else summary
    warning = pl.concat_str([pl.lit("      <system-out>"), shown, pl.lit("</system-out>\n")])
    outcome = pl.when(pl.col(_FAILED)).then(failure).when(state == State.WARNING.value).then(warning)
    parts += [pl.lit("      </properties>\n"), outcome.otherwise(pl.lit("")), pl.lit("    </testcase>\n")]
    return pl.concat_str(parts)


def _escaping(batch: pl.DataFrame) -> set[str]:
    """The text columns of the batch holding a character that XML escapes."""
    columns = (K.POLICY, K.ISSUE, K.TITLE, K.MESSAGE, K.LEVEL, K.WHERE)
    found = batch.select(pl.col(c).str.contains(rf'[&<>"\r\n\t]|{_NOT_XML}').any() for c in columns).row(0)
    return {column for column, has in zip(columns, found) if has}


_NOT_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"  # characters XML 1.0 cannot hold, even escaped


def _attribute(text: pl.Expr) -> pl.Expr:
    return K.escaped(text.str.replace_all(_NOT_XML, "\ufffd"), _ATTRIBUTE)


def _text(text: pl.Expr) -> pl.Expr:
    return K.escaped(text.str.replace_all(_NOT_XML, "\ufffd"), _TEXT)


def _attribute_text(text: str) -> str:
    return K.escaped_text(re.sub(_NOT_XML, "\ufffd", text), _ATTRIBUTE)
