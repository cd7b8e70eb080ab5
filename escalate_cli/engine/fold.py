"""The rows of every issue -> each issue as it stands at the instant evaluated: the fold stage.

Without repeated ids (most snapshot exports), the snapshot status rules apply by columns (`build.with_status`).
Repeated ids are an event log to replay, or copies to merge. An event log is replayed by columns (`replay`:
window functions over each id's rows, in the order of their update times); copies, which are rare and need a
note, by `history.resolve`, the scalar fold, which is also the oracle `replay` is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from escalate_cli.engine import schema as S
from escalate_cli.engine.build import with_status
from escalate_cli.engine.cycles import AT, FILE, ROLE, N, with_cycles
from escalate_cli.engine.frame import IssueFrame, from_issues, to_issues
from escalate_cli.model import ClockDef, Condition, Issue, Policy, Problem, Statuses

Messages = Mapping[str, tuple[tuple[Condition, ...], ...]]  # which rows are whose messages (`Config.messages`)


def at_instant(
    rows: IssueFrame,
    as_of: int,
    statuses: Statuses,
    history: bool | None,
    policies: tuple[Policy, ...],
    only: str | None = None,
    record_key: str | None = None,
    clocks: tuple[ClockDef, ...] = (),
    messages: Messages | None = None,
) -> tuple[IssueFrame, list[Problem]]:
    """`only`: the id of the one issue wanted (`explain`); whether the rows are an event log is still decided
    over every id, so that it stands as it would among the others. `clocks`: the defined clocks, whose cycles
    each issue gets (`engine.cycles`); `messages`: read rows these pick as messages, not as rows of fields."""
    rows, said = split_messages(rows, messages)
    frame = rows.frame
    repeats = frame.height != frame.get_column(S.ID).n_unique()
    orphans = _orphans(said, frame) if only is None else []
    if not repeats and history is not True:
        snapshot = frame if only is None else frame.filter(pl.col(S.ID) == only)
        folded = IssueFrame(with_status(snapshot, statuses), rows.fields, rows.raw_keys, rows.objects, rows.single)
        history_of = IssueFrame(snapshot, *_rest(rows))
        return _with_cycles(folded, lambda: _as_events(history_of), said, clocks, as_of), orphans
    from escalate_cli.history import resolve
    from escalate_cli.sla import policy_name

    is_log = history if history is not None else is_event_log(frame)
    if only is not None:
        frame = frame.filter(pl.col(S.ID) == only)
    chosen = IssueFrame(frame, rows.fields, rows.raw_keys, rows.objects, rows.single)
    if is_log:
        folded, events = _replayed(chosen, as_of, statuses, policies)

        def fields() -> IssueFrame:
            return IssueFrame(events.with_columns(pl.col("_n").cast(pl.Int64).alias(N)), *_rest(rows))

        return _with_cycles(folded, fields, said, clocks, as_of), orphans
    issues, notes = resolve(groups(chosen), as_of, statuses, is_log, policy_name(policies), record_key)
    folded = from_issues(issues, rows.fields, rows.raw_keys)
    return _with_cycles(folded, lambda: _as_events(folded), said, clocks, as_of), notes + orphans


def _orphans(said: pl.DataFrame | None, rows: pl.DataFrame) -> list[Problem]:
    """A warning for the messages whose id no row of fields has: read, but of no issue."""
    if said is None:
        return []
    lost = said.join(rows.select(S.ID).unique(), on=S.ID, how="anti", maintain_order="left")
    if not lost.height:
        return []
    first = lost.row(0, named=True)
    where, issue = first[S.WHERE], first[S.ID]
    many = f"{lost.height} messages name" if lost.height > 1 else "1 message names"
    text = f"{many} an id no issue has (first: {issue!r}); they are left out: is the issues export among those read?"
    return [Problem(where, text, issue)]


def _rest(rows: IssueFrame) -> tuple[tuple[str, ...], tuple[str, ...], Sequence[Issue], frozenset[str]]:
    return rows.fields, rows.raw_keys, rows.objects, rows.single


def _as_events(rows: IssueFrame) -> IssueFrame:
    """A snapshot's rows as the one row of fields of each issue's history, at its last update."""
    frame = rows.frame.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(N),
        pl.coalesce(S.UPDATED, S.CREATED).alias(AT),
        pl.int_range(pl.len(), dtype=pl.Int64).alias(FILE),
    )
    return IssueFrame(frame, *_rest(rows))


def _with_cycles(
    folded: IssueFrame,
    history: Callable[[], IssueFrame],
    messages: pl.DataFrame | None,
    clocks: tuple[ClockDef, ...],
    as_of: int,
) -> IssueFrame:
    """`folded` with the cycles of the defined clocks (none: as it is), from the `history` of rows of fields (made
    only when some clock is defined) and the messages, each up to the instant."""
    if not clocks:
        return folded
    rows = history()
    fields = IssueFrame(rows.frame.filter(pl.col(AT) <= as_of), *_rest(rows))
    if messages is not None:  # each message to the issue of its id, by its number in the folded frame
        numbers = folded.frame.select(S.ID, pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(N))
        messages = messages.filter(pl.col(AT) <= as_of).join(numbers, on=S.ID)
    return with_cycles(folded, fields, messages, clocks)


NOTE_WORDS = ("false", "no", "0", "n", "f")  # a `public` value that makes a message an internal note


def split_messages(rows: IssueFrame, messages: Messages | None) -> tuple[IssueFrame, pl.DataFrame | None]:
    """The rows of fields, and the rows `messages` picks as messages (ID, AT, FILE, WHERE, ROLE; a row whose
    `public` column says false is an internal note and neither). None: messages are not read."""
    if messages is None:
        return rows, None
    from escalate_cli.config import NOTE_COLUMN
    from escalate_cli.engine.match import condition_holds

    role: pl.Expr = pl.lit(None, pl.Utf8)
    for name, ways in reversed(list(messages.items())):
        picked = pl.lit(False)
        for way in ways:
            every = pl.lit(True)
            for condition in way:
                every = every & condition_holds(rows, condition)
            picked = picked | every
        role = pl.when(picked).then(pl.lit(name)).otherwise(role)
    note = pl.lit(False)
    if NOTE_COLUMN in rows.raw_keys:
        first = pl.col(S.raw(NOTE_COLUMN)).list.first().str.strip_chars().str.to_lowercase()
        note = first.is_in(pl.Series(NOTE_WORDS).implode()).fill_null(False)
    marked = rows.frame.with_columns(
        pl.when(note).then(pl.lit("")).otherwise(role).alias(ROLE),
        pl.int_range(pl.len(), dtype=pl.Int64).alias(FILE),
    )
    marked = _audited(marked, rows.raw_keys)
    found = marked.filter(pl.col(ROLE).is_not_null())
    if not found.height:
        return rows, None
    kept = marked.filter(pl.col(ROLE).is_null()).drop(ROLE, FILE)
    said = found.filter(pl.col(ROLE) != "").select(S.ID, _written(found).alias(AT), FILE, S.WHERE, ROLE)
    return IssueFrame(kept, *_rest(rows)), said


def _audited(frame: pl.DataFrame, raw_keys: tuple[str, ...]) -> pl.DataFrame:
    """ROLE of the rows that are a preset's audits (`presets.Audit`: Zendesk's ticket audits): none of them is a
    row of fields; one with a public comment is the customer's where its author is the ticket's requester (as
    the ticket rows of the same id say), else an agent's; any other is neither ("")."""
    from escalate_cli.presets import PRESETS

    for name, preset in PRESETS.items():
        audit = preset.audit
        if audit is None or not {audit.kind, audit.author, audit.requester} <= set(raw_keys):
            continue
        kinds = pl.col(S.raw(audit.kind))
        mine = kinds.list.len().fill_null(0) > 0
        if S.SOURCE in frame.columns:
            mine = mine & (pl.col(S.SOURCE) == name).fill_null(False)
        requester = pl.col(S.raw(audit.requester)).list.first().str.strip_chars()
        asked = frame.filter(~mine & requester.is_not_null()).group_by(S.ID).agg(requester.first().alias("_asker"))
        commented = kinds.list.eval(pl.element().str.to_lowercase() == audit.comment).list.any().fill_null(False)
        private = pl.lit(False)
        if audit.public in raw_keys:
            words = pl.Series(NOTE_WORDS).implode()
            private = pl.col(S.raw(audit.public)).list.eval(pl.element().str.to_lowercase().is_in(words)).list.any()
        author = pl.col(S.raw(audit.author)).list.first().str.strip_chars()
        said = (
            pl.when(~commented | private.fill_null(False))
            .then(pl.lit(""))
            .when(author == pl.col("_asker"))
            .then(pl.lit("customer"))
            .otherwise(pl.lit("agent"))
        )
        frame = (
            frame.join(asked, on=S.ID, how="left", maintain_order="left")
            .with_columns(pl.when(mine).then(said).otherwise(pl.col(ROLE)).alias(ROLE))
            .drop("_asker")
        )
    return frame


