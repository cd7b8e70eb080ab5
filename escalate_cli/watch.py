"""Cron mode: compare this run with the state file, record it, and announce escalation steps once each.

By columns (`changes.diff_frame`, `engine.actions.unannounced`): `Clock` objects are built only for the clocks
with a step still to announce, and `changes.announcements` makes their announcements as it always has.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import polars as pl

from escalate_cli.changes import announcements, carried, diff_frame, remembered_frame
from escalate_cli.config import Config
from escalate_cli.engine import cells
from escalate_cli.engine.actions import unannounced
from escalate_cli.model import Report, State
from escalate_cli.notify import channels_for, deliver, is_quiet, payload
from escalate_cli.state import PendingDelivery, StateError, StateStore


def remember_and_notify(
    report: Report,
    config: Config,
    state: Path,
    *,
    notify: bool,
    lock_timeout: float,
    say: Callable[[str], None],
    sources: Collection[str] = (),
) -> int:
    """`_remember_and_notify`, with a state file SQLite cannot use (a missing table, a damaged page, a full
    disk) said as an error naming the file; each step's transaction has rolled back, so nothing recorded is lost."""
    import sqlite3

    try:
        return _remember_and_notify(
            report, config, state, notify=notify, lock_timeout=lock_timeout, say=say, sources=sources
        )
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # damaged pages, or damaged text in them
        raise StateError(f"{state}: not a usable escalate state file ({exc})") from None


def _remember_and_notify(
    report: Report,
    config: Config,
    state: Path,
    *,
    notify: bool,
    lock_timeout: float,
    say: Callable[[str], None],
    sources: Collection[str],
) -> int:
    """Sets report.changes; records the run; with `notify`, delivers every pending announcement (this run's and
    any an earlier run could not deliver), else says what it would send. `say` writes a line to stderr.
    `sources`: the presets this run read; clocks remembered from exports of other sources (another cron job
    sharing the state file) are kept as they were, neither gone nor new.
    `report` holds its clocks as a frame (report.table). Returns how many deliveries failed this run."""
    table = report.table
    assert table is not None, "evaluate with as_table"
    clocks = cells.of_report(report, config.timezone)
    unread = {problem.issue for problem in report.errors if problem.issue}  # rows this run could not read
    with StateStore(state, lock_timeout=lock_timeout, on_wait=say) as store:
        remembered = store.remembered()
        if any(problem.whole_export for problem in report.errors):  # its issues may be any of those remembered
            unread |= set(remembered.get_column("issue").to_list())
        read_now = set(clocks.get_column("source").drop_nulls().to_list()) | set(sources)
        elsewhere = remembered.filter(pl.col("source").is_not_null() & ~pl.col("source").is_in(sorted(read_now)))
        unread |= set(elsewhere.get_column("issue").to_list())  # another source's run: not gone, not new
        report.changes = diff_frame(remembered, clocks, unread)
        snapshot = pl.concat([remembered_frame(clocks), carried(remembered, clocks, unread)])
        new = []
        if notify or config.contacts:  # else nothing is sent, said or recorded
            known = store.announced() | (set() if notify else store.previewed())  # said once is enough
            new = announcements(table.clock_objects(unannounced(table, known)), known)
        routed = [
            (item, payload(item, report.as_of, config.timezone), channels_for(item, config.contacts)) for item in new
        ]
        if notify:
            store.save_run(report.as_of, snapshot, routed)
        else:
            store.save_run(report.as_of, snapshot, previewed=[item.key for item in new])
            for item, _, channels in routed:
                where = ", ".join(config.channels[c].describe() for c in channels) or "no channel"
                say(f"would send {item.level} for {item.issue} {item.metric} to {where}: {item.message}")
            return 0
        failed = 0
        down: dict[str, str] = {}  # channels that failed this run: one unresponsive channel costs one delivery's time
        pending = store.pending()
        stopped = _stopped(clocks, pending)
        for delivery in pending:
            if delivery.broken:  # a damaged row of the state file: that delivery's failure, not the run's
                store.drop(delivery, delivery.broken)
                say(f"dropped delivery {delivery.id} for {delivery.channel}: {delivery.broken}")
                continue
            channel = config.channels.get(delivery.channel)
            label = f"{delivery.payload['level']} for {delivery.payload['issue']} {delivery.payload['metric']}"
            now = stopped.get((str(delivery.payload["issue"]), str(delivery.payload["metric"])))
            if now is not None:  # an earlier run could not deliver it, and the clock has stopped since
                store.drop(delivery, f"the clock stopped ({now}) before delivery")
                say(f"dropped {label} for {delivery.channel}: the clock stopped ({now}) before it could be delivered")
                continue
            if channel is None:
                say(f"cannot deliver {label}: channel {delivery.channel!r} is no longer in the config")
                continue
            if is_quiet(channel, report.as_of):
                say(f"holding {label} for {channel.name} until its hours ({channel.hours_name}) open")
                continue
            if channel.name in down:  # it failed this run: the others' deliveries are not held up by it again
                failed += 1
                say(
                    f"not trying {label} on {channel.name}: it failed this run ({down[channel.name]}); "
                    "the next run tries"
                )
                continue
            if delivery.attempts >= channel.give_up_after:  # dead-lettered: recorded, said, never tried again
                failed += 1
                reason = f"gave up after {delivery.attempts} attempts"
                store.drop(delivery, reason)
                say(f"gave up on {label} for {channel.name} after {delivery.attempts} attempts; recorded as dropped")
                continue
            attempts, error = deliver(channel, delivery.payload)
            store.record_delivery(delivery, sent=not error, attempts=attempts, error=error)
            if error:
                failed += 1
                down[channel.name] = error
                tried = f" after {attempts} attempts" if attempts else ""
                say(f"could not deliver {label} to {channel.describe()}{tried}: {error}; the next run tries again")
            else:
                say(f"sent {label} to {channel.describe()}")
    return failed


def _stopped(clocks: pl.DataFrame, pending: list[PendingDelivery]) -> dict[tuple[str, str], str]:
    """(issue, metric) -> state, for the clocks of pending deliveries that have stopped (met or missed) this run."""
    keys = {(str(d.payload["issue"]), str(d.payload["metric"])) for d in pending if not d.broken}
    if not keys:
        return {}
    wanted = pl.DataFrame(sorted(keys), schema={cells.ISSUE: pl.Utf8, cells.METRIC: pl.Utf8}, orient="row")
    done = clocks.filter(pl.col(cells.STATE).is_in([State.MET.value, State.MISSED.value]))
    done = done.join(wanted, on=[cells.ISSUE, cells.METRIC], how="semi")
    return {
        (issue, metric): state
        for issue, metric, state in done.select(cells.ISSUE, cells.METRIC, cells.STATE).iter_rows()
    }
