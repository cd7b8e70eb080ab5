"""The records the core works on: issues, policies, clocks and the report. Instants are epoch seconds (UTC)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from math import ceil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalate_cli.business_time import Calendar
    from escalate_cli.changes import Change
    from escalate_cli.engine.results import ClockTable


RESULT_KEYS = (
    "issue",
    "metric",
    "policy",
    "calendar",
    "state",
    "started_at",
    "due_at",
    "stopped_at",
    "elapsed_seconds",
    "target_seconds",
    "remaining_seconds",
    "level",
    "actions",
)
"""The keys of a clock in the JSON and CSV output, before the issue's own fields."""
JSON_ONLY_KEYS = ("paused_seconds", "policy_changed_at", "previous_policy")
"""The keys of a clock in the JSON output only."""


class Metric(str, Enum):
    """The built-in clocks (`BUILT_IN` defines them); a config's `clocks:` adds its own by name."""

    FIRST_RESPONSE = "first_response"  # created -> the first reply or the resolution, whichever came first
    RESOLUTION = "resolution"  # created -> resolved
    UPDATE = "update"  # last update -> resolved: keep the customer informed

    def __str__(self) -> str:  # a clock's name is its text, however it is formatted
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class State(str, Enum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"  # running, but frozen while the issue waits in a paused status
    MET = "met"
    MISSED = "missed"
    NOT_STARTED = "not_started"  # a defined clock whose start has not happened

    @property
    def is_running(self) -> bool:
        return self in (State.OK, State.WARNING, State.BREACHED, State.PAUSED)


class Severity(str, Enum):
    """The lowest running state that fails a run (`--fail-on`)."""

    WARNING = "warning"
    BREACH = "breach"
    NEVER = "never"

    def fails(self, state: State) -> bool:
        if self is Severity.NEVER:
            return False
        if self is Severity.WARNING:
            return state in (State.WARNING, State.BREACHED)
        return state is State.BREACHED


@dataclass(frozen=True, slots=True)
class Cycle:
    """One run of a defined clock, from the history: the row that started it and the one that stopped it."""

    start: int
    stop: int | None = None  # None: no stop trigger yet (the issue's resolution still stops it)
    started_by: str = ""  # the trigger, as the config says it
    stopped_by: str = ""  # the trigger, or "restarted" (the next start ended it)
    start_where: str = ""  # file:line of the row that started it ("" for an instant of the issue)
    stop_where: str = ""
    fields_where: str = ""  # file:line of the row whose fields stood when it started (what `--by` reads)


Spans = tuple[tuple[int, int | None], ...]


@dataclass(frozen=True, slots=True)
class Issue:
    id: str
    created: int
    first_response: int | None = None
    resolved: int | None = None
    updated: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)  # mapped fields as text (title, priority, ...)
    labels: tuple[str, ...] = ()
    record: Mapping[str, object] = field(default_factory=dict)  # the export's own columns, for `match`
    where: str = ""  # file:line
    status_since: int | None = None  # when the issue entered its current status, where the export tells
    pauses: tuple[tuple[int, int | None], ...] = ()  # spans in a paused status; None: still paused
    held: tuple[tuple[int, int], ...] = ()  # spans it sat resolved before it was reopened: no clock counts them
    policy_changed_at: int | None = None  # when a change of fields last moved the issue to another policy
    previous_policy: str | None = None
    replies_known: bool = True  # False: its export has no first-reply evidence, so no first_response clock
    cycles: Mapping[str, tuple[Cycle, ...]] = field(default_factory=dict)  # each defined clock's, from the history
    clock_pauses: Mapping[str, Spans] = field(default_factory=dict)  # spans each defined clock's `pause:` holds


@dataclass(frozen=True, slots=True)
class Statuses:
    """Status words (lower case) that stop every clock, and that pause the clocks a policy lets pause."""

    closed: frozenset[str] = frozenset()
    paused: frozenset[str] = frozenset()
    hold_reopened: bool = True  # time resolved before a reopening counts for no clock (`reopen: pause`)