def _written(rows: pl.DataFrame) -> pl.Expr:
    """When each message was written: its update time (a row of an event log carries the issue's creation), or
    its creation where its export's preset says a message row's own `created` is (`Preset.message_at`: GitHub's
    comments, whose `updated_at` is their last edit)."""
    from escalate_cli.presets import PRESETS

    own = sorted(name for name, preset in PRESETS.items() if preset.message_at == "created")
    if S.SOURCE not in rows.columns or not own:
        return pl.coalesce(S.UPDATED, S.CREATED)
    created_first = pl.col(S.SOURCE).is_in(pl.Series(own, dtype=pl.Utf8).implode()).fill_null(False)
    return pl.when(created_first).then(pl.coalesce(S.CREATED, S.UPDATED)).otherwise(pl.coalesce(S.UPDATED, S.CREATED))


_AT, _FILE = AT, FILE  # an event's instant and file order, as `engine.cycles` reads them from the events
_RANK, _K = "_rank", "_k"  # its id's first place in the file, its place in its id's events


def replay(rows: IssueFrame, as_of: int, statuses: Statuses, policies: tuple[Policy, ...]) -> IssueFrame:
    """Each issue as its event log shows it at `as_of` (`_replayed`)."""
    return _replayed(rows, as_of, statuses, policies)[0]


