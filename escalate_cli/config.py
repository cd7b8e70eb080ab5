"""YAML config -> validated, frozen Config. The only importer of yaml and holidays; stops at the first error."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, tzinfo
from difflib import get_close_matches
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalate_cli.business_time import DAY, Calendar, PartDay, Window
from escalate_cli.channels import Channel, Contact
from escalate_cli.durations import format_clock, format_duration, parse_duration
from escalate_cli.errors import ConfigError, ConfigErrors
from escalate_cli.model import (
    BUILT_IN,
    BUILT_IN_NAMES,
    JSON_ONLY_KEYS,
    RESULT_KEYS,
    ClockDef,
    Condition,
    Metric,
    Pattern,
    Policy,
    Statuses,
    Step,
    Target,
    Threshold,
    Trigger,
    WorkingDays,
    format_target,
)
from escalate_cli.presets import PRESETS, Preset

STANDARD_FIELDS = ("id", "created", "first_response", "resolved", "updated", "status", "priority", "labels", "title")
TIMESTAMP_FIELDS = frozenset({"created", "first_response", "resolved", "updated"})
TEMPLATE_KEYS = frozenset(
    {
        "id",
        "metric",
        "policy",
        "calendar",
        "level",
        "notify",
        "state",
        "overdue",
        "remaining",
        "elapsed",
        "target",
        "due",
    }
)
RESERVED_FIELDS = frozenset({*RESULT_KEYS, *JSON_ONLY_KEYS, "notify", "where"})
_TOP_KEYS = (
    "source",
    "timezone",
    "dayfirst",
    "records",
    "delimiter",
    "encoding",
    "fields",
    "statuses",
    "history",
    "on_reclassify",
    "reopen",
    "include_pull_requests",
    "calendars",
    "clocks",
    "messages",
    "policies",
    "channels",
    "contacts",
)
_CHANNEL_KEYS = {
    "webhook": ("type", "url", "headers", "timeout", "retries", "backoff", "hours", "give_up_after"),
    "email": (
        "type",
        "host",
        "port",
        "from",
        "to",
        "starttls",
        "ssl",
        "username",
        "password",
        "allow_plaintext",
        "timeout",
        "retries",
        "backoff",
        "hours",
        "give_up_after",
    ),
    "command": ("type", "run", "timeout", "retries", "backoff", "hours", "give_up_after"),
}
_CONTACT_KEYS = ("by", "map", "default")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CALENDAR_KEYS = ("timezone", "hours", "holidays", "special")
_HOLIDAY_KEYS = ("country", "subdivision", "categories", "dates")
_POLICY_KEYS = ("name", "match", "calendar", "targets", "warn", "escalate", "pause", "goal")
_STATUS_KEYS = ("closed", "paused")
_STEP_KEYS = ("after", "level", "notify", "action")
_CLOCK_KEYS = ("start", "stop", "pause", "cycles", "starts_after")
_STARTS_AT = ("created", "updated", "first_reply")
_STOPS_AT = ("first_reply", "resolved")
_ROLES = ("customer", "agent")
_CLOCK_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ROLE_COLUMN = "author_role"  # whose a message is, where an export says it in a column (and packed messages get)
_GITHUB_COMMENT = Condition("issue_url", patterns=(Pattern(".+"),))  # a GitHub REST issue comment
DEFAULT_MESSAGES: dict[str, tuple[tuple[Condition, ...], ...]] = {
    "customer": (
        (
            Condition(
                ROLE_COLUMN,
                frozenset(
                    {"customer", "end-user", "end_user", "enduser", "requester", "requestor", "reporter", "user"}
                ),
            ),
        ),
        (
            _GITHUB_COMMENT,
            Condition(
                "author_association",
                frozenset({"none", "contributor", "first_timer", "first_time_contributor", "mannequin"}),
            ),
        ),
    ),
    "agent": (
        (Condition(ROLE_COLUMN, frozenset({"agent", "admin", "staff", "support", "owner", "assignee"})),),
        (_GITHUB_COMMENT, Condition("author_association", frozenset({"owner", "member", "collaborator"}))),
    ),
}
"""Which rows are messages, and whose (any of the alternatives, each a condition of all its keys), where the
config has no `messages:`: an `author_role` column, or a GitHub issue comment by its author's association with
the repository (members and collaborators answer, anyone else asks)."""
NOTE_COLUMN = "public"  # a message row whose `public` is false, no or 0 is an internal note: no message
_FIELD_KEYS = ("column", "format")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*-\s*(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MAX_EXPANDED_NODES = 100_000
DEFAULT_WARN = (Threshold(share=Fraction(3, 4)),)
DEFAULT_PAUSE = frozenset({Metric.RESOLUTION.value, Metric.UPDATE.value})
ALWAYS = "24x7"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    column: str  # a column name, or a dotted path into JSON records
    format: str | None = None  # strptime format for a timestamp field


@dataclass(frozen=True)
class Config:
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    source: str = "generic"
    source_given: bool = False  # the config or --source names it; else each export's is detected (readers.sniff)
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)  # as written in the config
    dayfirst: bool | None = None  # None: decided per export from dates that are unambiguous
    records: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    status_words: Statuses | None = None  # as written in the config; else the preset's
    history: bool | None = None  # None: an export with repeated ids and changing update times is an event log
    restart_on_reclassify: bool = False
    hold_reopened: bool = True  # `reopen: pause`: the time an issue sat resolved before a reopening is not counted
    include_pull_requests: bool = False
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    clocks: Mapping[str, ClockDef] = field(default_factory=dict)  # the config's own `clocks:`
    messages: Mapping[str, tuple[tuple[Condition, ...], ...]] = field(default_factory=lambda: dict(DEFAULT_MESSAGES))
    channels: Mapping[str, Channel] = field(default_factory=dict)
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    lint: tuple[str, ...] = ()  # what `validate` warns about: valid, but likely not what was meant

    @property
    def preset(self) -> Preset:
        return PRESETS[self.source]

    @property
    def statuses(self) -> Statuses:
        words = self.status_words or Statuses(frozenset(self.preset.closed), frozenset(self.preset.paused))
        return replace(words, hold_reopened=self.hold_reopened)

    def columns(self, name: str) -> tuple[str, ...]:
        """Candidate columns for a field: the config's own, else the preset's, else the field's own name."""
        spec = self.fields.get(name)
        if spec is not None:
            return (spec.column,)
        return self.preset.fields.get(name, (name,))

    def column(self, name: str) -> str:
        return self.columns(name)[0]

    def columns_used(self) -> frozenset[str]:
        """Export columns the policies match on or contacts route by: all an issue must keep of its raw row."""
        keys = {condition.key for policy in self.policies for condition in policy.match}
        for clock in self.clocks.values():
            for trigger in (*clock.start, *clock.stop, *clock.pause):
                keys |= {c.key for c in trigger.when} | ({trigger.changes} if trigger.changes else set())
        if self.reads_messages:
            keys |= {c.key for ways in self.messages.values() for way in ways for c in way} | {NOTE_COLUMN}
            for preset in PRESETS.values():  # the keys its audits are told by (`presets.Audit`)
                if preset.audit is not None:
                    a = preset.audit
                    keys |= {a.kind, a.public, a.author, a.requester}
        keys |= {contact.by for contact in self.contacts.values() if contact.by}
        keys |= {p.record_key for p in PRESETS.values() if p.record_key}  # copies of a record are told by it
        return frozenset(keys)

    @property
    def reads_messages(self) -> bool:
        """Some clock starts or stops at messages: rows the `messages:` conditions pick are messages."""
        return any(t.message for clock in self.clocks.values() for t in (*clock.start, *clock.stop))

    def with_source(self, source: str) -> Config:
        if source not in PRESETS:
            raise ConfigError("--source", f"unknown source {source!r}{_hint(source, PRESETS)}")
        return replace(self, source=source, source_given=True)


