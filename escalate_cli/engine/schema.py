"""The issue frame: one row per issue as it stands at the instant evaluated, in report order. Declared once here;
every reader ends when its frame has these columns, and every later stage says which it reads and adds.

Instants are Int64 epoch seconds (UTC), null where the export has none.
"""

from __future__ import annotations

import polars as pl

ID = "id"  # Utf8: the id as text
CREATED = "created"  # Int64: when the issue was opened; never null
FIRST_RESPONSE = "first_response"  # Int64: the first reply, when the export has one
RESOLVED = "resolved"  # Int64: when a closed status or the export's resolution time stopped the clocks
UPDATED = "updated"  # Int64: the last update
PAUSED_SINCE = "paused_since"  # Int64: start of a pause still open (the issue sits in a paused status)
CHANGED = "policy_changed_at"  # Int64: when a change of fields last moved the issue to another policy
PREVIOUS = "previous_policy"  # Utf8: the policy it was under before
WHERE = "where"  # Utf8: file:line of the row the issue comes from
LABELS = "labels"  # List(Utf8)
PAUSES = "pauses"  # List(Struct{from, to: Int64}): every pause, where some ended (an event log; to null: still
# open); else null, and PAUSED_SINCE holds the one open pause if any
HELD = "held"  # List(Struct{from, to: Int64}): spans it sat resolved before a reopening (no clock counts them)
STATUS_SINCE = "status_since"  # Int64: when it entered its status, where an event log tells
SOURCE = "source"  # Utf8: the preset the export was read with (set per export by `engine.read`)
REPLIES = "replies_known"  # Boolean: the export has first-reply evidence (else no first_response clock is kept)
OBJECT = "object"  # Int64: index of the issue among objects a reader built already (null: build from the row)
TEXT_FIELDS = ("title", "priority", "status")  # Utf8, "" when missing; the config's extra fields follow them
RAW = "raw:"  # prefix of List(Utf8) columns: an export column's values as `sla.field_values` reads them
CYCLES = "cycles:"  # prefix of List(Struct) columns: a defined clock's cycles (`engine.cycles.CYCLES_TYPE`)
CLOCK_PAUSES = "clock_pauses:"  # prefix of List(Struct{from, to}) columns: the spans a defined clock's pause holds

INSTANTS = (CREATED, FIRST_RESPONSE, RESOLVED, UPDATED, PAUSED_SINCE, CHANGED)

BASE: dict[str, pl.DataType] = {
    ID: pl.Utf8(),
    **{name: pl.Int64() for name in INSTANTS},
    PREVIOUS: pl.Utf8(),
    WHERE: pl.Utf8(),
    LABELS: pl.List(pl.Utf8()),
    PAUSES: pl.List(pl.Struct({"from": pl.Int64(), "to": pl.Int64()})),
    HELD: pl.List(pl.Struct({"from": pl.Int64(), "to": pl.Int64()})),
    STATUS_SINCE: pl.Int64(),
    REPLIES: pl.Boolean(),
    OBJECT: pl.Int64(),
}


def raw(key: str) -> str:
    return RAW + key


def cycles(clock: str) -> str:
    return CYCLES + clock


def clock_pauses(clock: str) -> str:
    return CLOCK_PAUSES + clock


def empty(fields: tuple[str, ...], raw_keys: tuple[str, ...]) -> pl.DataFrame:
    """A frame of no issues with every column typed."""
    schema = {**BASE, **{f: pl.Utf8() for f in fields}, **{raw(k): pl.List(pl.Utf8()) for k in raw_keys}}
    return pl.DataFrame(schema=schema)