def _replayed(
    rows: IssueFrame, as_of: int, statuses: Statuses, policies: tuple[Policy, ...]
) -> tuple[IssueFrame, pl.DataFrame]:
    """`history.fold` of every id by columns: each issue as its event log shows it at `as_of`, in the order the
    ids first appear; ids with no event yet are left out.

    Events are ordered by update time (created without one), file order on a tie. The last event gives the
    fields; created is the earliest; the clocks stop when the issue first entered the closed statuses it
    stayed in (unless the export has a resolution); pauses run from entering a paused status to leaving them
    (a pause left in the same second is none); the policy change is the last event whose policy differs from
    the one before it."""
    events = _events(rows, as_of, statuses, policies)
    change, moved = pl.col("_change"), pl.col("_moved")
    reopened = pl.when(change & ~pl.col("_closed")).then(pl.col(_K)).max().over("_n").fill_null(-1)
    events = events.with_columns(
        (change & pl.col("_closed") & (pl.col(_K) > reopened)).alias("_closing"),
    )
    kept = [c for c in rows.frame.columns if c not in _MADE]  # as the last event has them
    folded = events.group_by(S.ID, maintain_order=True).agg(
        *(pl.col(c).last() for c in kept if c != S.ID),
        pl.col(S.CREATED).min(),
        pl.col(_AT).last().alias(S.UPDATED),
        pl.coalesce(pl.col(S.RESOLVED).last(), pl.col(_AT).filter(pl.col("_closing")).first()).alias(S.RESOLVED),
        pl.col(_AT).filter(change).last().alias(S.STATUS_SINCE),
        pl.col(_AT).filter(moved).last().alias(S.CHANGED),
        pl.col("_policy_before").filter(moved).last().alias(S.PREVIOUS),
        pl.col(_AT).filter(pl.col("_pause_starts")).alias("_starts"),
        pl.col(_AT).filter(pl.col("_pause_ends")).alias("_ends"),
    )
    pauses = _pauses(folded)
    folded = folded.drop("_starts", "_ends").join(pauses, on=S.ID, how="left", maintain_order="left")
    held = _held(events, statuses).group_by(S.ID).agg(pl.struct("from", "to").alias(S.HELD))
    folded = folded.join(held, on=S.ID, how="left", maintain_order="left")
    out = IssueFrame(_split(folded).select(rows.frame.columns), rows.fields, rows.raw_keys, rows.objects, rows.single)
    return out, events