class HolidaySet:
    """Whole days off: explicit dates plus a `holidays` package calendar, whose years are built when first asked;
    and the package's half days (category `half_day`, `part`), which close early where their name says when
    ("from 1pm", "workday shortened by 3 hours") and all day where it does not (`calendar` lints those)."""

    def __init__(self, dates: Collection[date], country: Any = None, part: Any = None) -> None:
        self.dates = frozenset(dates)
        self.country = country
        self.part = part

    def __contains__(self, day: object) -> bool:
        if day in self.dates or (self.country is not None and day in self.country):
            return True
        return isinstance(day, date) and self.part is not None and day in self.part and self.part_day(day) is None

    def part_day(self, day: date) -> PartDay | None:
        name = self.part.get(day) if self.part is not None else None
        return part_day(name) if name is not None else None

    def untimed(self, day: date) -> str | None:
        name = self.part.get(day) if self.part is not None else None
        return str(name) if name is not None and part_day(name) is None else None

    def name(self, day: date) -> str | None:
        if self.country is not None and day in self.country:
            return str(self.country.get(day))
        if day in self.dates:
            return "day off (holidays.dates)"
        return str(self.part.get(day)) if self.part is not None and day in self.part else None


_FROM = re.compile(r"\bfrom (\d{1,2})(?::(\d\d))?\s*([ap])m\b", re.IGNORECASE)
_SHORTER = re.compile(r"\bshortened by (\d+) hours?\b", re.IGNORECASE)


def part_day(name: str) -> PartDay | None:
    """When a half day of the `holidays` package closes, from its English name; None where it does not say."""
    found = _FROM.search(name)
    if found is not None:
        hour, minute, half = int(found[1]) % 12, int(found[2] or 0), found[3].lower()
        return PartDay(closes=(hour + (12 if half == "p" else 0)) * 3600 + minute * 60)
    found = _SHORTER.search(name)
    return PartDay(shorter=int(found[1]) * 3600) if found is not None else None


def holiday_name(calendar: Calendar, day: date) -> str | None:
    """The name of the holiday that closes `day` on this calendar, if any."""
    closed = calendar.closed
    return closed.name(day) if isinstance(closed, HolidaySet) else None


def holiday_years(calendar: Calendar) -> tuple[int, int] | None:
    """The years the calendar's holiday package data covers, if it uses the package."""
    closed = calendar.closed
    country = closed.country if isinstance(closed, HolidaySet) else None
    if country is None:
        return None
    return int(getattr(country, "start_year", 1)), int(getattr(country, "end_year", 9999))


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read the config: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    data, lines = _load_yaml(text, str(path))
    try:
        return parse_config(data)
    except ConfigError as exc:  # every message names the file and line: `escalate.yaml:7: policies[1].targets: ...`
        each = exc.problems if isinstance(exc, ConfigErrors) else [exc]
        located = sorted((_line(problem.where, lines), n, problem) for n, problem in enumerate(each))
        raise ConfigErrors(
            [
                ConfigError(str(path), p.problem)
                if p.where == "config"
                else ConfigError(f"{path}{f':{line}' if line else ''}: {p.where}", p.problem)
                for line, _, p in located
            ]
        ) from None


