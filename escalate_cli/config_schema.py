"""`escalate schema`: a JSON Schema (draft 2020-12) of the config, for editors (yaml-language-server completes and
checks keys as you type) and for CI. Built from the same key tables `config` checks against, so a key the
parser accepts is a key the schema knows. The parser stays the authority on meaning (a calendar a policy names
exists, windows do not overlap, placeholders are known): the schema checks shape.
"""

from __future__ import annotations

import json
from typing import Any

from escalate_cli import config as C
from escalate_cli.model import Metric
from escalate_cli.presets import PRESETS

Schema = dict[str, Any]


def _ci(word: str) -> str:
    """`word` in any case, as ECMA-262 patterns (which have no inline flags) write it."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


_UNITS = r"\s*".join(rf"(?:\d+\s*{_ci(unit)})?" for unit in "wdhms")
DURATION: Schema = {
    "type": "string",
    "pattern": rf"^\s*(?=\S){_UNITS}\s*$",
    "description": 'business time such as "4h", "1h30m", "2d" (d = 24 hours) or "1w"',
}
OPEN_DAYS: Schema = {
    "type": "string",
    "pattern": rf"^\s*\d{{1,4}}\s*{_ci('wd')}\s*$",
    "description": 'open days such as "3wd": the same time of day three open days later',
}
TARGET: Schema = {
    "anyOf": [
        DURATION,
        OPEN_DAYS,
        {
            "type": "object",
            "properties": {"target": {"anyOf": [DURATION, OPEN_DAYS]}, "end_of_day": {"type": "boolean"}},
            "required": ["target"],
            "additionalProperties": False,
            "description": "open days, due at that day's closing with end_of_day: true",
        },
    ]
}
PERCENT: Schema = {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$", "description": 'a share such as "75%"'}
TEXT: Schema = {"type": "string"}
TEXTS: Schema = {"anyOf": [TEXT, {"type": "array", "items": TEXT}]}
WINDOW = r"\d{1,2}:\d{2}(:\d{2})?\s*-\s*\d{1,2}:\d{2}(:\d{2})?"
WINDOWS: Schema = {
    "anyOf": [
        {"type": "string", "pattern": rf"^\s*{WINDOW}\s*$"},
        {"type": "array", "items": {"type": "string", "pattern": rf"^\s*{WINDOW}\s*$"}},
        {"type": "null"},
    ],
    "description": 'opening windows such as ["09:00-12:00", "13:00-17:00"]; "22:00-06:00" runs overnight',
}
_DAY = "(" + "|".join(_ci(day) for day in C._DAYS) + ")"
DAY_KEY = rf"^\s*({_ci('daily')}|{_DAY}(\s*-\s*{_DAY})?)\s*$"
DATE: Schema = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _object(properties: dict[str, Schema], keys: tuple[str, ...], **extra: Any) -> Schema:
    assert set(properties) == set(keys), sorted(set(properties) ^ set(keys))  # the parser's keys, every one
    return {"type": "object", "properties": {k: properties[k] for k in keys}, "additionalProperties": False, **extra}


def _field() -> Schema:
    spec = _object({"column": TEXT, "format": {**TEXT, "description": "strptime format"}}, C._FIELD_KEYS)
    return {"anyOf": [TEXT, spec], "description": "the export's column (or a dotted JSON path)"}


def _calendar() -> Schema:
    holidays = _object(
        {
            "country": {**TEXT, "description": "ISO 3166 code for the holidays package, such as DE"},
            "subdivision": TEXT,
            "categories": TEXTS,
            "dates": {"type": "array", "items": DATE},
        },
        C._HOLIDAY_KEYS,
    )
    week = {
        "anyOf": [
            {"const": C.ALWAYS},
            {"type": "object", "propertyNames": {"pattern": DAY_KEY}, "additionalProperties": WINDOWS},
        ]
    }
    return {
        "anyOf": [
            {"const": C.ALWAYS},
            _object(
                {
                    "timezone": {**TEXT, "description": "IANA zone, such as Europe/Berlin"},
                    "hours": week,
                    "holidays": holidays,
                    "special": {
                        "type": "object",
                        "propertyNames": {"pattern": r"^\d{4}-\d{2}-\d{2}$"},
                        "additionalProperties": WINDOWS,
                    },
                },
                C._CALENDAR_KEYS,
                required=["hours"],
            ),
        ]
    }


def _policy() -> Schema:
    metrics = [m.value for m in Metric]
    after = {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*%|[+-]" + _UNITS + r")\s*$"}
    step = _object(
        {
            "after": {**after, "description": 'a share of the target ("100%") or time past due ("+2h", "-1h")'},
            "level": TEXT,
            "notify": TEXTS,
            "action": {**TEXT, "description": "message template: {id}, {overdue}, {title} and other fields"},
        },
        C._STEP_KEYS,
        required=["after", "level"],
    )
    value = {"type": ["string", "number", "boolean"]}
    return _object(
        {
            "name": TEXT,
            "match": {
                "type": "object",
                "additionalProperties": {"anyOf": [value, {"type": "array", "items": value}]},
                "description": "field or column -> value, list of values, or ~regex; every key must hold",
            },
            "calendar": TEXT,
            "targets": {
                "type": "object",
                "properties": {m: TARGET for m in metrics},
                "propertyNames": {"pattern": C._CLOCK_NAME.pattern},
                "additionalProperties": {**TARGET, "description": "a clock of `clocks:`"},
                "minProperties": 1,
            },
            "warn": {
                "anyOf": [
                    PERCENT,
                    DURATION,
                    {"type": "array", "items": {"anyOf": [PERCENT, DURATION]}},
                    {"type": "null"},
                ]
            },
            "escalate": {"type": "array", "items": step},
            "pause": {"anyOf": [{"enum": metrics}, {"type": "array", "items": {"enum": metrics}}, {"type": "null"}]},
            "goal": {**PERCENT, "description": "the share of clocks meant to be met: report's target line"},
        },
        C._POLICY_KEYS,
        required=["name", "targets"],
    )


def _clock() -> Schema:
    value = {"type": ["string", "number", "boolean"]}
    when = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {"anyOf": [value, {"type": "array", "items": value}]},
        "description": "field or column -> value, list of values, or ~regex, as in match; every key must hold",
    }

    def trigger(instants: tuple[str, ...]) -> Schema:
        kinds: list[Schema] = [_object({"when": when}, ("when",), required=["when"])]
        if instants:
            kinds += [
                _object({"at": {"enum": list(instants)}}, ("at",), required=["at"]),
                _object({"changes": TEXT}, ("changes",), required=["changes"]),
                _object(
                    {"message": {"enum": list(C._ROLES)}, "every": {"type": "boolean"}},
                    ("message", "every"),
                    required=["message"],
                ),
            ]
        one = {"anyOf": kinds}
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}

    return _object(
        {
            "start": trigger(C._STARTS_AT),
            "stop": trigger(C._STOPS_AT),
            "pause": trigger(()),
            "cycles": {"enum": ["each", "first"]},
            "starts_after": DURATION,
        },
        C._CLOCK_KEYS,
        required=["start"],
    )


def _channel(kind: str) -> Schema:
    number = {"type": ["number", "string"]}  # a string: "${VAR}", resolved when the channel delivers
    flag = {"type": "boolean"}
    known: dict[str, Schema] = {
        "type": {"const": kind},
        "url": TEXT,
        "headers": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "host": TEXT,
        "port": {"type": ["integer", "string"]},
        "from": TEXT,
        "to": TEXTS,
        "starttls": flag,
        "ssl": flag,
        "username": TEXT,
        "password": TEXT,
        "allow_plaintext": flag,
        "run": {**TEXTS, "description": "the command and its arguments; it reads the message on stdin"},
        "timeout": number,
        "retries": {"type": ["integer", "string"]},
        "backoff": number,
        "give_up_after": {
            "type": ["integer", "string"],
            "description": "attempts (over every run) after which a delivery is given up and recorded as dropped",
        },
        "hours": {**TEXT, "description": "a calendar: deliver only while it is open"},
    }
    keys = C._CHANNEL_KEYS[kind]
    return _object({k: known[k] for k in keys}, keys, required=["type"])


def schema() -> Schema:
    statuses = _object({"closed": TEXTS, "paused": TEXTS}, C._STATUS_KEYS)
    contact = {
        "anyOf": [
            TEXTS,
            _object(
                {"by": TEXT, "map": {"type": "object", "additionalProperties": TEXTS}, "default": TEXTS},
                C._CONTACT_KEYS,
                required=["by"],
            ),
        ]
    }
    top = _object(
        {
            "source": {"enum": sorted(PRESETS), "description": "the export's tool: its column mapping and quirks"},
            "timezone": {**TEXT, "description": "IANA zone for naive timestamps and output"},
            "dayfirst": {"anyOf": [{"type": "boolean"}, {"const": "auto"}]},
            "records": {**TEXT, "description": "dotted path to the list of records in a JSON envelope"},
            "delimiter": {"type": "string", "maxLength": 1},
            "encoding": TEXT,
            "fields": {
                "type": "object",
                "propertyNames": {
                    "anyOf": [
                        {"enum": list(C.STANDARD_FIELDS)},
                        {"not": {"enum": sorted(C.RESERVED_FIELDS | C.TEMPLATE_KEYS)}},
                    ]
                },
                "additionalProperties": _field(),
            },
            "statuses": statuses,
            "history": {"anyOf": [{"type": "boolean"}, {"const": "auto"}]},
            "on_reclassify": {"enum": ["continue", "restart"]},
            "reopen": {"enum": ["pause", "continue"]},
            "include_pull_requests": {"type": "boolean"},
            "calendars": {"type": "object", "additionalProperties": _calendar()},
            "clocks": {
                "type": "object",
                "propertyNames": {"pattern": C._CLOCK_NAME.pattern, "not": {"enum": [m.value for m in Metric]}},
                "additionalProperties": _clock(),
            },
            "messages": _object(
                {
                    role: {
                        "oneOf": [
                            {"type": "object", "minProperties": 1},
                            {"type": "array", "items": {"type": "object", "minProperties": 1}, "minItems": 1},
                        ]
                    }
                    for role in C._ROLES
                },
                C._ROLES,
                required=list(C._ROLES),
            ),
            "policies": {"type": "array", "items": _policy(), "minItems": 1},
            "channels": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"enum": sorted(C._CHANNEL_KEYS)}},
                    "allOf": [  # the keys of its type (if/then: an editor names the key that is wrong)
                        {"if": {"properties": {"type": {"const": kind}}}, "then": _channel(kind)}
                        for kind in sorted(C._CHANNEL_KEYS)
                    ],
                },
            },
            "contacts": {"type": "object", "additionalProperties": contact},
        },
        C._TOP_KEYS,
        required=["policies"],
        patternProperties={"^x-": {"description": "YAML anchors for reuse; ignored"}},
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "escalate config",
        "description": "SLA policies, business calendars and notification channels for escalate",
        **top,
    }


def render() -> str:
    return json.dumps(schema(), indent=2) + "\n"