VALID_FROM, VALID_TO = "valid_from", "valid_to"  # Int64: the span [from, to) in which a version stands
NUMBER = "number"  # Int64: the issue's number, the same in all its versions
_MADE = (S.CREATED, S.UPDATED, S.RESOLVED, S.STATUS_SINCE, S.CHANGED, S.PREVIOUS, S.PAUSES, S.PAUSED_SINCE, S.HELD)


def versions(
    rows: IssueFrame, end: int, statuses: Statuses, history: bool | None, policies: tuple[Policy, ...]
) -> pl.DataFrame:
    """Every version of every issue up to `end` (what `backtest` replays): the issue frame's columns, one row per
    instant at which its event log changed it, as `replay` would fold it then, with VALID_FROM and VALID_TO (the
    next version's start, else end + 1). A snapshot has one version per id, its latest row, from its creation."""
    return _versions(rows, end, statuses, history, policies, False)[0]


def versions_and_history(
    rows: IssueFrame, end: int, statuses: Statuses, history: bool | None, policies: tuple[Policy, ...]
) -> tuple[pl.DataFrame, IssueFrame]:
    """`versions`, and the rows of fields they come from as `engine.cycles` reads a history: each with N (its
    issue's NUMBER), AT and FILE, in order (a snapshot's one row per id, at its last update)."""
    stood, events = _versions(rows, end, statuses, history, policies, True)
    if events is None:
        events = stood.with_columns(
            pl.col(NUMBER).alias(N), pl.coalesce(S.UPDATED, S.CREATED).alias(AT), pl.col(NUMBER).alias(FILE)
        )
    else:
        events = events.with_columns(pl.col("_n").cast(pl.Int64).alias(N))
    return stood, IssueFrame(events, *_rest(rows))