def _line(where: str, lines: Mapping[str, int]) -> int:
    """The line of the key path, or of the closest key above it the file has (a missing key's parent); 0: none."""
    key = where
    while key and key not in lines:
        key = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", key) if re.search(r"[.\[]", key) else ""
    return lines[key] if key else 0


def parse_config(data: object) -> Config:
    """The config, or every mistake in it at once (`ConfigErrors`): each top-level key, field, calendar, policy
    and channel is checked on its own, so one mistake does not hide the next."""
    problems = _Problems()
    if isinstance(data, dict):  # `x-` keys hold YAML anchors for reuse (as in docker compose) and are ignored
        data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    top = _known(data, "config", _TOP_KEYS, problems)
    source = problems.get("generic", _choice, top.get("source", "generic"), "source", PRESETS)
    tz: tzinfo = problems.get(ZoneInfo("UTC"), _zone, top.get("timezone", "UTC"), "timezone")
    fields = _fields(top.get("fields", {}), "fields", problems)
    calendars = _calendars(top.get("calendars", {}), "calendars", tz, problems)
    clocks = _clocks(top.get("clocks", {}), "clocks", problems)
    messages = (
        problems.get(DEFAULT_MESSAGES, _messages, top["messages"], "messages")
        if "messages" in top
        else DEFAULT_MESSAGES
    )
    policies = _policies(top.get("policies"), "policies", calendars, fields, problems, clocks)
    channels: dict[str, Channel] = {}
    for name, spec in problems.get({}, _mapping, top.get("channels", {}), "channels").items():
        # a channel that is wrong still exists: contacts naming it are not wrong too
        placeholder = Channel(str(name), "command")
        channels[str(name)] = problems.get(placeholder, _channel, str(name), spec, f"channels.{name}", calendars)
    contacts = problems.get({}, _contacts, top.get("contacts"), "contacts", channels, policies)
    config = Config(
        channels=channels,
        contacts=contacts,
        timezone=tz,
        source=source,
        source_given="source" in top,
        fields=fields,
        dayfirst=None
        if top.get("dayfirst", "auto") == "auto"
        else problems.get(None, _bool, top["dayfirst"], "dayfirst"),
        status_words=problems.get(None, _statuses, top["statuses"], "statuses") if "statuses" in top else None,
        history=None if top.get("history", "auto") == "auto" else problems.get(None, _bool, top["history"], "history"),
        restart_on_reclassify=problems.get(
            "continue", _choice, top.get("on_reclassify", "continue"), "on_reclassify", ("continue", "restart")
        )
        == "restart",
        hold_reopened=problems.get("pause", _choice, top.get("reopen", "pause"), "reopen", ("pause", "continue"))
        == "pause",
        include_pull_requests=problems.get(
            False, _bool, top.get("include_pull_requests", False), "include_pull_requests"
        ),
        records=problems.get(None, _optional_str, top.get("records"), "records"),
        delimiter=problems.get(None, _delimiter, top.get("delimiter"), "delimiter"),
        encoding=problems.get(None, _optional_str, top.get("encoding"), "encoding") or "utf-8-sig",
        calendars=calendars,
        policies=policies,
        clocks=clocks,
        messages=messages,
        lint=(
            *_day_lint(top.get("policies"), calendars),
            *(
                f"channels.{c.name}: environment variable {', '.join(c.unset)} is not set: the channel is not "
                "checked and cannot deliver until it is"
                for c in channels.values()
                if c.unset
            ),
        ),
    )
    problems.check()
    return config


class _Problems:
    """The mistakes found so far. `get` runs one check and gives its value, or records the mistake and gives a
    stand-in so that the checks after it still run; `check` raises them all."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def get(self, default: Any, parse: Callable[..., Any], *args: Any) -> Any:
        try:
            return parse(*args)
        except ConfigErrors as exc:
            self.found.extend(exc.problems)
        except ConfigError as exc:
            self.found.append(exc)
        return default

    def add(self, where: str, problem: str) -> None:
        self.found.append(ConfigError(where, problem))

    def check(self) -> None:
        if self.found:
            raise ConfigErrors(self.found)


def _day_lint(specs: object, calendars: Mapping[str, Calendar]) -> list[str]:
    """Targets written in days (`d` = 24 hours, `w` = 7 days) on a business calendar: 3d there is 72 business
    hours, which on an 8-hour calendar is nine working days, not three."""
    notes = []
    for i, spec in enumerate(specs if isinstance(specs, list) else []):
        calendar = calendars.get(str(spec.get("calendar", ALWAYS))) if isinstance(spec, dict) else None
        targets = spec.get("targets") if isinstance(spec, dict) else None
        if calendar is None or calendar.name == ALWAYS or not isinstance(targets, dict):
            continue
        open_days = [sum(end - start for start, end in day) for day in calendar.week if day]
        regular = open_days[0] if open_days and len(set(open_days)) == 1 else None
        for metric, text in targets.items():
            if not isinstance(text, str) or not re.search(r"\d\s*[dw]", text.lower()) or _WORKING_DAYS.fullmatch(text):
                continue
            seconds = parse_duration(text)
            said = f"{format_duration(seconds)} of business time"
            instead = "hours"
            if regular is not None:
                said += f", {seconds / regular:g} working days of {format_duration(regular)}"
                instead = f"hours, such as {format_duration(3 * regular)} for three working days"
            notes.append(
                f"policies[{i}].targets.{metric}: {text!r} counts d as 24 hours: {said} on calendar "
                f"{calendar.name!r}; write {instead}, or open days such as '3wd'"
            )
    return notes


# YAML


def _load_yaml(text: str, where: str) -> tuple[object, dict[str, int]]:
    """The document, and the line of each key path in it as the checks name them (`policies[1].targets`)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[object] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (list, dict)):
                    line = key_node.start_mark.line + 1
                    raise ConfigError(f"{where}:{line}", "a list or mapping cannot be a key")
                if isinstance(key, (str, int, float, bool, date)) and key in seen:
                    line = key_node.start_mark.line + 1
                    raise ConfigError(f"{where}:{line}", f"duplicate key {key!r}")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_timestamp(self, node: Any) -> Any:
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:  # 2026-13-45 looks like a date to YAML, and is not one
                line = node.start_mark.line + 1
                raise ConfigError(f"{where}:{line}", f"no such date {node.value!r} ({exc})") from None

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    try:
        loader = Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _control_character(text, exc, where) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _expanded_size(node, {}) > max(_MAX_EXPANDED_NODES, 10 * _distinct_nodes(node)):  # aliases blow it up
            raise ConfigError(where, f"YAML aliases expand to more than {_MAX_EXPANDED_NODES:,} values; refusing")
        lines: dict[str, int] = {}
        _key_lines(node, "", lines, set())
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}{line}", f"invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.reader.ReaderError as exc:
        raise _control_character(text, exc, where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(where, f"invalid YAML: {exc}") from exc
    except RecursionError:
        raise ConfigError(where, "invalid YAML: nested too deeply to read") from None
    finally:
        loader.dispose()


def _control_character(text: str, exc: Any, where: str) -> ConfigError:
    """Where the control character is, not the text around it (it could be inside a secret)."""
    line = text.count("\n", 0, exc.position) + 1
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    return ConfigError(f"{where}:{line}", f"invalid YAML: control character #x{character:04x}; remove it")


def _key_lines(node: Any, prefix: str, lines: dict[str, int], seen: set[int]) -> None:
    if id(node) in seen:  # an alias: its keys are where the anchor is
        return
    seen.add(id(node))
    if isinstance(node.value, list):
        for i, child in enumerate(node.value):
            if isinstance(child, tuple):
                key_node, value = child
                path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
                lines.setdefault(path, key_node.start_mark.line + 1)
                _key_lines(value, path, lines, seen)
            else:
                path = f"{prefix}[{i}]"
                lines.setdefault(path, child.start_mark.line + 1)
                _key_lines(child, path, lines, seen)


def _distinct_nodes(node: Any) -> int:
    """How many values the document writes out (each alias's target once)."""
    seen: set[int] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current.value, list):
            for child in current.value:
                todo.extend(child if isinstance(child, tuple) else (child,))
    return len(seen)


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many values the node stands for once every alias is expanded (an alias bomb's is astronomical)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive alias counts once
    size = 1
    if isinstance(node.value, list):
        for child in node.value:
            for part in child if isinstance(child, tuple) else (child,):
                size += _expanded_size(part, sizes)
                if size > _MAX_EXPANDED_NODES:
                    break
    sizes[id(node)] = size
    return size


# Generic checks: each takes the key path `where` and names what it expected and found.


def _mapping(value: object, where: str, allowed: Collection[str] | None = None) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise ConfigError(where, f"expected a mapping, got {_show(value)}")
    for key in value:
        if allowed is not None and key not in allowed:
            raise ConfigError(f"{where}.{key}" if where != "config" else str(key), f"unknown key{_hint(key, allowed)}")
    return value


def _known(value: object, where: str, allowed: Collection[str], problems: _Problems) -> dict[Any, Any]:
    """The mapping's known keys; each unknown one is recorded as a problem of its own."""
    body = _mapping(value, where)
    for key in body:
        if key not in allowed:
            problems.add(f"{where}.{key}" if where != "config" else str(key), f"unknown key{_hint(key, allowed)}")
    return {k: v for k, v in body.items() if k in allowed}


def _hint(key: object, allowed: Collection[str]) -> str:
    close = get_close_matches(str(key), list(allowed), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(allowed)})"


