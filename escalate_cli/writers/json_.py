"""JSON output, schema_version 1: a stable interface that tests pin.

{"schema_version": 1, "as_of": ISO, "summary": {<state>: n, ..., "clocks", "issues", "unmatched", "errors",
"warnings"}, "results": [one object per clock of every matched issue, in input order], "unmatched": [{"issue",
"where"}], "errors": [{"where": "file:line", "message"}], "warnings": [{"where", "message"}]}, and with --state
"changes": [{"change", "issue", "metric", "before", "after", "level"}] since the last run (change: new breach,
new warning, new level, recovered, stopped, disappeared).

A result: issue (id as a string), metric, policy, calendar, state, started_at, due_at, stopped_at (or null),
elapsed_seconds (business seconds from start to stopped_at or as_of), target_seconds, remaining_seconds
(negative when overdue), paused_seconds (business seconds not counted while paused), policy_changed_at and
previous_policy (when the issue's history moved it to this policy, else null), level (or null), actions
[{"level", "notify", "message"}], the mapped fields (title, priority, status, labels, any others) and where
(file:line). Instants are ISO 8601 with the config's offset.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import tzinfo

from escalate_cli.model import JSON_ONLY_KEYS, RESULT_KEYS, Action, Clock, Issue, Problem, Report
from escalate_cli.writers import iso

SCHEMA_VERSION = 1


def render(report: Report, *, tz: tzinfo) -> str:
    return "".join(chunks(report, tz=tz))


def chunks(report: Report, *, tz: tzinfo) -> Iterator[str]:
    """The document piece by piece, so a million results never sit in memory as one string."""
    document: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "as_of": iso(report.as_of, tz),
        "summary": summary(report),
        "results": _Rendered(_spool(report, tz)),
        "unmatched": [{"issue": issue.id, "where": issue.where} for issue in report.unmatched],
        "errors": [_problem(p) for p in report.errors],
        "warnings": [_problem(p) for p in report.warnings],
    }
    if report.changes is not None:
        document["changes"] = [
            {
                "change": c.kind.value,
                "issue": c.issue,
                "metric": c.metric,
                "before": c.before,
                "after": c.after,
                "level": c.level,
            }
            for c in report.changes
        ]
    yield "{"
    for n, (key, value) in enumerate(document.items()):
        yield f"{',' if n else ''}\n  {json.dumps(key)}: "
        if isinstance(value, _Rendered):
            yield from _joined(value.blocks)
        elif isinstance(value, list):
            yield from _array(_indented(item, "    ") for item in value)
        else:
            yield _indented(value)
    yield "\n}\n"


class _Rendered:
    def __init__(self, blocks: Iterable[str]) -> None:
        self.blocks = blocks


def _spool(report: Report, tz: tzinfo) -> Iterator[str]:
    """Each result after its separator: from the clock frame when the report has one (`engine.results`), else
    from its `Clock`s."""
    if report.table is not None:
        from escalate_cli.engine.results import json_results

        yield from json_results(report.table, tz, RESULT_SEPARATOR)
        return
    for clock in report.clocks:
        yield RESULT_SEPARATOR + result_text(clock, tz)


def _joined(blocks: Iterable[str]) -> Iterator[str]:
    """The results array from blocks of separated results: the first separator's comma opens it."""
    empty = True
    for block in blocks:
        if not block:
            continue
        if empty:
            yield "["
            block = block[1:]
            empty = False
        yield block
    yield "[]" if empty else "\n  ]"


def result_text(clock: Clock, tz: tzinfo) -> str:
    """One result object as it stands inside the document: `_indented(result(clock, tz), "    ")`, written out
    through `result_template` (building the dict and walking it cost most of a million results' time). The
    issue's own part is the same for each of its clocks, so it is rendered once per issue."""
    issue = clock.issue
    if not issue.fields.keys().isdisjoint(TAKEN_KEYS):  # config refuses such fields; if one came, as the dict does
        return _indented(result(clock, tz), "    ")
    global _last_issue, _last_tail
    if issue is not _last_issue:
        _last_issue, _last_tail = issue, issue_part(issue.fields, labels_text(issue.labels), _quoted(issue.where))
    key = (clock.metric, clock.policy, clock.calendar, clock.target)
    template = _templates.get(key) or _templates.setdefault(key, result_template(*key))
    return template % (
        _quoted(issue.id),
        _quoted(clock.state.value),
        _instant(clock.started_at, tz),
        _instant(clock.due_at, tz),
        _instant(clock.stopped_at, tz),
        clock.elapsed,
        clock.remaining,
        clock.paused_seconds,
        _instant(issue.policy_changed_at, tz),
        _encoded(issue.previous_policy, ITEM),
        _encoded(clock.level, ITEM),
        actions_text(clock.actions),
        _last_tail,
    )


