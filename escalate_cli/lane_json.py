"""JSON results of the fast lane's plain rows, written straight from their cells and epoch seconds.

For a plain CSV row (see `fastlane`: timestamps the lane reads itself, an id, no stop before the start), this
writes what `sla.clock_for` and `writers.json_.result_text` would make of it, byte for byte, without building
the issue or its clocks. Such a row is a snapshot without history: its only pause is the open one of a paused
status, from its last update, and it never changed policy. The numbers come from the policy's calendar
(`Calendar.tables`: `opened` and `reach`, which are `elapsed_ts` and `add_ts` by tables of days); the text from
`json_.result_template`, the writer's own layout. An escalation message is filled in from its template's
parts; a template with a format spec or a conversion sends its policy's rows to the ordinary path. Tests compare
both paths on random exports and at every threshold to the second.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone, tzinfo

from escalate_cli.business_time import DAY, UTC_NAMES, OpenTables
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
_SAMPLE = "\0"  # a stand-in value, to cut the writer's text around: JSON text never holds it as it is

# What a message part fills in, besides fixed text: these, or a field (its index in the issue's texts, from 0)
_ID, _STATE, _OVERDUE, _REMAINING, _ELAPSED, _DUE, _LABELS = range(-7, 0)
_Parts = tuple[tuple[str, int | None], ...]  # (fixed text, what follows it)
# A step: the elapsed seconds that reach it, its level (quoted), its action's text around the message, and the
# message's parts after due and before (the same unless the step's template is the default one)
_Step = tuple[int, str, str, str, _Parts, _Parts]
# A clock: metric code, target, pausable, its calendar's tables from as_of (None: always open), warning at,
# steps, result template
_Plan = tuple[int, int, bool, OpenTables | None, int, tuple[_Step, ...], str]


class JsonResults:
    """The results of one CSV export's plain rows, for a config and an instant."""

    def __init__(
        self,
        as_of: int,
        tz: tzinfo,
        fields: dict[str, tuple[int, Mapping[str, str] | None]],
        labels: int,
        where: str,
    ) -> None:
        """`fields`: the mapped text fields in order, each with its column (-1: none) and its codes; `where`:
        the export's name and a colon, before the line number."""
        self.as_of = as_of
        self.instants = Instants(tz)
        self.columns = tuple(column for column, _ in fields.values())
        self.coded = tuple((n, codes) for n, (_, codes) in enumerate(fields.values()) if codes)
        self.names = {name: n for n, name in enumerate(fields)}  # field -> its index in the issue's texts
        self.labels = labels  # the labels column (-1: none)
        # The issue's part of a result (json_.issue_part), with slots for the texts (quoted), labels and line
        part = json_.issue_part(dict.fromkeys(fields, _SAMPLE), _SAMPLE, _SAMPLE).replace("%", "%%")
        where_text = _quoted(where)[:-1].replace("%", "%%") + '%d"'
        self.tail = part.replace(_quoted(_SAMPLE), "%s").replace(_SAMPLE, "%s", 1).replace(_SAMPLE, where_text, 1)
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
        fields = {n: (position.get(builder.columns[n], -1), builder.codes.get(n) or None) for n in names}
        labels = position.get(builder.columns["labels"], -1)
        return cls(as_of, builder.config.timezone, fields, labels, prefix)

    def plans_for(self, policy: Policy, tables: OpenTables | None) -> tuple[_Plan, ...] | None:
        """The policy's clocks, worked out once; None when a message template needs the ordinary path.
        `tables`: those of the policy's calendar, anchored at as_of (None: always open)."""
        if policy.name not in self.plans:
            try:
                self.plans[policy.name] = tuple(
                    self._plan(policy, metric, target, tables) for metric, target in policy.targets.items()
                )
            except _Unsupported:
                self.plans[policy.name] = None
        return self.plans[policy.name]

    def _plan(self, policy: Policy, metric: Metric, target: int, tables: OpenTables | None) -> _Plan:
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
        return METRIC_CODES[metric], target, metric in policy.pause, tables, warn_at, ordered, template

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
        texts = [cells[index].strip() if index >= 0 else "" for index in self.columns]
        for n, codes in self.coded:
            texts[n] = codes.get(texts[n], texts[n])
        labels_cell = cells[self.labels] if self.labels >= 0 else ""
        labels = self.labels_seen.get(labels_cell) or self._labels(labels_cell)
        issue_part = self.tail % (*map(_quoted, texts), labels[0], line)
        quoted_id = _quoted(ident)
        out = []
        at_created = at_held = None  # opened(created), opened(held) once a clock needs them
        created_text = stop_text = ""  # instant(created), instant(stopped)
        stopped = None
        for code, target, pausable, tables, warn_at, steps, template in plans:
            if code == RESOLUTION:
                begin, stop = created, resolved
            elif code == FIRST_RESPONSE:
                begin, stop = created, response if response is not None else resolved
            else:
                begin, stop = since, resolved
            if stop is not None and stop > as_of:
                stop = None  # not stopped yet at as_of
            end = stop if stop is not None else as_of
            held = -1  # where an open pause starts, if the clock has one
            if paused and pausable:
                held = since if since > begin else begin
                if held > end:
                    held = -1
            if tables is None:
                total = end - begin if end > begin else 0
                spent = end - held if held >= 0 else 0  # business seconds paused
                due = begin + target
                if held >= 0 and due > held:  # not reached before the pause: the rest counts from as_of
                    due = (as_of if as_of > held else held) + target - (held - begin)
            else:
                opened, reach = tables
                if begin == created:
                    at_begin = at_created if at_created is not None else (at_created := opened(created))
                else:
                    at_begin = opened(begin)
                at_end = 0 if end == as_of else opened(end)  # 0: as_of is the anchor
                total = at_end - at_begin if end > begin else 0
                spent = 0
                due = reach(begin, target)
                if held >= 0:
                    if at_held is None:
                        at_held = opened(held)
                    spent = at_end - at_held
                    if due > held:
                        due = reach(as_of if as_of > held else held, target - (at_held - at_begin))
            elapsed = total - spent
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
            if begin != created:
                begin_text = instant(begin)
            elif created_text:
                begin_text = created_text
            else:
                begin_text = created_text = instant(created)
            if stop is None:
                end_text = "null"
            elif stop == stopped:
                end_text = stop_text
            else:
                stopped, end_text = stop, instant(stop)
                stop_text = end_text
            out.append(
                template
                % (
                    quoted_id,
                    _STATE_TEXTS[state],
                    begin_text,
                    instant(due),
                    end_text,
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


class _Unsupported(Exception):
    """A message template the lane does not fill in: its policy's rows take the ordinary path."""


class Instants:
    """Quoted ISO 8601 texts of epoch seconds in a zone, as `writers.iso` writes them: the local date's text,
    then the minute's and the second's with the offset's, from small tables. A zone with one offset has one
    table of seconds; otherwise each UTC day over which the offset does not change is remembered with its
    offset and table, and other days (a DST change) ask `datetime`."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.days: dict[int, tuple[int, list[str]] | tuple[()]] = {}  # UTC day -> (offset, seconds), or ()
        self.dates: dict[int, str] = {}  # local day -> '"YYYY-MM-DDT'
        self.minutes = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
        self.suffixes: dict[str, list[str]] = {}  # an offset's text -> the seconds' texts with it, and '"'
        self.offset = 0
        self.quoted: Callable[[int], str] = self._zoned
        if isinstance(tz, timezone) or getattr(tz, "key", None) in UTC_NAMES:  # one offset, always
            offset, self.seconds = self._offset(0)
            self.offset = offset
            self.quoted = self._fixed

    def _fixed(self, moment: int) -> str:
        local = moment + self.offset
        day = local // DAY
        second = local - day * DAY
        return (self.dates.get(day) or self._date(day)) + self.minutes[second // 60] + self.seconds[second % 60]

    def _zoned(self, moment: int) -> str:
        day = moment // DAY
        known = self.days.get(day)
        if not known:
            known = self._learn(day) if known is None else known
            if not known:
                return f'"{iso(moment, self.tz)}"'
        local = moment + known[0]
        day = local // DAY
        second = local - day * DAY
        return (self.dates.get(day) or self._date(day)) + self.minutes[second // 60] + known[1][second % 60]

    def _learn(self, day: int) -> tuple[int, list[str]] | tuple[()]:
        if len(self.days) > 100_000:
            self.days.clear()
        midnight = day * DAY
        offsets = {self._offset(midnight + step)[0] for step in (*range(0, DAY, 3 * 3600), DAY - 1)}
        found = self.days[day] = self._offset(midnight) if len(offsets) == 1 else ()
        return found

    def _offset(self, moment: int) -> tuple[int, list[str]]:
        """The zone's offset at a moment and the seconds' texts with it."""
        local = datetime.fromtimestamp(moment, self.tz)
        offset = local.utcoffset()
        assert offset is not None
        suffix = local.isoformat()[19:]
        seconds = self.suffixes.get(suffix) or self.suffixes.setdefault(
            suffix, [f'{s:02d}{suffix}"' for s in range(60)]
        )
        return offset.days * DAY + offset.seconds, seconds

    def _date(self, local_day: int) -> str:
        if len(self.dates) > 100_000:
            self.dates.clear()
        text = self.dates[local_day] = f'"{date.fromordinal(local_day + _EPOCH_ORDINAL).isoformat()}T'
        return text


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
