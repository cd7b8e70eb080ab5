"""SLA statistics over history: attainment per policy and metric (grouped by any fields), median and p90 business
time, breach counts, and a trend per week or month. Pure: clocks in, numbers out.

Attainment = met / (met + missed + breached): a running clock that has breached can only end missed. Medians and
p90 are nearest-rank over the business time of stopped clocks. The trend puts a clock in the period it started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from escalate_cli.model import Clock, State
from escalate_cli.sla import field_values

if TYPE_CHECKING:
    import polars as pl

    from escalate_cli.engine.results import ClockTable


@dataclass
class Tally:
    met: int = 0
    missed: int = 0
    breached: int = 0
    running: int = 0  # not yet breached
    elapsed: list[int] = field(default_factory=list)  # business seconds of stopped clocks

    def add(self, clock: Clock) -> None:
        if clock.state is State.MET:
            self.met += 1
        elif clock.state is State.MISSED:
            self.missed += 1
        elif clock.state is State.BREACHED:
            self.breached += 1
        else:
            self.running += 1
        if not clock.state.is_running:
            self.elapsed.append(clock.elapsed)

    @property
    def clocks(self) -> int:
        return self.met + self.missed + self.breached + self.running

    @property
    def breaches(self) -> int:
        return self.missed + self.breached

    @property
    def attainment(self) -> float | None:
        decided = self.met + self.missed + self.breached
        return self.met / decided if decided else None

    def percentile(self, share: float) -> int | None:
        if not self.elapsed:
            return None
        ordered = sorted(self.elapsed)
        rank = max(1, -(-len(ordered) * share // 1))  # nearest rank: ceil(n * share)
        return ordered[int(rank) - 1]


@dataclass
class Row:
    policy: str
    metric: str
    group: tuple[str, ...]  # values of the --by fields
    tally: Tally


@dataclass
class Breakdown:
    """One grouping field across policies: per metric and value, overall and per period."""

    field: str
    rows: list[tuple[str, str, Tally]]  # (metric, value, tally), sorted
    trend: dict[tuple[str, str], list[tuple[str, Tally]]]  # (metric, value) -> [(period, tally)] in order


@dataclass
class AtRisk:
    """A running clock that has not breached yet, by how much business time it has left."""

    id: str
    title: str
    policy: str
    metric: str
    state: str
    remaining: int  # business seconds to the breach
    due_at: int


BACKLOG_BUCKETS: tuple[tuple[str, int | None], ...] = (  # (label, up to this many business seconds left)
    ("breached", 0),
    ("within 4h", 4 * 3600),
    ("4h-8h", 8 * 3600),
    ("8h-24h", 24 * 3600),
    ("24h-72h", 72 * 3600),
    ("over 72h", None),
)
AT_RISK_WITHIN = 24 * 3600  # the list of clocks about to breach: counting, with at most this much business time left
AT_RISK_SHOWN = 25
SHARE_BUCKETS: tuple[tuple[str, float, float | None], ...] = (  # business time to resolution / the target
    ("up to 25%", 0.0, 0.25),
    ("25-50%", 0.25, 0.5),
    ("50-75%", 0.5, 0.75),
    ("75-100%", 0.75, 1.0),
    ("100-150%", 1.0, 1.5),
    ("150-200%", 1.5, 2.0),
    ("200-400%", 2.0, 4.0),
    ("over 400%", 4.0, None),
)


@dataclass
class Review:
    """What the weekly page shows beyond `Stats`: each an input of `report -f json` too."""

    as_of: int
    totals: list[tuple[str, str, Tally]]  # (policy, metric, tally) over every group
    goals: dict[str, float | None]  # policy -> the share of clocks meant to be met
    levels: dict[tuple[str, str], dict[str, dict[str, int]]]  # (policy, metric) -> period -> level -> clocks
    backlog: list[tuple[str, int | None, dict[str, int]]]  # (bucket, up to seconds, policy -> running clocks)
    at_risk: list[AtRisk]  # the first AT_RISK_SHOWN not paused, soonest first
    at_risk_total: int
    breakdowns: list[Breakdown]
    distribution: list[tuple[str, float, float | None, dict[str, int]]]  # SHARE_BUCKETS, policy -> clocks


@dataclass
class Stats:
    by: tuple[str, ...]
    period: str
    rows: list[Row]
    trend: dict[tuple[str, str], list[tuple[str, Tally]]]  # (policy, metric) -> [(period, tally)] in order
    partial: str = ""  # the period still under way at the report's instant: its figures are not final
    review: Review | None = None  # with `-f json` and `--html`


def summarize(clocks: Iterable[Clock], by: Sequence[str], period: str, tz: tzinfo) -> Stats:
    rows: dict[tuple[str, str, tuple[str, ...]], Tally] = defaultdict(Tally)
    trend: dict[tuple[str, str], dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for clock in clocks:
        if clock.started_at is None:  # not started: neither met nor missed nor running
            continue
        group = tuple(_value(clock, key) for key in by)
        rows[(clock.policy, clock.metric, group)].add(clock)
        trend[(clock.policy, clock.metric)][period_of(clock.started_at, period, tz)].add(clock)
    ordered = [Row(p, m, g, t) for (p, m, g), t in sorted(rows.items())]
    return Stats(tuple(by), period, ordered, {key: sorted(periods.items()) for key, periods in sorted(trend.items())})


def _value(clock: Clock, key: str) -> str:
    values = field_values(clock.issue, key)
    return ", ".join(v for v in values if v) or "(none)"


def period_of(moment: int, period: str, tz: tzinfo) -> str:
    when = datetime.fromtimestamp(moment, tz)
    if period == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "day":
        return when.strftime("%Y-%m-%d")
    return when.strftime("%Y-%m")


def summarize_table(table: ClockTable, by: Sequence[str], period: str, tz: tzinfo) -> Stats:
    """`summarize` of a report's clock frame, by columns: the same `Stats`, without a `Clock` per clock."""
    import polars as pl

    from escalate_cli.engine import cells
    from escalate_cli.engine import clocks as C

    if not table.clocks.height:
        return Stats(tuple(by), period, [], {})
    issues = table.issues
    groups = [group_column(issues.fields, issues.raw_keys, key).alias(f"_by{n}") for n, key in enumerate(by)]
    names = pl.Series([p.name for p in table.policies], dtype=pl.Utf8)
    started = cells.local(C.STARTED, tz, {"week": "%G-W%V", "day": "%Y-%m-%d"}.get(period, "%Y-%m"))
    begun = table.clocks.filter(pl.col(C.STARTED).is_not_null())  # not started: neither met nor missed nor running
    frame = begun.select(C.ROW, C.POLICY, C.METRIC, C.STATE, C.ELAPSED, started.alias("_period")).join(
        issues.frame.select(C.ROW, *groups), on=C.ROW, how="left"
    )
    frame = frame.with_columns(pl.lit(names).gather(pl.col(C.POLICY)).alias("_policy"))
    keys = ["_policy", C.METRIC]
    rows = [
        Row(values[0], values[1], values[2:], tally)
        for values, tally in tallies(frame, [*keys, *(f"_by{n}" for n in range(len(by)))])
    ]
    trend: dict[tuple[str, str], list[tuple[str, Tally]]] = {}
    for (policy, metric, moment), tally in tallies(frame, [*keys, "_period"]):
        trend.setdefault((policy, metric), []).append((moment, tally))
    return Stats(tuple(by), period, rows, trend)