def result_template(metric: str, policy: str, calendar: str, target: int) -> str:
    """A result object with the keys that are the same for every clock of a policy's metric filled in, and
    `%` slots for the others, in order: issue, state (both quoted), started_at, due_at, stopped_at (quoted
    instants or null), elapsed, remaining, paused seconds (ints), policy_changed_at, previous_policy, level,
    actions (JSON text) and the issue's part (`issue_part`)."""
    i = ITEM

    def fixed(value: object) -> str:
        return _encoded(value, i).replace("%", "%%")

    return (
        f'{{{i}"issue": %s,{i}"metric": {fixed(metric)},{i}"policy": {fixed(policy)},'
        f'{i}"calendar": {fixed(calendar)},{i}"state": %s,{i}"started_at": %s,{i}"due_at": %s,{i}"stopped_at": %s,'
        f'{i}"elapsed_seconds": %d,{i}"target_seconds": {fixed(target)},{i}"remaining_seconds": %d,'
        f'{i}"paused_seconds": %d,{i}"policy_changed_at": %s,{i}"previous_policy": %s,{i}"level": %s,'
        f'{i}"actions": %s,%s'
    )


def actions_text(actions: Iterable[Action]) -> str:
    """The `actions` value of a result, as it stands inside it."""
    return _encoded([_action(a) for a in actions], ITEM)


RESULT_SEPARATOR = ",\n    "
"""What comes before each result in the results array (the first one's comma becomes its opening bracket)."""
ITEM = "\n      "  # a result's keys, inside the results array
TAKEN_KEYS = frozenset((*RESULT_KEYS, *JSON_ONLY_KEYS, "labels", "where"))
_last_issue: Issue | None = None
_last_tail = ""
_templates: dict[tuple[str, str, str, int], str] = {}


def issue_part(fields: Mapping[str, str], labels: str, where: str) -> str:
    """The result's keys that come from the issue alone, from its fields to the closing brace; `labels`
    (`labels_text`) and `where` (quoted) as they stand in it."""
    i = ITEM
    text = "".join(f"{i}{_quoted(key)}: {_encoded(value, i)}," for key, value in fields.items())
    return f'{text}{i}"labels": {labels},{i}"where": {where}\n    }}'


def labels_text(labels: Iterable[str]) -> str:
    """The `labels` value of a result, as it stands inside it."""
    return _encoded(list(labels), ITEM)


def _instant(moment: int | None, tz: tzinfo) -> str:
    return "null" if moment is None else f'"{iso(moment, tz)}"'


def _action(action: Action) -> dict[str, object]:
    return {"level": action.level, "notify": list(action.notify), "message": action.message}


def _array(items: Iterable[str]) -> Iterator[str]:
    empty = True
    for item in items:
        yield ("[\n    " if empty else ",\n    ") + item
        empty = False
    yield "[]" if empty else "\n  ]"


def _indented(value: object, prefix: str = "  ") -> str:
    """json.dumps(indent=2) of a value nested `prefix` deep, as in one json.dumps of the whole document."""
    return _encoded(value, "\n" + prefix)


_quoted: Callable[[str], str] = json.encoder.encode_basestring  # json's C function where there is one


def _encoded(value: object, breaking: str) -> str:
    """What json.dumps(value, indent=2, ensure_ascii=False) gives with each line break followed by `breaking`'s
    indent, character for character, for strings, ints, None, booleans, lists and dicts with string keys;
    json.dumps itself for anything else. With indent, json.dumps runs its pure-Python encoder, about 10 us
    for one result object; this is a few times faster, which a million results notice."""
    if type(value) is str:
        return _quoted(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    inner = breaking + "  "
    if type(value) is dict:
        if not value:
            return "{}"
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                return _dumped(value, breaking)
            # the usual values inline: a call per value is most of the cost
            if type(item) is str:
                parts.append(f"{_quoted(key)}: {_quoted(item)}")
            elif item is None:
                parts.append(f"{_quoted(key)}: null")
            elif type(item) is int:
                parts.append(f"{_quoted(key)}: {int.__repr__(item)}")
            else:
                parts.append(f"{_quoted(key)}: {_encoded(item, inner)}")
        return "{" + inner + ("," + inner).join(parts) + breaking + "}"
    if type(value) is list or type(value) is tuple:
        if not value:
            return "[]"
        items = [_encoded(item, inner) for item in value]
        return "[" + inner + ("," + inner).join(items) + breaking + "]"
    return _dumped(value, breaking)


def _dumped(value: object, breaking: str) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", breaking)


def summary(report: Report) -> dict[str, int]:
    return {
        **report.counts(),
        "clocks": sum(report.counts().values()),
        "issues": report.issues,
        "unmatched": len(report.unmatched),
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }


def result(clock: Clock, tz: tzinfo) -> dict[str, object]:
    issue = clock.issue
    return {
        "issue": issue.id,
        "metric": clock.metric,
        "policy": clock.policy,
        "calendar": clock.calendar,
        "state": clock.state.value,
        "started_at": iso(clock.started_at, tz),
        "due_at": iso(clock.due_at, tz),
        "stopped_at": iso(clock.stopped_at, tz),
        "elapsed_seconds": clock.elapsed,
        "target_seconds": clock.target,
        "remaining_seconds": clock.remaining,
        "paused_seconds": clock.paused_seconds,
        "policy_changed_at": iso(issue.policy_changed_at, tz),
        "previous_policy": issue.previous_policy,
        "level": clock.level,
        "actions": [_action(a) for a in clock.actions],
        **issue.fields,
        "labels": list(issue.labels),
        "where": issue.where,
    }


def _problem(problem: Problem) -> dict[str, str]:
    return {"where": problem.where, "message": problem.message}
