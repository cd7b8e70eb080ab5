"""JSON results of the fast lane's plain rows, written straight from their cells and epoch seconds.

For a plain CSV row (see `fastlane`: timestamps the lane reads itself, an id, no stop before the start), this
writes what `sla.clock_for` and `writers.json_.result_text` would make of it, byte for byte, without building
the issue or its clocks. Such a row is a snapshot without history: its only pause is the open one of a paused
status, from its last update, and it never changed policy. The numbers come from the policy's calendar
(`Calendar.tables`: `opened` and `reach`, which are `elapsed_ts` and `add_ts` by tables of days; a due time is
remembered by the open seconds it is the first to reach, which most starts share). The text comes from
`json_.result_template`, the writer's own layout, and `json_.issue_part`, each compiled into an f-string
(`_joined`), as is each escalation message's template; a template with a format spec or a conversion sends its
policy's rows to the ordinary path. Tests compare both paths on random exports and at every threshold to the
second.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, timezone, tzinfo
from typing import NamedTuple

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
_SEEN_KEPT = 4096  # quoted texts remembered per recurring column
_DUES_KEPT = 4096  # due times a clock's plan remembers (the starts in business hours each add one); then it forgets
_SAMPLE = "\0"  # a stand-in value, to cut the writer's text around: JSON text never holds it as it is

# A message: a `_joined` function of (ident, state, remaining, elapsed, due, labels, cells)
_Message = Callable[[str, int, int, int, int, tuple[str, str], list[str]], str]
# What a message template's names become in it, besides the config's own and the fields (`_message` binds the
# names these use)
_MESSAGE_CODES = {
    "id": "ident",
    "state": "STATE_VALUES[state]",
    "overdue": "duration(-remaining if remaining < 0 else 0)",
    "remaining": "duration(remaining if remaining > 0 else 0)",
    "elapsed": "duration(elapsed)",
    "due": "instant(due)[1:-1]",
    "labels": "labels[1]",
}
# A step: the elapsed seconds that reach it, its level (quoted), its action's text around the message, and the
# message after due and before (the same unless the step's template is the default one)
_Step = tuple[int, str, str, str, _Message, _Message]
# A clock: metric code, target, pausable, its calendar's tables from as_of (None: always open), warning at,
# steps, its result's text (a `_joined` function of _RESULT_SLOTS), and the due times found so far: by the open
# seconds (`opened`) a due time is the first to reach, that time and its text
_Plan = tuple[int, int, bool, OpenTables | None, int, tuple[_Step, ...], Callable[..., str], dict[int, tuple[int, str]]]


class JsonResults:
    """The results of one CSV export's plain rows, for a config and an instant."""

    def __init__(
        self,
        as_of: int,
        tz: tzinfo,
        fields: dict[str, tuple[int, Mapping[str, str] | None]],
        labels: int,
        where: str,
        recurring: Collection[int] = (),
    ) -> None:
        """`fields`: the mapped text fields in order, each with its column (-1: none) and its codes; `where`:
        the export's name and a colon, before the line number; `recurring`: columns whose cells come back row
        after row (the lane's key columns: status and matched fields), whose quoted texts are remembered."""
        self.as_of = as_of
        self.instants = Instants(tz)
        self.labels = labels  # the labels column (-1: none)
        # Each field's text in the cells `c` (an expression, as `_joined` takes it), or "" without a column; and
        # the code tables those expressions use
        self.field_texts: dict[str, str | _Code] = {}
        self.codes: dict[str, object] = {}
        for n, (name, (column, codes)) in enumerate(fields.items()):
            if column < 0:
                self.field_texts[name] = ""
            elif codes:
                self.codes[f"codes{n}"] = codes
                self.field_texts[name] = _Code(f"codes{n}.get(c[{column}].strip(), c[{column}].strip())")
            else:
                self.field_texts[name] = _Code(f"c[{column}].strip()")
        self.part = self._part(fields, where, recurring)
        self.labels_seen: dict[str, tuple[str, str]] = {}  # labels cell -> its JSON, its text in messages
        self.plans: dict[str, tuple[_Plan, ...] | None] = {}

    @classmethod
    def for_export(
        cls,
        builder: IssueBuilder,
        header: list[str],
        where: Callable[[int], str],
        as_of: int,
        recurring: Collection[int] = (),
    ) -> JsonResults | None:
        """None when a column the results read is repeated (its cells are merged into a list), a mapped field
        takes a result key's name (the writer then renders another way) or `where` is not `file:line`.
        `recurring`: see `__init__`."""
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
        return cls(as_of, builder.config.timezone, fields, labels, prefix, recurring)

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

    def _part(
        self, fields: dict[str, tuple[int, Mapping[str, str] | None]], where: str, recurring: Collection[int]
    ) -> Callable[..., str]:
        """The issue's part of a result (`json_.issue_part`) as a function of its cells, labels' JSON and line.
        A field in a recurring column is looked up by its cell (which the lane has hashed already, for its key)
        rather than stripped and quoted again."""
        fixed = json_.issue_part(dict.fromkeys(fields, _SAMPLE), _SAMPLE, _SAMPLE).split(_quoted(_SAMPLE))
        pieces: list[str | _Code] = [fixed[0]]
        bound: dict[str, object] = {"quoted": _quoted, **self.codes}
        for n, (field_text, (column, _), text) in enumerate(zip(self.field_texts.values(), fields.values(), fixed[1:])):
            if isinstance(field_text, str):
                quoted: str | _Code = _quoted(field_text)
            elif column in recurring:
                text_of = _joined("c", [_Code(f"quoted({field_text.expression})")], bound)
                bound[f"seen{n}"], bound[f"learn{n}"] = _remembered(text_of, column)
                quoted = _Code(f"seen{n}.get(c[{column}]) or learn{n}(c)")
            else:
                quoted = _Code(f"quoted({field_text.expression})")
            pieces += [quoted, text]
        before_labels, between, after_where = fixed[-1].split(_SAMPLE)
        pieces[-1:] = [before_labels, _Code("labels"), between, _quoted(where)[:-1], _Code("line"), '"', after_where]
        return _joined("c, labels, line", pieces, bound)

    def _plan(self, policy: Policy, metric: Metric, target: int, tables: OpenTables | None) -> _Plan:
        if target <= 0:  # a due time is then its start, which its open seconds do not tell (config refuses these)
            raise _Unsupported
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
            after = self._message(step.action or DEFAULT_AFTER_DUE, known)
            before = self._message(step.action or DEFAULT_BEFORE_DUE, known)
            reached_at = step.elapsed_at(target)
            steps.append(((reached_at, index), (reached_at, _quoted(step.level), prefix, suffix, after, before)))
        template = json_.RESULT_SEPARATOR + json_.result_template(
            metric.value, policy.name, policy.calendar_name, target
        )
        slots = iter(_RESULT_SLOTS)
        pieces = [
            "%" if token == "%%" else next(slots) if token in ("%s", "%d") else token
            for token in re.split("(%%|%[sd])", template)  # "%%": a name's own "%", written doubled
        ]
        assert next(slots, None) is None, "every slot of the template is filled"
        render = _joined(", ".join(slot.expression for slot in _RESULT_SLOTS if isinstance(slot, _Code)), pieces, {})
        ordered = tuple(s for _, s in sorted(steps, key=lambda pair: pair[0]))
        return METRIC_CODES[metric], target, metric in policy.pause, tables, warn_at, ordered, render, {}

    def _message(self, template: str, known: dict[str, str]) -> _Message:
        """A message template as `escalation.action_for` fills it in, as a function (see `_Message`)."""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            raise _Unsupported from None
        pieces: list[str | _Code] = []
        for literal, key, spec, conversion in parsed:
            pieces.append(literal)
            if key is None:
                continue
            if spec or conversion or not key or not key.isidentifier():
                raise _Unsupported
            if key in known:
                pieces.append(known[key])
            elif key in _MESSAGE_CODES:
                pieces.append(_Code(_MESSAGE_CODES[key]))
            elif key in self.field_texts:
                pieces.append(self.field_texts[key])
            # else: a name the export does not have prints as nothing
        bound = {
            **self.codes,
            "STATE_VALUES": _STATE_VALUES,
            "duration": format_duration,
            "instant": self.instants.quoted,
        }
        return _joined("ident, state, remaining, elapsed, due, labels, c", pieces, bound)

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
        out: list[str],
    ) -> None:
        """Append the results of one issue's clocks to `out`, each after its separator; count each clock in
        `states`."""
        as_of, instant = self.as_of, self.instants.quoted
        labels_cell = cells[self.labels] if self.labels >= 0 else ""
        labels = self.labels_seen.get(labels_cell) or self._labels(labels_cell)
        issue_part = self.part(cells, labels[0], line)
        quoted_id = _quoted(ident)
        at_created = at_held = None  # opened(created), opened(held) once a clock needs them
        created_text = stop_text = ""  # instant(created), instant(stopped)
        stopped = None
        for code, target, pausable, tables, warn_at, steps, render, dues in plans:
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
                due_text = instant(due)
            else:
                opened, reach = tables
                if begin == created:
                    at_begin = at_created if at_created is not None else (at_created := opened(created))
                else:
                    at_begin = opened(begin)
                at_end = 0 if end == as_of else opened(end)  # 0: as_of is the anchor
                total = at_end - at_begin if end > begin else 0
                spent = 0
                # The first instant with at_begin + target open seconds: the same for every start in a closed
                # stretch (most starts, outside business hours), so it is remembered by those seconds.
                known = dues.get(at_begin + target)
                if known is None:
                    if len(dues) >= _DUES_KEPT:
                        dues.clear()
                    due = reach(begin, target)
                    known = dues[at_begin + target] = (due, instant(due))
                due, due_text = known
                if held >= 0:
                    if at_held is None:
                        at_held = opened(held)
                    spent = at_end - at_held
                    if due > held:
                        due = reach(as_of if as_of > held else held, target - (at_held - at_begin))
                        due_text = instant(due)
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
                    message = (after if remaining <= 0 else before_due)(
                        ident, state, remaining, elapsed, due, labels, cells
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
                render(
                    quoted_id,
                    _STATE_TEXTS[state],
                    begin_text,
                    due_text,
                    end_text,
                    elapsed,
                    target - elapsed,
                    spent,
                    level,
                    actions,
                    issue_part,
                )
            )

    def _labels(self, cell: str) -> tuple[str, str]:
        labels = as_labels(cell)
        if len(self.labels_seen) > 10_000:
            self.labels_seen.clear()
        found = self.labels_seen[cell] = (json_.labels_text(labels), ", ".join(labels))
        return found