@dataclass(frozen=True, slots=True)
class WorkingDays:
    """A target in open days (GLPI's `definition_time: day`): due at the same wall time of day `days` open days
    after the start, at most that day's closing; with `end_of_day`, at that day's closing."""

    days: int
    end_of_day: bool = False

    def __str__(self) -> str:
        return f"{self.days}wd" + (" end of day" if self.end_of_day else "")


Target = int | WorkingDays
"""A clock's target as configured: business seconds, or open days (each clock's seconds follow its start)."""


def format_target(target: Target) -> str:
    """`4h`, `3wd`, `1wd end of day`."""
    from escalate_cli.durations import format_duration

    return str(target) if isinstance(target, WorkingDays) else format_duration(target)


@dataclass(frozen=True, slots=True)
class Threshold:
    """Reached when the used share is at least `share`, or at most `left` seconds remain (when set)."""

    share: Fraction | None = None
    left: int | None = None

    def elapsed_at(self, target: int) -> int:
        """Business seconds of elapsed time at which the threshold is reached."""
        if self.share is not None:
            return ceil(self.share * target)
        return max(target - (self.left or 0), 0)


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of the escalation ladder: reached at a share of the target or at an offset from due."""

    level: str
    share: Fraction | None = None
    past_due: int | None = None  # seconds after due (negative: before due)
    notify: tuple[str, ...] = ()
    action: str = ""  # message template

    def elapsed_at(self, target: int) -> int:
        if self.share is not None:
            return ceil(self.share * target)
        return max(target + (self.past_due or 0), 0)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A `~regex` of `match`, case-insensitive, searched in time linear in the text (Rust's regex engine, through
    Polars): no pattern makes a title take exponential time, at the price of lookaround and backreferences."""

    pattern: str

    def search(self, text: str) -> bool:
        return self.search_all([text])[0]

    def search_all(self, texts: list[str]) -> list[bool]:
        import polars as pl

        found = pl.Series(texts, dtype=pl.Utf8).str.contains(f"(?i){self.pattern}")
        return [bool(hit) for hit in found.to_list()]


@dataclass(frozen=True, slots=True)
class Condition:
    """One `match` key: the field or column, the accepted values (lower case) and patterns."""

    key: str
    values: frozenset[str] = frozenset()
    patterns: tuple[Pattern, ...] = ()
    any_of_list: bool = False  # the field is a list (labels): matches when any element does

    def accepts(self, value: str) -> bool:
        text = value.strip().lower()
        return text in self.values or any(p.search(value) for p in self.patterns)

    def accepted(self, values: list[str]) -> list[bool]:
        """`accepts` of each value, each pattern searched over all of them at once."""
        hits = [v.strip().lower() in self.values for v in values]
        for pattern in self.patterns:
            hits = [a or b for a, b in zip(hits, pattern.search_all(values))]
        return hits


@dataclass(frozen=True, slots=True)
class Trigger:
    """One way a clock starts or stops: at an instant the issue has (`at`: created, updated, first_reply,
    resolved), at a row of the history that makes `when` true or `changes` a field to a new value, or at a
    message (`message`: customer or agent; the first of that side since the other last wrote, or each one with
    `every`). As a pause, a `when` holds from the row that makes it true to the row that makes it false."""

    at: str | None = None
    when: tuple[Condition, ...] = ()  # fires where a row makes them all true, the row before it not
    changes: str | None = None  # fires where a row gives this field a value other than the row before it had
    message: str | None = None
    every: bool = False
    text: str = ""  # as the config says it, for `explain`


@dataclass(frozen=True, slots=True)
class ClockDef:
    """A clock: when each cycle starts, what pauses it and what stops it. Every clock also stops when the issue
    is resolved (a reopening resumes it, as `reopen:` says). `cycles`: "each" (every start opens a cycle, ending
    one still running) or "first" (only the first start counts)."""

    name: str
    start: tuple[Trigger, ...]
    stop: tuple[Trigger, ...] = ()
    pause: tuple[Trigger, ...] = ()  # `when` triggers: paused while one holds (built-ins: the paused statuses)
    cycles: str = "first"
    starts_after: int = 0  # business seconds from the start event to the start of the clock