def _versions(
    rows: IssueFrame, end: int, statuses: Statuses, history: bool | None, policies: tuple[Policy, ...], keep: bool
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`versions`, with the event log's events when `keep` (None: a snapshot)."""
    frame = rows.frame
    if not (history if history is not None else is_event_log(frame)):
        latest = frame.with_columns(pl.col(S.UPDATED).fill_null(0).alias("_u"))
        latest = latest.filter(pl.col("_u") == pl.col("_u").max().over(S.ID)).unique(S.ID, keep="first")
        stood = with_status(latest.drop("_u"), statuses).with_columns(
            pl.col(S.CREATED).alias(VALID_FROM),
            pl.lit(end + 1, pl.Int64).alias(VALID_TO),
            pl.int_range(pl.len(), dtype=pl.Int64).alias(NUMBER),
        )
        return stood, None
    events = _events(rows, end, statuses, policies)
    change, by_id = pl.col("_change"), S.ID
    stamped = events.with_columns(
        pl.col(S.CREATED).cum_min().over("_n"),
        pl.col(_AT).alias(S.UPDATED),
        pl.coalesce(S.RESOLVED, _closed_since()).alias(S.RESOLVED),
        _last_marked(change, pl.col(_AT), "_n").alias(S.STATUS_SINCE),
        _last_marked(pl.col("_moved"), pl.col(_AT), "_n").alias(S.CHANGED),
        _last_marked(pl.col("_moved"), pl.col("_policy_before"), "_n").alias(S.PREVIOUS),
    )
    same_id_next = pl.col("_n") == pl.col("_n").shift(-1)
    last_of_instant = ~(same_id_next & (pl.col(_AT) == pl.col(_AT).shift(-1))).fill_null(False)  # all its events
    stamped = stamped.filter(last_of_instant).with_row_index("_version")
    pauses = _pauses(
        events.group_by(by_id).agg(
            pl.col(_AT).filter(pl.col("_pause_starts")).alias("_starts"),
            pl.col(_AT).filter(pl.col("_pause_ends")).alias("_ends"),
        )
    ).explode(S.PAUSES)
    begun = (
        stamped.select("_version", by_id, _AT)
        .join(pauses.unnest(S.PAUSES), on=by_id)
        .filter(pl.col("from") <= pl.col(_AT))
        .with_columns(pl.when(pl.col("to") <= pl.col(_AT)).then(pl.col("to")).alias("to"))  # else open then
        .sort("_version", "from")
        .group_by("_version")
        .agg(pl.struct("from", "to").alias(S.PAUSES))
    )
    held = (
        stamped.select("_version", by_id, _AT)
        .join(_held(events, statuses), on=by_id)
        .filter(pl.col("to") <= pl.col(_AT))  # reopened by then
        .sort("_version", "from")
        .group_by("_version")
        .agg(pl.struct("from", "to").alias(S.HELD))
    )
    valid_from = pl.max_horizontal(_AT, S.CREATED)
    stamped = stamped.drop(S.PAUSES, S.HELD).join(begun, on="_version", how="left", maintain_order="left")
    stamped = stamped.join(held, on="_version", how="left", maintain_order="left")
    stamped = _split(stamped).with_columns(
        valid_from.alias(VALID_FROM),
        pl.when(same_id_next).then(valid_from.shift(-1)).otherwise(end + 1).alias(VALID_TO),
        pl.col("_n").cast(pl.Int64).alias(NUMBER),
    )
    return stamped.select(*frame.columns, VALID_FROM, VALID_TO, NUMBER), events if keep else None


def _last_marked(mark: pl.Expr, value: pl.Expr, stretch: str) -> pl.Expr:
    """`value` at the last row so far where `mark` holds, within each stretch of rows (`stretch`: a number that
    grows by one at each new stretch); null before the first. A forward fill over the whole frame that takes
    nothing across stretches (a window `.over` of these fills is two orders of magnitude slower)."""
    carried = pl.when(mark).then(pl.struct(pl.col(stretch).alias("at"), value.alias("value"))).forward_fill()
    return pl.when(carried.struct.field("at") == pl.col(stretch)).then(carried.struct.field("value"))


def _events(rows: IssueFrame, as_of: int, statuses: Statuses, policies: tuple[Policy, ...]) -> pl.DataFrame:
    """Every event up to `as_of` in replay order (ids in order of first appearance, then update time, then file
    order), with its place in its id's log (_K), its status and what it changed."""
    from escalate_cli.engine.match import POLICY, with_policy

    names = pl.Series([p.name for p in policies], dtype=pl.Utf8)
    first = rows.frame.with_row_index(_FILE)
    ranks = first.group_by(S.ID, maintain_order=True).agg(pl.col(_FILE).first().alias(_RANK))
    at = pl.coalesce(S.UPDATED, S.CREATED)
    events = first.with_columns(at.alias(_AT)).filter(pl.col(_AT) <= as_of)
    matched = with_policy(IssueFrame(events, rows.fields, rows.raw_keys, rows.objects, rows.single), policies)
    events = (
        matched.with_columns(pl.lit(names).gather(pl.col(POLICY)).alias("_policy"))
        .drop(POLICY)
        .join(ranks, on=S.ID, how="left")
        .sort(_RANK, _AT, _FILE)
    )
    status = pl.col("status").str.strip_chars().str.to_lowercase()
    closed = status.is_in(pl.Series(sorted(statuses.closed), dtype=pl.Utf8).implode())
    paused = status.is_in(pl.Series(sorted(statuses.paused), dtype=pl.Utf8).implode())
    # Each id's events are contiguous now: "the event before, of the same id" is a shift masked at each id's
    # first event (a window `.over(id)` on the text ids cost 0.3 s a column at 1M events).
    new_id = pl.col(S.ID).ne_missing(pl.col(S.ID).shift(1))
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    events = events.with_columns(
        status.alias("_status"),
        closed.alias("_closed"),
        paused.alias("_paused"),
        new_id.alias("_new"),
        (row - pl.when(new_id).then(row).forward_fill()).alias(_K),
    )

    def before(column: str) -> pl.Expr:
        return pl.when(pl.col("_new")).then(None).otherwise(pl.col(column).shift(1))

    was_paused = before("_paused").fill_null(False)
    policy_before = before("_policy")
    change = ((pl.col(_K) == 0) | (pl.col("_status") != before("_status")).fill_null(True)).alias("_change")
    reopening = change & ~pl.col("_closed")  # each opens a stretch in which the first closing stops the clocks
    return events.with_columns(
        change,
        pl.col("_new").cum_sum().alias("_n"),
        (pl.col("_new") | reopening).cum_sum().alias("_open"),
        (pl.col("_paused") & ~was_paused).alias("_pause_starts"),
        (~pl.col("_paused") & was_paused).alias("_pause_ends"),
        ((pl.col(_K) > 0) & pl.col("_policy").ne_missing(policy_before)).alias("_moved"),
        policy_before.alias("_policy_before"),
    )


def _closed_since() -> pl.Expr:
    """At each event, when its id first entered the closed statuses it is in (null while open): the first
    closing of the stretch since the last reopening."""
    closing = pl.col("_change") & pl.col("_closed")
    closed_before = pl.when(closing).then(pl.col("_open")).forward_fill().shift(1)  # the stretch of the last one
    return _last_marked(closing & closed_before.ne_missing(pl.col("_open")), pl.col(_AT), "_open")


def _held(events: pl.DataFrame, statuses: Statuses) -> pl.DataFrame:
    """The spans (id, from, to) each issue sat resolved before it was reopened: from the first closing of the
    stretch a reopening ends to that reopening (none with `reopen: continue`)."""
    if not statuses.hold_reopened:
        return pl.DataFrame(schema={S.ID: pl.Utf8, "from": pl.Int64, "to": pl.Int64})
    reopening = pl.col("_change") & ~pl.col("_closed") & (pl.col("_n") == pl.col("_n").shift(1))
    spans = events.select(S.ID, _closed_since().shift(1).alias("from"), pl.col(_AT).alias("to"), reopening.alias("r"))
    return spans.filter(pl.col("r") & (pl.col("to") > pl.col("from"))).drop("r")


def _split(folded: pl.DataFrame) -> pl.DataFrame:
    """One open pause alone goes to PAUSED_SINCE; PAUSES keeps a list only where some pause ended or several."""
    count = pl.col(S.PAUSES).list.len().fill_null(0)
    last_open = pl.col(S.PAUSES).list.last().struct.field("to").is_null() & (count > 0)
    return folded.with_columns(
        pl.when((count == 1) & last_open)
        .then(pl.col(S.PAUSES).list.first().struct.field("from"))
        .alias(S.PAUSED_SINCE),
        pl.when((count > 1) | ((count == 1) & ~last_open)).then(pl.col(S.PAUSES)).alias(S.PAUSES),
    )


def _pauses(folded: pl.DataFrame) -> pl.DataFrame:
    """Each id's pauses (from, to) from the instants it entered and left paused statuses: the n-th exit ends
    the n-th pause; one without an exit is still open; one left in the second it began is none."""

    def listed(column: str) -> pl.DataFrame:
        return (
            folded.select(S.ID, pl.col(column).alias("t"))
            .with_columns(pl.int_ranges(pl.col("t").list.len()).alias("n"))
            .explode("t", "n")
            .drop_nulls("t")
        )

    starts, ends = listed("_starts"), listed("_ends").rename({"t": "to"})
    pairs = starts.rename({"t": "from"}).join(ends, on=[S.ID, "n"], how="left", maintain_order="left")
    pairs = pairs.filter(pl.col("to").is_null() | (pl.col("to") > pl.col("from")))
    return pairs.group_by(S.ID, maintain_order=True).agg(pl.struct("from", "to").alias(S.PAUSES))


def is_event_log(frame: pl.DataFrame) -> bool:
    """`history.looks_like_event_log` by columns: at least 10% of the ids, and two, have rows with different
    update times."""
    per_id = frame.group_by(S.ID).agg(pl.col(S.UPDATED).n_unique().alias("times"))
    changing = int((per_id.get_column("times") > 1).sum())
    return changing >= max(2, per_id.height / 10)


def groups(rows: IssueFrame) -> dict[str, list[Issue]]:
    """Every row as an issue, by id in order of first appearance (what `history` replays)."""
    out: dict[str, list[Issue]] = {}
    frame = rows.frame.with_columns(pl.lit(None, S.BASE[S.PAUSES]).alias(S.PAUSES))  # rows, not histories
    for issue in to_issues(rows, frame):
        out.setdefault(issue.id, []).append(issue)
    return out
