"""JSON results of the fast lane's plain rows, written straight from their cells and epoch seconds.

For a plain CSV row (see `fastlane`: timestamps the lane reads itself, an id, no stop before the start), this
writes what `sla.clock_for` and `writers.json_.result_text` would make of it, byte for byte, without building
the issue or its clocks. Such a row is a snapshot without history: its only pause is the open one of a paused
status, from its last update, and it never changed policy. The numbers come from the policy's calendar (its
`opened_function` and `add_ts`, the ordinary path's arithmetic); the text from `json_.result_template`, the
writer's own layout. An escalation message is filled in from its template's parts; a template with a format
spec or a conversion sends its policy's rows to the ordinary path. Tests compare both paths on random exports.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from datetime import date, datetime, tzinfo

from escalate_cli.business_time import DAY, Calendar
from escalate_cli.durations import format_duration
from escalate_cli.escalation import DEFAULT_AFTER_DUE, DEFAULT_BEFORE_DUE
from escalate_cli.fastlane import (
    BREACHED,
    FIRST_RESPONSE,
    MET,
    METRIC_CODES,
    MISSED,
    OK,
    PAUSED,
    RESOLUTION,
    STATES,
    WARNING,
)
from escalate_cli.model import Action, Metric, Policy
from escalate_cli.readers.issues import TEXT_FIELDS, IssueBuilder, as_labels
from escalate_cli.writers import iso, json_

_quoted: Callable[[str], str] = json.encoder.encode_basestring
_STATE_VALUES = tuple(state.value for state in STATES)  # by the lane's state codes
_STATE_TEXTS = tuple(_quoted(value) for value in _STATE_VALUES)
_NEVER = 1 << 62  # an elapsed time no clock reaches: no warning threshold

# What a message part fills in, besides fixed text: these, or a field (its index in the issue's texts, from 0)
_ID, _STATE, _OVERDUE, _REMAINING, _ELAPSED, _DUE, _LABELS = range(-7, 0)
_Parts = tuple[tuple[str, int | None], ...]  # (fixed text, what follows it)
# A step: the elapsed seconds that reach it, its level (quoted), its action's text around the message, and the
# message's parts after due and before (the same unless the step's template is the default one)
_Step = tuple[int, str, str, str, _Parts, _Parts]
# A clock: metric code, target, pausable, calendar, opened (from as_of), warning at, steps, result template
_Plan = tuple[int, int, bool, Calendar, Callable[[int], int] | None, int, tuple[_Step, ...], str]


class JsonResults:
    """The results of one CSV export's plain rows, for a config and an instant."""

    def __init__(
        self,
        as_of: int,
        tz: tzinfo,
        fields: dict[str, tuple[int, dict[str, str] | None, str]],
        labels: int,
        where: str,
    ) -> None:
        self.as_of = as_of
        self.instants = Instants(tz)
        self.fields = tuple(fields.values())  # per mapped text field: its column (-1: none), codes, key's text
        self.names = {name: n for n, name in enumerate(fields)}  # field -> its index in `fields`
        self.labels = labels  # the labels column (-1: none)
        self.where = where  # the quoted `file:` before a line number, without its closing quote
        self.labels_seen: dict[str, tuple[str, str]] = {}  # labels cell -> its JSON, its text in messages
        self.plans: dict[str, tuple[_Plan, ...] | None] = {}

    @classmethod
    def for_export(
        cls, builder: IssueBuilder, header: list[str], where: Callable[[int], str], as_of: int
    ) -> JsonResults | None:
        """None when a column the results read is repeated (its cells are merged into a list), a mapped field
        takes a result key's name (the writer then renders another way) or `where` is not `file:line`."""
        position = {column: i for i, column in enumerate(header)}
        names = (*TEXT_FIELDS, *builder.extra)
        columns = [builder.columns[n] for n in (*names, "labels")]
        if any(header.count(column) > 1 for column in columns) or not json_.TAKEN_KEYS.isdisjoint(names):
            return None
        prefix = where(0)[:-1]
        if not prefix.endswith(":") or where(1234) != f"{prefix}1234":
            return None
        fields = {
            n: (
                position.get(builder.columns[n], -1),
                dict(builder.codes.get(n) or {}) or None,
                f"{json_.ITEM}{_quoted(n)}: ",
            )
            for n in names
        }
        labels = position.get(builder.columns["labels"], -1)
        return cls(as_of, builder.config.timezone, fields, labels, _quoted(prefix)[:-1])

    def plans_for(self, policy: Policy, opened: Callable[[int], int] | None) -> tuple[_Plan, ...] | None:
        """The policy's clocks, worked out once; None when a message template needs the ordinary path."""
        if policy.name not in self.plans:
            try:
                self.plans[policy.name] = tuple(
                    self._plan(policy, metric, target, opened) for metric, target in policy.targets.items()
                )
            except _Unsupported:
                self.plans[policy.name] = None
        return self.plans[policy.name]

    def _plan(self, policy: Policy, metric: Metric, target: int, opened: Callable[[int], int] | None) -> _Plan:
        warn_at = min((threshold.elapsed_at(target) for threshold in policy.warn), default=_NEVER)
        fixed = {
            "metric": metric.value,
            "policy": policy.name,
            "calendar": policy.calendar_name,
            "target": format_duration(target),
        }
        steps: list[tuple[tuple[int, int], _Step]] = []
        for index, step in enumerate(policy.steps):
            known = {**fixed, "level": step.level, "notify": ", ".join(step.notify) or "nobody"}
            prefix, suffix = json_.actions_text([Action(step.level, step.notify, _SAMPLE)]).split(_quoted(_SAMPLE))
            after = self._parts(step.action or DEFAULT_AFTER_DUE, known)
            before = self._parts(step.action or DEFAULT_BEFORE_DUE, known)
            reached_at = step.elapsed_at(target)
            steps.append(((reached_at, index), (reached_at, _quoted(step.level), prefix, suffix, after, before)))
        template = json_.RESULT_SEPARATOR + json_.result_template(
            metric.value, policy.name, policy.calendar_name, target
        )
        ordered = tuple(s for _, s in sorted(steps, key=lambda pair: pair[0]))
        return METRIC_CODES[metric], target, metric in policy.pause, policy.calendar, opened, warn_at, ordered, template

    def _parts(self, template: str, known: dict[str, str]) -> _Parts:
        """A message template as fixed text and what follows it, as `escalation.action_for` fills it in."""
        parts: list[tuple[str, int | None]] = []
        text = ""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            raise _Unsupported from None
        dynamic = {
            "id": _ID,
            "state": _STATE,
            "overdue": _OVERDUE,
            "remaining": _REMAINING,
            "elapsed": _ELAPSED,
            "due": _DUE,
            "labels": _LABELS,
        }
        for literal, key, spec, conversion in parsed:
            text += literal
            if key is None:
                continue
            if spec or conversion or not key or not key.isidentifier():
                raise _Unsupported
            if key in known:
                text += known[key]
            elif key in dynamic or key in self.names:
                parts.append((text, dynamic[key] if key in dynamic else self.names[key]))
                text = ""
            # else: a name the export does not have prints as nothing
        parts.append((text, None))
        return tuple(parts)

    def issue(
        self,
        cells: list[str],
        line: int,
        ident: str,
        created: int,
        response: int | None,
        resolved: int | None,
        since: int,
        paused: bool,
        plans: tuple[_Plan, ...],
        states: list[int],
    ) -> str:
        """The results of one issue's clocks, each after its separator; each clock counted in `states`."""
        as_of, instant = self.as_of, self.instants.quoted
        texts = [(cells[index].strip() if index >= 0 else "") for index, _, _ in self.fields]
        tail = []
        for n, (_, codes, key) in enumerate(self.fields):
            text = texts[n]
            if codes is not None:
                text = texts[n] = codes.get(text, text)
            tail.append(f"{key}{_quoted(text)},")
        labels_cell = cells[self.labels] if self.labels >= 0 else ""
        labels = self.labels_seen.get(labels_cell)
        if labels is None:
            labels = self._labels(labels_cell)
        i = json_.ITEM
        tail.append(f'{i}"labels": {labels[0]},{i}"where": {self.where}{line}"\n    }}')
        issue_part = "".join(tail)
        quoted_id = _quoted(ident)
        out = []
        for code, target, pausable, calendar, opened, warn_at, steps, template in plans:
            if code == RESOLUTION:
                begin, stop = created, resolved
            elif code == FIRST_RESPONSE:
                begin, stop = created, response if response is not None else resolved
            else:
                begin, stop = since, resolved
            if stop is not None and stop > as_of:
                stop = None  # not stopped yet at as_of
            end = stop if stop is not None else as_of
            if end <= begin:
                total = 0
            elif opened is None:
                total = end - begin
            else:
                total = opened(end) - opened(begin)
            held = -1  # where an open pause starts, if the clock has one
            spent = 0  # business seconds paused
            if paused and pausable:
                held = since if since > begin else begin
                if held > end:
                    held = -1
                elif held < end:
                    spent = end - held if opened is None else opened(end) - opened(held)
            elapsed = total - spent
            due = calendar.add_ts(begin, target)
            if held >= 0 and due > held:  # not reached before the pause: the rest counts from as_of
                before = 0 if held <= begin else (held - begin if opened is None else opened(held) - opened(begin))
                due = calendar.add_ts(as_of if as_of > held else held, target - before)
            if stop is not None:
                state = MET if elapsed <= target else MISSED
            elif elapsed >= target:
                state = BREACHED
            elif held >= 0:
                state = PAUSED
            elif elapsed >= warn_at:
                state = WARNING
            else:
                state = OK
            states[state] += 1
            level, actions = "null", "[]"
            if stop is None and steps:
                reached = None
                for step in steps:
                    if elapsed < step[0]:
                        break
                    reached = step
                if reached is not None:
                    _, level, prefix, suffix, after, before_due = reached
                    remaining = target - elapsed
                    message = self._message(
                        after if remaining <= 0 else before_due, ident, state, remaining, elapsed, due, labels, texts
                    )
                    actions = prefix + _quoted(message) + suffix
            out.append(
                template
                % (
                    quoted_id,
                    _STATE_TEXTS[state],
                    instant(begin),
                    instant(due),
                    "null" if stop is None else instant(stop),
                    elapsed,
                    target - elapsed,
                    spent,
                    "null",
                    "null",
                    level,
                    actions,
                    issue_part,
                )
            )
        return "".join(out)

    def _labels(self, cell: str) -> tuple[str, str]:
        labels = as_labels(cell)
        if len(self.labels_seen) > 10_000:
            self.labels_seen.clear()
        found = self.labels_seen[cell] = (json_.labels_text(labels), ", ".join(labels))
        return found

    def _message(
        self,
        parts: _Parts,
        ident: str,
        state: int,
        remaining: int,
        elapsed: int,
        due: int,
        labels: tuple[str, str],
        texts: list[str],
    ) -> str:
        out = []
        for text, what in parts:
            out.append(text)
            if what is None:
                continue
            if what >= 0:
                out.append(texts[what])
            elif what == _ID:
                out.append(ident)
            elif what == _STATE:
                out.append(_STATE_VALUES[state])
            elif what == _OVERDUE:
                out.append(format_duration(max(-remaining, 0)))
            elif what == _REMAINING:
                out.append(format_duration(max(remaining, 0)))
            elif what == _ELAPSED:
                out.append(format_duration(elapsed))
            elif what == _DUE:
                out.append(self.instants.quoted(due)[1:-1])
            else:
                out.append(labels[1])
        return "".join(out)