BUILT_IN_NAMES = tuple(m.value for m in Metric)
_CREATED, _UPDATED = Trigger(at="created", text="created"), Trigger(at="updated", text="last update")
BUILT_IN: dict[str, ClockDef] = {
    Metric.FIRST_RESPONSE.value: ClockDef(
        Metric.FIRST_RESPONSE.value, (_CREATED,), (Trigger(at="first_reply", text="first reply"),)
    ),
    Metric.RESOLUTION.value: ClockDef(Metric.RESOLUTION.value, (_CREATED,)),
    Metric.UPDATE.value: ClockDef(Metric.UPDATE.value, (_UPDATED,)),
}
"""Today's three clocks as definitions: what pauses them is the policy's `pause:` (the paused statuses)."""


@dataclass(frozen=True)
class Policy:
    name: str
    calendar: Calendar
    calendar_name: str
    targets: Mapping[str, Target]  # by clock name
    match: tuple[Condition, ...] = ()
    warn: tuple[Threshold, ...] = ()
    steps: tuple[Step, ...] = ()
    pause: frozenset[str] = frozenset({Metric.RESOLUTION.value, Metric.UPDATE.value})  # what paused statuses freeze
    goal: Fraction | None = None  # the share of clocks meant to be met (`report`'s target line); None: not set
    clocks: Mapping[str, ClockDef] = field(default_factory=dict)  # the defined clocks its targets name

    def __post_init__(self) -> None:  # clock names as plain text, whichever way they were given
        object.__setattr__(self, "targets", {str(getattr(k, "value", k)): v for k, v in self.targets.items()})
        object.__setattr__(self, "pause", frozenset(str(getattr(k, "value", k)) for k in self.pause))

    def clock(self, name: str) -> ClockDef:
        """The definition of the clock a target names."""
        return self.clocks.get(name) or BUILT_IN[name]


@dataclass(frozen=True, slots=True)
class Action:
    level: str
    notify: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock (issue x metric) evaluated at the report's instant."""

    issue: Issue
    metric: str  # the clock's name: a built-in `Metric` value or one of the config's `clocks:`
    policy: str
    calendar: str
    state: State
    started_at: int | None  # None: not started
    due_at: int | None
    stopped_at: int | None
    elapsed: int
    target: int
    level: str | None = None
    actions: tuple[Action, ...] = ()  # the highest step reached
    paused_seconds: int = 0  # business seconds spent paused, not counted in elapsed
    reached: tuple[Action, ...] = ()  # every step reached, in the order they are reached
    cycle: int = 1  # which cycle of the clock (a defined clock can start again)

    @property
    def remaining(self) -> int:
        return self.target - self.elapsed


@dataclass(frozen=True, slots=True)
class Problem:
    """A located message about the input: `where` is `file:line` (or a config key path)."""

    where: str
    message: str
    issue: str = ""  # the id of the row's issue, when the row is one whose id could be read
    whole_export: bool = False  # none of an export could be read: none of its issues is known to be gone

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class Report:
    as_of: int
    clocks: list[Clock] = field(default_factory=list)
    unmatched: list[Issue] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    issues: int = 0  # distinct issues evaluated (matched or not)
    changes: list[Change] | None = None  # since the last run, when a state file is used
    counted: Counter[str] | None = None  # clocks per state, when the clocks themselves were not kept (--quiet)
    table: ClockTable | None = None  # the clocks as a frame, for writers that write from it (JSON)

    def counts(self) -> dict[str, int]:
        """Clocks per state; `not_started` only where some clock has not started (only defined clocks can)."""
        counts = {state.value: 0 for state in State}
        if self.counted is not None:
            counts.update(self.counted)
        else:
            for clock in self.clocks:
                counts[clock.state.value] += 1
        if not counts[State.NOT_STARTED.value]:
            del counts[State.NOT_STARTED.value]
        return counts