def _show(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _list(value: object, where: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise ConfigError(where, f"expected a list, got {_show(value)}")


def _one_or_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _str(value: object, where: str, what: str = "a string") -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ConfigError(where, f"expected {what}, got {_show(value)}")


def _choice(value: object, where: str, choices: Collection[str]) -> str:
    text = _str(value, where, "one of " + ", ".join(choices))
    if text not in choices:
        raise ConfigError(where, f"expected one of {', '.join(choices)}, got {text!r}")
    return text


def _statuses(value: object, where: str) -> Statuses:
    body = _mapping(value, where, _STATUS_KEYS)
    words = {key: frozenset(str(w).strip().lower() for w in _one_or_list(body.get(key, []))) for key in _STATUS_KEYS}
    both = words["closed"] & words["paused"]
    if both:
        raise ConfigError(where, f"{sorted(both)[0]!r} is both closed and paused")
    return Statuses(closed=words["closed"], paused=words["paused"])


def _optional_str(value: object, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(where, f"expected true or false, got {_show(value)}")


def _delimiter(value: object, where: str) -> str | None:
    if value is None:
        return None
    text = _str(value, where, "one character")
    text = "\t" if text in ("\\t", "tab") else text
    if len(text) != 1:
        raise ConfigError(where, f"expected one character, got {text!r}")
    return text


def _zone(value: object, where: str) -> tzinfo:
    name = _str(value, where, "an IANA time zone such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(where, f"unknown time zone {name!r}") from exc


def duration(value: object, where: str) -> int:
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            pass
    raise ConfigError(where, f'expected a duration such as "4h", got {_show(value)}')


def _percent(text: str, where: str) -> Fraction:
    try:
        share = Fraction(text.strip()[:-1].strip()) / 100
    except ValueError as exc:
        raise ConfigError(where, f'expected a percentage such as "75%", got {text!r}') from exc
    if share < 0:
        raise ConfigError(where, f"expected a percentage of at least 0%, got {text!r}")
    return share


# fields


def _fields(value: object, where: str, problems: _Problems) -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for name, spec in problems.get({}, _mapping, value, where).items():
        field_spec = problems.get(None, _field, str(name), spec, f"{where}.{name}")
        if field_spec is not None:
            specs[str(name)] = field_spec
    return specs


def _field(name: str, spec: object, key: str) -> FieldSpec:
    if name not in STANDARD_FIELDS:
        close = get_close_matches(name, STANDARD_FIELDS, n=1, cutoff=0.8)
        if close:
            raise ConfigError(key, f"unknown field (did you mean {close[0]!r}?)")
        if name in RESERVED_FIELDS or name in TEMPLATE_KEYS:
            raise ConfigError(key, "the name is taken by a result key; call the field something else")
    if isinstance(spec, dict):
        body = _mapping(spec, key, _FIELD_KEYS)
        fmt = _optional_str(body.get("format"), f"{key}.format")
        if fmt is not None and name not in TIMESTAMP_FIELDS:
            raise ConfigError(f"{key}.format", "only timestamp fields take a format")
        return FieldSpec(name, _str(body.get("column"), f"{key}.column", "a column name"), fmt)
    return FieldSpec(name, _str(spec, key, "a column name"))


# calendars


def _calendars(value: object, where: str, default_tz: tzinfo, problems: _Problems) -> dict[str, Calendar]:
    """Every calendar; one that is wrong stands in as always open, so policies naming it are not wrong too."""
    calendars = {ALWAYS: Calendar.always_open(ALWAYS)}
    for name, spec in problems.get({}, _mapping, value, where).items():
        key = f"{where}.{name}"
        if spec == ALWAYS:
            calendars[str(name)] = Calendar.always_open(str(name))
        else:
            placeholder = Calendar.always_open(str(name))
            calendars[str(name)] = problems.get(placeholder, _calendar, str(name), spec, key, default_tz)
    return calendars


def _calendar(name: str, spec: object, where: str, default_tz: tzinfo) -> Calendar:
    problems = _Problems()
    body = _known(spec, where, _CALENDAR_KEYS, problems)
    tz = problems.get(default_tz, _zone, body["timezone"], f"{where}.timezone") if "timezone" in body else default_tz
    week: tuple[tuple[Window, ...], ...] = ()
    if "hours" not in body:
        problems.add(f"{where}.hours", 'required: weekly opening hours, e.g. {mon-fri: ["09:00-17:00"]}')
    else:
        week = problems.get((), _week, body["hours"], f"{where}.hours")
        if week and not any(week):  # special days alone would leave clocks that can never fall due
            problems.add(f"{where}.hours", "the calendar is never open in a normal week")
    special = {}
    for day, windows in problems.get({}, _mapping, body.get("special", {}), f"{where}.special").items():
        moment = problems.get(None, _date, day, f"{where}.special.{day}")
        opening = problems.get(None, _windows, windows, f"{where}.special.{day}")
        if moment is not None and opening is not None:
            special[moment] = opening
    closed = problems.get(None, _holidays, body.get("holidays", {}), f"{where}.holidays")
    problems.check()
    part = closed if closed.part is not None else None
    return Calendar(tz=tz, week=week, closed=closed, special=special, name=name, part=part)


def _week(value: object, where: str) -> tuple[tuple[Window, ...], ...]:
    if value == ALWAYS:
        return (((0, DAY),),) * 7
    days: list[tuple[Window, ...]] = [()] * 7
    for key, windows in _mapping(value, where).items():
        parsed = _windows(windows, f"{where}.{key}")
        for day in _day_keys(key, f"{where}.{key}"):
            days[day] = parsed  # later keys replace earlier ones for the days they name
    for day in range(7):  # an overnight window must not run into the next day's first window
        spill = max((end - DAY for _, end in days[day]), default=0)
        following = days[(day + 1) % 7]
        if spill > 0 and following and following[0][0] < spill:
            raise ConfigError(
                where,
                f"{_DAYS[day]} {_fmt_window(max(days[day]))} overlaps {_DAYS[(day + 1) % 7]} "
                f"{_fmt_window(following[0])}",
            )
    return tuple(days)


def _day_keys(key: object, where: str) -> list[int]:
    text = str(key).strip().lower() if isinstance(key, str) else None
    if text == "daily":
        return list(range(7))
    parts = text.split("-") if text else []
    if not parts or len(parts) > 2 or any(p.strip() not in _DAYS for p in parts):
        raise ConfigError(where, f"expected a weekday such as mon, a range such as mon-fri, or daily, got {key!r}")
    first, last = _DAYS.index(parts[0].strip()), _DAYS.index(parts[-1].strip())
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]


def _windows(value: object, where: str) -> tuple[Window, ...]:
    if value is None:
        return ()
    windows = sorted(_window(item, f"{where}[{i}]") for i, item in enumerate(_one_or_list(value)))
    for before, after in zip(windows, windows[1:]):
        if after[0] < before[1]:
            raise ConfigError(where, f"windows {_fmt_window(before)} and {_fmt_window(after)} overlap")
    return tuple(windows)


def _window(value: object, where: str) -> Window:
    match = _WINDOW.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(where, f'expected a window such as "09:00-17:00", got {_show(value)}')
    h1, m1, s1, h2, m2, s2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 23 or m1 > 59 or s1 > 59 or h2 > 24 or m2 > 59 or s2 > 59 or (h2 == 24 and (m2 or s2)):
        raise ConfigError(where, f"no such time of day in {value!r}")
    start, end = h1 * 3600 + m1 * 60 + s1, h2 * 3600 + m2 * 60 + s2
    if start == end:
        raise ConfigError(where, f"empty window {value!r}")
    return (start, end if end > start else end + DAY)


def _fmt_window(window: Window) -> str:
    return f"{format_clock(window[0])}-{format_clock(window[1])}"


def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ConfigError(where, f"expected a date such as 2026-12-24, got {_show(value)}") from exc


def _holidays(value: object, where: str) -> HolidaySet:
    body = _mapping(value, where, _HOLIDAY_KEYS)
    dates = [_date(d, f"{where}.dates[{i}]") for i, d in enumerate(_list(body.get("dates", []), f"{where}.dates"))]
    if "country" not in body:
        for key in ("subdivision", "categories"):
            if key in body:
                raise ConfigError(f"{where}.{key}", "needs a country")
        return HolidaySet(dates)
    country = _str(body["country"], f"{where}.country", "a country code such as 'DE'")
    subdiv = _optional_str(body.get("subdivision"), f"{where}.subdivision")
    categories = [_str(c, f"{where}.categories") for c in _one_or_list(body.get("categories", "public"))]
    whole = [c for c in categories if c != HALF_DAY]
    country_days = _country_holidays(country, subdiv, whole, where) if whole else None
    part = _country_holidays(country, subdiv, [HALF_DAY], where, "en_US") if HALF_DAY in categories else None
    return HolidaySet(dates, country_days, part)


HALF_DAY = "half_day"  # the `holidays` category of days that close early


def _country_holidays(
    country: str, subdiv: str | None, categories: list[str], where: str, language: str | None = None
) -> Any:
    from escalate_cli.country_holidays import CountryHolidays

    try:
        return CountryHolidays(country, subdiv, tuple(categories), language)
    except NotImplementedError as exc:
        if subdiv is not None and "subdivision" in str(exc):
            raise ConfigError(f"{where}.subdivision", f"unknown subdivision {subdiv!r} of {country!r}") from exc
        raise ConfigError(f"{where}.country", f"unknown country {country!r}") from exc
    except ValueError as exc:
        raise ConfigError(f"{where}.categories", f"{exc} (for {country!r})") from exc


# policies


def _policies(
    value: object,
    where: str,
    calendars: Mapping[str, Calendar],
    fields: Mapping[str, FieldSpec],
    problems: _Problems,
    clocks: Mapping[str, ClockDef],
) -> tuple[Policy, ...]:
    if value is None:
        problems.add(where, "required: a list of SLA policies")
        return ()
    policies: list[Policy] = []
    seen: set[str] = set()
    for i, spec in enumerate(problems.get([], _list, value, where)):
        policy = problems.get(None, _policy, spec, f"{where}[{i}]", calendars, fields, clocks)
        if policy is not None:
            policies.append(policy)
        name = spec.get("name") if isinstance(spec, dict) else None  # a policy with a mistake still has its name
        if isinstance(name, str) and name in seen:
            problems.add(f"{where}[{i}].name", f"duplicate policy name {name!r}")
        seen.add(str(name))
    return tuple(policies)


def _policy(
    spec: object,
    where: str,
    calendars: Mapping[str, Calendar],
    fields: Mapping[str, FieldSpec],
    clocks: Mapping[str, ClockDef],
) -> Policy:
    problems = _Problems()
    body = _known(spec, where, _POLICY_KEYS, problems)
    name = problems.get("", _str, body.get("name"), f"{where}.name", "a policy name")
    calendar_name = problems.get(ALWAYS, _str, body.get("calendar", ALWAYS), f"{where}.calendar", "a calendar name")
    if calendar_name not in calendars:
        hint = _hint(calendar_name, calendars)
        problems.add(f"{where}.calendar", f"no calendar named {calendar_name!r}{hint}")
        calendar_name = ALWAYS
    warn = body.get("warn")
    targets: dict[str, Target] = problems.get({}, _targets, body.get("targets"), f"{where}.targets", clocks)
    policy = Policy(
        name=name,
        calendar=calendars[calendar_name],
        calendar_name=calendar_name,
        targets=targets,
        clocks={name: clocks[name] for name in targets if name in clocks},
        match=problems.get((), _match, body.get("match", {}), f"{where}.match"),
        warn=DEFAULT_WARN if warn is None else problems.get((), _warn, warn, f"{where}.warn"),
        steps=problems.get((), _steps, body.get("escalate", []), f"{where}.escalate", fields),
        pause=problems.get(DEFAULT_PAUSE, _pause, body["pause"], f"{where}.pause")
        if "pause" in body
        else DEFAULT_PAUSE,
        goal=problems.get(None, _goal, body["goal"], f"{where}.goal") if "goal" in body else None,
    )
    problems.check()
    return policy


def _goal(value: object, where: str) -> Fraction:
    text = _str(value, where, 'a percentage such as "95%"')
    share = _percent(text, where) if text.strip().endswith("%") else None
    if share is None or not 0 < share <= 1:
        raise ConfigError(where, f'expected a percentage above 0% and at most 100%, such as "95%", got {text!r}')
    return share


def _pause(value: object, where: str) -> frozenset[str]:
    return frozenset(_choice(item, where, BUILT_IN_NAMES) for item in _one_or_list(value) if item is not None)


def _targets(value: object, where: str, clocks: Mapping[str, ClockDef]) -> dict[str, Target]:
    names = [*BUILT_IN_NAMES, *clocks]
    if value is None:
        raise ConfigError(where, "required: at least one of " + ", ".join(names))
    body = _mapping(value, where, names)
    targets = {str(key): _target(v, f"{where}.{key}") for key, v in body.items()}
    if not targets:
        raise ConfigError(where, "required: at least one of " + ", ".join(names))
    return targets


_WORKING_DAYS = re.compile(r"\s*(\d{1,4})\s*wd\s*", re.IGNORECASE)


def _target(value: object, where: str) -> Target:
    """A duration (`4h`), open days (`3wd`: the same time of day three open days later), or a mapping
    `{target: 3wd, end_of_day: true}` (due at that day's closing)."""
    end_of_day = False
    if isinstance(value, dict):
        body = _mapping(value, where, ("target", "end_of_day"))
        if "target" not in body:
            raise ConfigError(where, 'required: target, a duration such as "4h" or open days such as "3wd"')
        end_of_day = _bool(body.get("end_of_day", False), f"{where}.end_of_day")
        value, where = body["target"], f"{where}.target"
    days = _WORKING_DAYS.fullmatch(value) if isinstance(value, str) else None
    if days is not None:
        if int(days.group(1)) == 0 and not end_of_day:
            raise ConfigError(where, "0wd leaves no time: say end_of_day: true for the close of the same day")
        return WorkingDays(int(days.group(1)), end_of_day)
    if end_of_day:
        raise ConfigError(
            where.removesuffix(".target") + ".end_of_day", 'end_of_day needs a target in open days ("3wd")'
        )
    seconds = duration(value, where)
    if seconds <= 0:
        raise ConfigError(where, "a target must be longer than 0s")
    return seconds


def _clocks(value: object, where: str, problems: _Problems) -> dict[str, ClockDef]:
    """The config's own clocks, each checked on its own: a mistake in one is reported with its key path."""
    clocks: dict[str, ClockDef] = {}
    for name, spec in problems.get({}, _mapping, value, where).items():
        key = f"{where}.{name}"
        if not isinstance(name, str) or not _CLOCK_NAME.fullmatch(name):
            problems.add(key, "a clock's name is lower case letters, digits and _, starting with a letter")
            continue
        if name in BUILT_IN:
            problems.add(key, f"{name!r} is a built-in clock: give your own clock another name")
            continue
        clock = problems.get(None, _clock, name, spec, key)
        if clock is not None:
            clocks[name] = clock
    return clocks


def _clock(name: str, spec: object, where: str) -> ClockDef:
    problems = _Problems()
    body = _known(spec, where, _CLOCK_KEYS, problems)
    if "start" not in body:
        problems.add(f"{where}.start", "required: when the clock starts, such as {when: {status: [Open]}}")
    start = problems.get((), _triggers, body.get("start"), f"{where}.start", _STARTS_AT) if "start" in body else ()
    stop = problems.get((), _triggers, body["stop"], f"{where}.stop", _STOPS_AT) if "stop" in body else ()
    pause = problems.get((), _triggers, body["pause"], f"{where}.pause", ()) if "pause" in body else ()
    cycles = problems.get("each", _choice, body.get("cycles", "each"), f"{where}.cycles", ("each", "first"))
    after = problems.get(0, duration, body["starts_after"], f"{where}.starts_after") if "starts_after" in body else 0
    problems.check()
    return ClockDef(name, start, stop, pause, cycles, after)


def _triggers(value: object, where: str, instants: tuple[str, ...]) -> tuple[Trigger, ...]:
    """One trigger or a list of them (any of them fires). `instants`: the `at:` it may name (none: pause)."""
    if isinstance(value, list):
        if not value:
            raise ConfigError(where, "expected a trigger or a list of them, got an empty list")
        return tuple(_trigger(item, f"{where}[{i}]", instants) for i, item in enumerate(value))
    return (_trigger(value, where, instants),)


def _trigger(value: object, where: str, instants: tuple[str, ...]) -> Trigger:
    kinds = ("at", "when", "changes", "message") if instants else ("when",)
    example = "{when: {status: [Pending]}}" if not instants else "{when: {status: [Open]}} or {message: customer}"
    body = _mapping(value, where, (*kinds, "every") if instants else kinds)
    given = [k for k in kinds if k in body]
    if len(given) != 1:
        raise ConfigError(where, f"expected exactly one of {', '.join(kinds)}, such as {example}")
    kind = given[0]
    if "every" in body and kind != "message":
        raise ConfigError(f"{where}.every", "only a message trigger takes every")
    if kind == "at":
        at = _choice(body["at"], f"{where}.at", instants)
        return Trigger(at=at, text=at.replace("_", " "))
    if kind == "changes":
        changed = _str(body["changes"], f"{where}.changes", "a field or column name")
        return Trigger(changes=changed, text=f"{changed} changed")
    if kind == "message":
        role = _choice(body["message"], f"{where}.message", _ROLES)
        every = _bool(body["every"], f"{where}.every") if "every" in body else False
        article = "each" if every else "an" if role[0] in "aeiou" else "a"
        return Trigger(message=role, every=every, text=f"{article} {role} message")
    conditions = _match(body["when"], f"{where}.when")
    if not conditions:
        raise ConfigError(f"{where}.when", "expected at least one condition, such as {status: [Open]}")
    return Trigger(when=conditions, text=_said(body["when"]))


def _said(conditions: Mapping[Any, Any]) -> str:
    """A `when:` as the config says it: `assignment_group = L2 and status in [New, Open]`."""
    parts = []
    for key, accepted in conditions.items():
        values = [str(v) for v in _one_or_list(accepted)]
        parts.append(f"{key} = {values[0]}" if len(values) == 1 else f"{key} in [{', '.join(values)}]")
    return " and ".join(parts)


def _messages(value: object, where: str) -> dict[str, tuple[tuple[Condition, ...], ...]]:
    """Each role's rows: a mapping of conditions (all must hold), or a list of them (any)."""
    body = _mapping(value, where, _ROLES)
    roles: dict[str, tuple[tuple[Condition, ...], ...]] = {}
    for role in _ROLES:
        given = body.get(role)
        ways = given if isinstance(given, list) else [given] if given is not None else []
        here = [f"{where}.{role}[{i}]" if isinstance(given, list) else f"{where}.{role}" for i in range(len(ways))]
        found = tuple(_match(way, at) for way, at in zip(ways, here))
        if not found or not all(found):
            raise ConfigError(
                next((at for way, at in zip(found, here) if not way), f"{where}.{role}"),
                "required: which rows are its messages, such as {author_role: [agent]}",
            )
        roles[role] = found
    return roles


def _match(value: object, where: str) -> tuple[Condition, ...]:
    conditions = []
    for key, accepted in _mapping(value, where).items():
        values, patterns = set(), []
        for i, item in enumerate(_one_or_list(accepted)):
            item_where = f"{where}.{key}" if not isinstance(accepted, list) else f"{where}.{key}[{i}]"
            if isinstance(item, (dict, list)) or item is None:
                raise ConfigError(item_where, f"expected a value or a ~regex, got {_show(item)}")
            text = str(item).lower()
            if isinstance(item, str) and item.startswith("~"):
                patterns.append(_regex(item[1:], item_where))
            else:
                values.add(text.strip())
        conditions.append(Condition(str(key), frozenset(values), tuple(patterns), any_of_list=key == "labels"))
    return tuple(conditions)


def _regex(pattern: str, where: str) -> Pattern:
    import polars as pl

    try:
        pl.Series([""], dtype=pl.Utf8).str.contains(f"(?i){pattern}")
    except pl.exceptions.PolarsError as exc:  # the linear-time engine's own account of what is wrong
        reason = str(exc).strip().splitlines()
        found = (line.strip() for line in reversed(reason) if line.strip().startswith("error:"))
        detail = next(found, reason[-1]).removeprefix("error:").strip()
        raise ConfigError(
            where,
            f"invalid regular expression {pattern!r}: {detail} (patterns are matched in linear time: no "
            "lookaround or backreferences)",
        ) from None
    return Pattern(pattern)


def _warn(value: object, where: str) -> tuple[Threshold, ...]:
    thresholds = []
    for i, item in enumerate(_one_or_list(value)):
        item_where = f"{where}[{i}]" if isinstance(value, list) else where
        if isinstance(item, str) and item.strip().endswith("%"):
            thresholds.append(Threshold(share=_percent(item, item_where)))
        elif isinstance(item, str):
            try:
                thresholds.append(Threshold(left=parse_duration(item)))
            except ValueError:
                raise ConfigError(
                    item_where, f'expected a share such as "75%" or time left such as "1h", got {item!r}'
                ) from None
        else:
            raise ConfigError(
                item_where, f'expected a share such as "75%" or time left such as "1h", got {_show(item)}'
            )
    return tuple(thresholds)


def _steps(value: object, where: str, fields: Mapping[str, FieldSpec]) -> tuple[Step, ...]:
    steps = []
    known = TEMPLATE_KEYS | set(STANDARD_FIELDS) | set(fields)
    for i, spec in enumerate(_list(value, where)):
        key = f"{where}[{i}]"
        body = _mapping(spec, key, _STEP_KEYS)
        share, past_due = _after(body.get("after"), f"{key}.after")
        action = body.get("action")
        steps.append(
            Step(
                level=_str(body.get("level"), f"{key}.level", "a level name such as L2"),
                share=share,
                past_due=past_due,
                notify=tuple(_str(n, f"{key}.notify", "a role name") for n in _one_or_list(body.get("notify", []))),
                action=_template(action, f"{key}.action", known) if action is not None else "",
            )
        )
    return tuple(steps)


def _after(value: object, where: str) -> tuple[Fraction | None, int | None]:
    expected = 'expected a share of the target such as "100%", or time past due such as "+2h"'
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, f"{expected}, got {_show(value)}")
    text = value.strip()
    if text.endswith("%"):
        return _percent(text, where), None
    if text[0] in "+-":
        try:
            seconds = parse_duration(text[1:])
        except ValueError:
            raise ConfigError(where, f"{expected}, got {value!r}") from None
        return None, seconds if text[0] == "+" else -seconds
    raise ConfigError(where, f"{expected}, got {value!r}")


def _template(value: object, where: str, known: Collection[str]) -> str:
    text = _str(value, where, "a message")
    try:
        fields = [
            (name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text) if name is not None
        ]
    except ValueError as exc:
        raise ConfigError(where, f"invalid template {text!r}: {exc} (write {{{{ and }}}} for braces)") from exc
    for name, spec, conversion in fields:
        if name not in known:
            raise ConfigError(where, f"unknown placeholder {{{name}}}{_hint(name, sorted(known))}")
        shown = f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
        if conversion not in (None, "r", "s", "a"):
            raise ConfigError(where, f"{shown}: unknown conversion !{conversion} (use !r, !s or !a, or none)")
        if spec and "{" in spec:
            raise ConfigError(where, f"{shown}: a format spec cannot hold a placeholder")
        try:
            format("text", spec or "")  # every placeholder is text
        except ValueError as exc:
            raise ConfigError(where, f"{shown}: not a format for text ({exc})") from None
    return text


# channels and contacts


def _check_url(url: str, where: str) -> None:
    """An http(s) URL with a host, and nothing a request line cannot hold; the URL is not shown (it may carry a
    token)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(where, f"not a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        scheme = f"{parts.scheme}://" if parts.scheme.isalpha() else "no scheme"
        raise ConfigError(where, f"expected an http:// or https:// URL, got {scheme}")
    if not parts.hostname or re.search(r"[\x00-\x20\x7f]", url) or (port is not None and port == 0):
        raise ConfigError(where, "expected a URL with a host and no spaces or control characters")


def _channel(name: str, spec: object, where: str, calendars: Mapping[str, Calendar]) -> Channel:
    body = _mapping(spec, where)
    kind = _choice(body.get("type"), f"{where}.type", tuple(_CHANNEL_KEYS))
    unset: list[str] = []
    body = _expand_env(_mapping(body, where, _CHANNEL_KEYS[kind]), where, unset)
    if unset:  # resolved only when it delivers: every other command works without the secrets
        return Channel(name, kind, unset=tuple(dict.fromkeys(unset)))
    hours_name = _optional_str(body.get("hours"), f"{where}.hours") or ""
    if hours_name and hours_name not in calendars:
        raise ConfigError(f"{where}.hours", f"no calendar named {hours_name!r}{_hint(hours_name, calendars)}")
    common = {
        "timeout": _number(body.get("timeout", 10), f"{where}.timeout"),
        "retries": int(_number(body.get("retries", 3), f"{where}.retries", minimum=1)),
        "backoff": _number(body.get("backoff", 1), f"{where}.backoff", minimum=0),
        "give_up_after": int(_number(body.get("give_up_after", 30), f"{where}.give_up_after", minimum=1)),
        "hours": calendars[hours_name] if hours_name else None,
        "hours_name": hours_name,
    }
    if kind == "webhook":
        url = _str(body.get("url"), f"{where}.url", "a URL")
        _check_url(url, f"{where}.url")
        headers = {str(k): str(v) for k, v in _mapping(body.get("headers", {}), f"{where}.headers").items()}
        for header, value in headers.items():
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", header):
                raise ConfigError(f"{where}.headers", f"{header!r} is not a header name")
            if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):  # the value itself may be a secret: not shown
                raise ConfigError(f"{where}.headers.{header}", "the value holds a line break or control character")
        return Channel(name, kind, url=url, headers=headers, **common)  # type: ignore[arg-type]
    if kind == "email":
        to = tuple(_str(t, f"{where}.to", "an address") for t in _one_or_list(body.get("to")))
        secured = _bool(body.get("starttls", False), f"{where}.starttls") or _bool(body.get("ssl", False), where)
        plaintext = _bool(body.get("allow_plaintext", False), f"{where}.allow_plaintext")
        if body.get("username") and not secured and not plaintext:
            raise ConfigError(
                f"{where}.username",
                "the password would cross the network in clear text: set starttls: true or ssl: true, or "
                "allow_plaintext: true for a server on this host or a trusted network",
            )
        return Channel(
            name,
            kind,
            host=_str(body.get("host"), f"{where}.host", "an SMTP host"),
            port=int(_number(body.get("port", 25), f"{where}.port", minimum=1)),
            sender=_str(body.get("from"), f"{where}.from", "a sender address"),
            to=to,
            starttls=_bool(body.get("starttls", False), f"{where}.starttls"),
            ssl=_bool(body.get("ssl", False), f"{where}.ssl"),
            username=_optional_str(body.get("username"), f"{where}.username") or "",
            password=str(body.get("password") or ""),
            **common,  # type: ignore[arg-type]
        )
    run = tuple(_str(a, f"{where}.run", "a program and its arguments") for a in _one_or_list(body.get("run")))
    return Channel(name, kind, run=run, **common)  # type: ignore[arg-type]


def _expand_env(value: Any, where: str, unset: list[str]) -> Any:
    """`${VAR}` in any string becomes the environment variable's value; the names of unset ones go to `unset`."""
    import os

    if isinstance(value, dict):
        return {k: _expand_env(v, f"{where}.{k}", unset) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, f"{where}[{i}]", unset) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace_var(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            unset.append(name)
            return ""
        return os.environ[name]

    return _ENV.sub(replace_var, value)


def _number(value: object, where: str, minimum: float = 0.001) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ConfigError(where, f"expected a number of at least {minimum:g}, got {_show(value)}")
    return float(value)


def _contacts(
    value: object, where: str, channels: Mapping[str, Channel], policies: tuple[Policy, ...]
) -> dict[str, Contact]:
    if value is None:
        return {}
    contacts = {}
    for role, spec in _mapping(value, where).items():
        key = f"{where}.{role}"
        if isinstance(spec, dict):
            body = _mapping(spec, key, _CONTACT_KEYS)
            routes = {
                str(v).strip().lower(): _channel_names(chans, f"{key}.map.{v}", channels)
                for v, chans in _mapping(body.get("map", {}), f"{key}.map").items()
            }
            default = _channel_names(body.get("default", []), f"{key}.default", channels)
            by = _str(body.get("by"), f"{key}.by", "a field or column name")
            contacts[str(role)] = Contact(str(role), default, by=by, routes=routes)
        else:
            contacts[str(role)] = Contact(str(role), _channel_names(spec, key, channels))
    for i, policy in enumerate(policies):  # with contacts, every role a policy notifies must reach someone
        for j, step in enumerate(policy.steps):
            for role in step.notify:
                if role not in contacts:
                    raise ConfigError(
                        f"policies[{i}].escalate[{j}].notify", f"no contact for role {role!r}{_hint(role, contacts)}"
                    )
    return contacts


def _channel_names(value: object, where: str, channels: Mapping[str, Channel]) -> tuple[str, ...]:
    names = tuple(_str(n, where, "a channel name") for n in _one_or_list(value) if n is not None)
    for name in names:
        if name not in channels:
            raise ConfigError(where, f"no channel named {name!r}{_hint(name, channels) if channels else ''}")
    return names


def describe(config: Config) -> str:
    """A short human summary of a valid config, for `escalate validate`."""
    calendars, policies = len(config.calendars) - 1, len(config.policies)  # the built-in 24x7 is not counted
    lines = [
        f"{calendars} calendar{'s' * (calendars != 1)}, {policies} polic{'ies' if policies != 1 else 'y'}; "
        f"timezone {config.timezone}"
    ]
    for name, calendar in config.calendars.items():
        if name != ALWAYS:
            lines.append(f"  calendar {name}: {calendar.tz}, {_weekly_hours(calendar) / 3600:g}h open a week")
    for policy in config.policies:
        targets = ", ".join(f"{m} {format_target(s)}" for m, s in policy.targets.items())
        rules = " and ".join(c.key for c in policy.match) or "everything"
        ladder = " -> ".join(step.level for step in policy.steps)
        lines.append(f"  policy {policy.name}: matches {rules}; {policy.calendar_name}; {targets}")
        if ladder:
            lines[-1] += f"; escalates {ladder}"
    for clock in config.clocks.values():
        lines.append(f"  clock {clock.name}: {describe_clock(clock)}")
    for channel in config.channels.values():
        quiet = f"; quiet outside {channel.hours_name}" if channel.hours_name else ""
        lines.append(f"  channel {channel.describe()}{quiet}")
    for contact in config.contacts.values():
        routes = ", ".join(contact.channels) or "nothing"
        if contact.by:
            routes = f"by {contact.by}, default {routes}"
        lines.append(f"  contact {contact.role}: {routes}")
    return "\n".join(lines) + "\n"


def describe_clock(clock: ClockDef) -> str:
    """`starts at status = Open (each cycle), pauses while ..., stops at ...`."""
    said = f"starts at {' or '.join(t.text for t in clock.start)}"
    if clock.starts_after:
        said += f" + {format_duration(clock.starts_after)}"
    said += " (every start opens a cycle)" if clock.cycles == "each" else " (the first start only)"
    if clock.pause:
        said += f", pauses while {' or '.join(t.text for t in clock.pause)}"
    stops = [t.text for t in clock.stop] + ["resolved"]
    return said + f", stops at {' or '.join(stops)}"


def _weekly_hours(calendar: Calendar) -> int:
    return sum(end - start for day in calendar.week for start, end in day)
