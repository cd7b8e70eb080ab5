"""What changed since the last run, and which escalation steps are still to be announced. Pure: the state file
hands in what it remembers and takes back what to remember."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from escalate_cli.model import Clock, State

ClockKey = tuple[str, str]  # (issue id, metric)


@dataclass(frozen=True, slots=True)
class Remembered:
    """What the state file keeps of a clock from one run to the next."""

    issue: str
    metric: str
    policy: str
    state: str
    level: str | None
    due_at: int
    title: str = ""


class ChangeKind(str, Enum):
    NEW_BREACH = "new breach"
    NEW_WARNING = "new warning"
    LEVEL = "new level"
    RECOVERED = "recovered"
    STOPPED = "stopped"
    DISAPPEARED = "disappeared"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    issue: str
    metric: str
    before: str | None  # state in the last run
    after: str | None  # state now (None: gone from the export)
    level: str | None
    clock: Clock | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """One escalation step of one clock, to be told to its roles once."""

    issue: str
    metric: str
    policy: str
    level: str
    notify: tuple[str, ...]
    message: str
    clock: Clock

    @property
    def key(self) -> str:
        return f"{self.issue}\x1f{self.metric}\x1f{self.policy}\x1f{self.level}"


_ALARMING = {State.BREACHED.value, State.WARNING.value}


def remember(clock: Clock) -> Remembered:
    return Remembered(
        clock.issue.id,
        clock.metric.value,
        clock.policy,
        clock.state.value,
        clock.level,
        clock.due_at,
        clock.issue.fields.get("title", ""),
    )


def diff(previous: Mapping[ClockKey, Remembered], clocks: Sequence[Clock]) -> list[Change]:
    """Changes from the last run to this one, in the order of this run's clocks, then the disappeared ones."""
    changes = []
    seen: set[ClockKey] = set()
    for clock in clocks:
        key = (clock.issue.id, clock.metric.value)
        seen.add(key)
        kind = _kind(previous.get(key), clock)
        if kind is not None:
            before = previous[key].state if key in previous else None
            changes.append(Change(kind, key[0], key[1], before, clock.state.value, clock.level, clock))
    for key, old in previous.items():
        if key not in seen and State(old.state).is_running:
            changes.append(Change(ChangeKind.DISAPPEARED, key[0], key[1], old.state, None, old.level))
    return changes


def _kind(old: Remembered | None, clock: Clock) -> ChangeKind | None:
    state = clock.state
    before = old.state if old is not None else None
    if state is State.BREACHED and before != State.BREACHED.value:
        return ChangeKind.NEW_BREACH
    if state is State.WARNING and before not in _ALARMING:
        return ChangeKind.NEW_WARNING
    if clock.level is not None and (old is None or old.level != clock.level):
        return ChangeKind.LEVEL
    if old is None:
        return None
    if not state.is_running and State(before).is_running:
        return ChangeKind.STOPPED
    if state in (State.OK, State.PAUSED) and before in _ALARMING:
        return ChangeKind.RECOVERED
    return None


def announcements(clocks: Sequence[Clock], announced: Collection[str]) -> list[Announcement]:
    """Every step reached by a running clock that has not been announced before."""
    out = []
    for clock in clocks:
        for action in clock.reached:
            item = Announcement(
                clock.issue.id, clock.metric.value, clock.policy, action.level, action.notify, action.message, clock
            )
            if item.key not in announced:
                out.append(item)
    return out