def group_column(fields: tuple[str, ...], raw_keys: tuple[str, ...], key: str) -> pl.Expr:
    """`_value` as a column: the field's values that are not empty, joined, else "(none)"."""
    import polars as pl

    from escalate_cli.engine import schema as S

    if key in ("id", *fields):
        text = pl.col(key)
    elif key in ("labels", *raw_keys):
        column = S.LABELS if key == "labels" else S.raw(key)
        text = pl.col(column).list.eval(pl.element().filter(pl.element() != "")).list.join(", ").fill_null("")
    else:
        text = pl.lit("")
    return pl.when(text != "").then(text).otherwise(pl.lit("(none)"))


def tallies(frame: pl.DataFrame, keys: list[str]) -> list[tuple[tuple[str, ...], Tally]]:
    """(*key values, Tally) per distinct key, sorted by the keys."""
    import polars as pl

    from escalate_cli.engine import clocks as C

    state = pl.col(C.STATE)
    stopped = state.is_in([State.MET.value, State.MISSED.value])
    counted = frame.group_by(keys).agg(
        (state == State.MET.value).sum().alias("met"),
        (state == State.MISSED.value).sum().alias("missed"),
        (state == State.BREACHED.value).sum().alias("breached"),
        (~stopped & (state != State.BREACHED.value)).sum().alias("running"),
        pl.col(C.ELAPSED).filter(stopped).alias("elapsed"),
    )
    out = []
    for *values, met, missed, breached, running, elapsed in counted.sort(keys).iter_rows():
        out.append((tuple(values), Tally(met, missed, breached, running, elapsed)))
    return out