_SAMPLE = "\0"  # a message, to cut an action's text around


class _Unsupported(Exception):
    """A message template the lane does not fill in: its policy's rows take the ordinary path."""


class Instants:
    """Quoted ISO 8601 texts of epoch seconds in a zone, as `writers.iso` writes them. A UTC day over which the
    zone's offset does not change is remembered as that offset and its text; a time is then the local date's
    text and two small tables' (minutes, seconds). Other days (a DST change) ask `datetime`."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.days: dict[int, tuple[int, str] | tuple[()]] = {}  # UTC day -> (offset, its text + '"'), or ()
        self.dates: dict[int, str] = {}  # local day -> '"YYYY-MM-DDT'
        self.minutes = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
        self.seconds = [f"{s:02d}" for s in range(60)]

    def quoted(self, moment: int) -> str:
        day = moment // DAY
        known = self.days.get(day)
        if not known:
            known = self._learn(day) if known is None else known
            if not known:
                return f'"{iso(moment, self.tz)}"'
        local = moment + known[0]
        local_day = local // DAY
        second = local - local_day * DAY
        start = self.dates.get(local_day) or self._date(local_day)
        return start + self.minutes[second // 60] + self.seconds[second % 60] + known[1]

    def _learn(self, day: int) -> tuple[int, str] | tuple[()]:
        if len(self.days) > 100_000:
            self.days.clear()
        midnight = day * DAY
        probes = [datetime.fromtimestamp(midnight + step, self.tz) for step in (*range(0, DAY, 3 * 3600), DAY - 1)]
        offsets = {probe.utcoffset() for probe in probes}
        offset = probes[0].utcoffset()
        if len(offsets) > 1 or offset is None or offset.microseconds:
            self.days[day] = ()
            return ()
        found = self.days[day] = (int(offset.total_seconds()), probes[0].isoformat()[19:] + '"')
        return found

    def _date(self, local_day: int) -> str:
        if len(self.dates) > 100_000:
            self.dates.clear()
        text = self.dates[local_day] = f'"{date.fromordinal(local_day + _EPOCH_ORDINAL).isoformat()}T'
        return text


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
