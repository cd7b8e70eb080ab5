"""What changed since the last run, and which escalation steps are still to be announced. Pure: the state file
hands in what it remembers and takes back what to remember.

Two forms of the same rules: `diff` and `announcements` over `Clock`s (the oracle, and what `backtest` uses one
clock at a time), and `diff_frame` and `unannounced` over the columns of a whole run (`--state`), which tests
hold to them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from escalate_cli.model import Clock, State

if TYPE_CHECKING:
    import polars as pl

ClockKey = tuple[str, str]  # (issue id, metric)
REMEMBERED = ("issue", "metric", "policy", "state", "level", "due_at", "title", "source")  # of a run's clocks


@dataclass(frozen=True, slots=True)
class Remembered:
    """What the state file keeps of a clock from one run to the next."""

    issue: str
    metric: str
    policy: str
    state: str
    level: str | None
    due_at: int | None  # None: not started
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
    due_at: int | None = None  # of the clock now (None: gone)
    detail: str = ""  # its escalation message, else its title


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
        """Told once per clock and level; a defined clock's later cycles are told anew."""
        cycle = f"\x1f{self.clock.cycle}" if self.clock.cycle > 1 else ""
        return f"{self.issue}\x1f{self.metric}\x1f{self.policy}\x1f{self.level}{cycle}"


_ALARMING = {State.BREACHED.value, State.WARNING.value}


def remember(clock: Clock) -> Remembered:
    return Remembered(
        clock.issue.id,
        clock.metric,
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
        key = (clock.issue.id, clock.metric)
        seen.add(key)
        kind = _kind(previous.get(key), clock)
        if kind is not None:
            before = previous[key].state if key in previous else None
            detail = "; ".join(a.message for a in clock.actions) or clock.issue.fields.get("title", "")
            changes.append(Change(kind, key[0], key[1], before, clock.state.value, clock.level, clock.due_at, detail))
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
                clock.issue.id, clock.metric, clock.policy, action.level, action.notify, action.message, clock
            )
            if item.key not in announced:
                out.append(item)
    return out


def remembered_frame(clocks: pl.DataFrame) -> pl.DataFrame:
    """What to remember of a run's clocks (`engine.cells` columns) : the REMEMBERED columns, level null for none."""
    import polars as pl

    level = pl.when(pl.col("level") != "").then(pl.col("level"))
    return clocks.select("issue", "metric", "policy", "state", level.alias("level"), "due_at", "title", "source")


def carried(previous: pl.DataFrame, clocks: pl.DataFrame, unread: Collection[str]) -> pl.DataFrame:
    """The clocks the last run remembered of issues whose rows could not be read this time (`unread` ids) and
    that this run has no clock for: remembered as they were, neither disappeared nor new next time."""
    import polars as pl

    if not unread:
        return previous.head(0)
    missing = previous.filter(pl.col("issue").is_in(pl.Series(sorted(unread), dtype=pl.Utf8).implode()))
    return missing.join(clocks.select("issue", "metric"), on=["issue", "metric"], how="anti", maintain_order="left")


def diff_frame(previous: pl.DataFrame, clocks: pl.DataFrame, unread: Collection[str] = ()) -> list[Change]:
    """`diff` by columns: `previous` has the REMEMBERED columns, `clocks` the `engine.cells` ones; the clocks of
    `unread` issues (rows that could not be read this run) are not taken for disappeared."""
    import polars as pl

    running = [s.value for s in State if s.is_running]
    old = previous.unique(["issue", "metric"], keep="last", maintain_order=True)
    old = old.select("issue", "metric", pl.col("state").alias("before"), pl.col("level").alias("old_level"))
    now = remembered_frame(clocks).with_columns(
        pl.when(clocks.get_column("message") != "")
        .then(clocks.get_column("message"))
        .otherwise(pl.col("title"))
        .alias("detail")
    )
    joined = now.join(old, on=["issue", "metric"], how="left", maintain_order="left")
    kind = change_kind(pl.col("state"), pl.col("before"), pl.col("level"), pl.col("old_level"))
    changed = joined.with_columns(kind.alias("kind")).drop_nulls("kind")
    gone = old.join(now.select("issue", "metric"), on=["issue", "metric"], how="anti", maintain_order="left")
    unread_ids = pl.Series(sorted(unread), dtype=pl.Utf8).implode()
    gone = gone.filter(pl.col("before").is_in(running) & ~pl.col("issue").is_in(unread_ids))
    out = [
        Change(ChangeKind(k), issue, metric, b, state_now, lvl, due, detail)
        for k, issue, metric, b, state_now, lvl, due, detail in changed.select(
            "kind", "issue", "metric", "before", "state", "level", "due_at", "detail"
        ).iter_rows()
    ]
    out += [
        Change(ChangeKind.DISAPPEARED, issue, metric, b, None, lvl)
        for issue, metric, b, lvl in gone.select("issue", "metric", "before", "old_level").iter_rows()
    ]
    return out


def change_kind(state: pl.Expr, before: pl.Expr, level: pl.Expr, old_level: pl.Expr) -> pl.Expr:
    """`_kind` by columns: the ChangeKind value (null: none) from a clock's state and level now and the last
    run's (`before` null: the last run had no such clock)."""
    import polars as pl

    running = [s.value for s in State if s.is_running]
    alarming = sorted(_ALARMING)
    return (
        pl.when((state == State.BREACHED.value) & before.ne_missing(State.BREACHED.value))
        .then(pl.lit(ChangeKind.NEW_BREACH.value))
        .when((state == State.WARNING.value) & ~before.is_in(alarming).fill_null(False))
        .then(pl.lit(ChangeKind.NEW_WARNING.value))
        .when(level.is_not_null() & (before.is_null() | old_level.ne_missing(level)))
        .then(pl.lit(ChangeKind.LEVEL.value))
        .when(before.is_null())
        .then(pl.lit(None, pl.Utf8))
        .when(~state.is_in(running) & before.is_in(running))
        .then(pl.lit(ChangeKind.STOPPED.value))
        .when(state.is_in([State.OK.value, State.PAUSED.value]) & before.is_in(alarming))
        .then(pl.lit(ChangeKind.RECOVERED.value))
    )