def _remembered(text_of: Callable[[list[str]], str], column: int) -> tuple[dict[str, str], Callable[..., str]]:
    """A field's texts remembered by its cell in `column`: the dictionary, and the function that works one out
    from the cells (`text_of`) and keeps it."""
    seen: dict[str, str] = {}

    def learn(cells: list[str]) -> str:
        if len(seen) >= _SEEN_KEPT:  # a match on free text could make it grow without bound
            seen.clear()
        text = seen[cells[column]] = text_of(cells)
        return text

    return seen, learn


class _Code(NamedTuple):
    """A Python expression in a `_joined` function's text."""

    expression: str


# What fills each slot of `json_.result_template` in the lane: the arguments of a clock's render function, in
# order, and two keys that are always null here (the lane's rows never change policy)
_RESULT_SLOTS: tuple[str | _Code, ...] = (
    *map(_Code, ("issue", "state", "started", "due", "stopped", "elapsed", "remaining", "paused")),
    "null",
    "null",
    *map(_Code, ("level", "actions", "part")),
)


def _joined(parameters: str, pieces: Sequence[str | _Code], bound: dict[str, object]) -> Callable[..., str]:
    """A function of `parameters` returning its pieces joined: fixed texts as they are, each `_Code` as the text
    of its value (`str` of an int, as `%d` writes it). It is compiled to a single f-string, which costs half as much
    as filling in a `%` template of the same text. The fixed texts are bound by name, never read as code; the
    expressions may use the parameters and the names in `bound`."""
    namespace = dict(bound)
    body: list[str] = []
    text = ""
    for piece in (*pieces, _Code("")):
        if not isinstance(piece, _Code):
            text += piece
            continue
        if text:
            name = f"_text{len(body)}"
            namespace[name] = text
            body.append(f"{{{name}}}")
            text = ""
        if piece.expression:
            if any(c in piece.expression for c in "'\\{}\n"):  # it could end the f-string or its field
                raise ValueError(f"not an expression for an f-string field: {piece.expression!r}")
            body.append(f"{{{piece.expression}}}")
    exec(f"def joined({parameters}):\n    return f'{''.join(body)}'\n", namespace)
    return namespace["joined"]  # type: ignore[return-value]


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
        if isinstance(tz, timezone) or getattr(tz, "key", None) in UTC_NAMES:  # one offset, always
            self.quoted: Callable[[int], str] = self._fixed(*self._offset(0))
        else:
            self.quoted = self._zoned()

    # Both are closures over their tables, and build the text as one f-string: an instant is written two or
    # three times per issue, and attribute lookups and `+` would cost a third of it.
    def _fixed(self, offset: int, seconds: list[str]) -> Callable[[int], str]:
        dates_get, new_date, minutes = self.dates.get, self._date, self.minutes

        def fixed(moment: int) -> str:
            local = moment + offset
            day = local // DAY
            second = local - day * DAY
            return f"{dates_get(day) or new_date(day)}{minutes[second // 60]}{seconds[second % 60]}"

        return fixed

    def _zoned(self) -> Callable[[int], str]:
        days_get, learn, tz = self.days.get, self._learn, self.tz
        dates_get, new_date, minutes = self.dates.get, self._date, self.minutes

        def zoned(moment: int) -> str:
            day = moment // DAY
            known = days_get(day)
            if not known:
                known = learn(day) if known is None else known
                if not known:
                    return f'"{iso(moment, tz)}"'
            local = moment + known[0]
            day = local // DAY
            second = local - day * DAY
            return f"{dates_get(day) or new_date(day)}{minutes[second // 60]}{known[1][second % 60]}"

        return zoned

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
