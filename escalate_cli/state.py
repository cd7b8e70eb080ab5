"""The state file (SQLite): each clock's last state, every escalation step announced, and every delivery.

The clocks of the last run are one row of `snapshot`, an Arrow IPC file (zstd) of the REMEMBERED columns
(`changes`): a million clocks read and written in a fraction of a second, where a row per clock took seconds
each way. Announcements and deliveries stay a row each, as each delivery is updated on its own.

One run at a time holds the file: a lock file next to its real path and the file itself (flock) are taken for the
whole run, so two cron runs can neither corrupt it nor announce anything twice; the one that waits says so, and
gives up after a timeout.
Each step commits in its own transaction, so a run killed half-way loses nothing an earlier step recorded.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from escalate_cli.changes import REMEMBERED, Announcement
from escalate_cli.errors import EscalateError

if TYPE_CHECKING:
    import polars as pl

SCHEMA_VERSION = 2
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, as_of INTEGER NOT NULL, started_at REAL NOT NULL)",
        "CREATE TABLE clocks (issue TEXT NOT NULL, metric TEXT NOT NULL, policy TEXT NOT NULL, state TEXT NOT NULL,"
        " level TEXT, due_at INTEGER NOT NULL, title TEXT NOT NULL DEFAULT '', PRIMARY KEY (issue, metric))",
        "CREATE TABLE announcements (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, run_id INTEGER NOT NULL,"
        " issue TEXT NOT NULL, metric TEXT NOT NULL, policy TEXT NOT NULL, level TEXT NOT NULL,"
        " payload TEXT NOT NULL)",
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, announcement_id INTEGER NOT NULL REFERENCES announcements,"
        " channel TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'sent')),"
        " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', sent_at REAL,"
        " UNIQUE (announcement_id, channel))",
    ),
    2: (
        "CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), clocks BLOB NOT NULL)",  # then _to_snapshot
        "CREATE TABLE previewed (key TEXT PRIMARY KEY)",  # announcements a run without --notify said it would send
        "CREATE TABLE dropped (delivery_id INTEGER PRIMARY KEY REFERENCES deliveries, reason TEXT NOT NULL,"
        " dropped_at REAL NOT NULL)",  # pending deliveries whose clock stopped before they went out
    ),
}


class StateError(EscalateError):
    pass


def _snapshot() -> pl.Schema:
    """The types of the REMEMBERED columns."""
    import polars as pl

    return pl.Schema({name: pl.Int64() if name == "due_at" else pl.Utf8() for name in REMEMBERED})


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    channel: str
    attempts: int
    payload: dict[str, object]
    broken: str = ""  # why its payload in the state file cannot be read (then payload is empty)


class StateStore:
    def __init__(self, path: Path, *, lock_timeout: float = 60.0, on_wait: Callable[[str], None] = print) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait
        self._lock: IO[str] | None = None
        self._database_lock: IO[bytes] | None = None
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> StateStore:
        self._lock = self._acquire_lock()
        try:
            self._database_lock = self._lock_database()
            if self.path.is_file() and self.path.stat().st_size == 0:  # only a missing file is a new one
                raise StateError(
                    f"{self.path}: empty (0 bytes), so not an escalate state file; its earlier runs are lost "
                    "(delete it to start afresh, knowing that every current escalation is then sent again)"
                )
            self._db = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None)
            self._migrate()
            if self._database_lock is None:  # a new file: locked as soon as it exists
                self._database_lock = self._lock_database()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # damaged pages, or damaged text in them
            self.__exit__(None, None, None)
            raise StateError(f"{self.path}: not a usable escalate state file ({exc})") from exc
        except BaseException:  # a newer schema, say: let go of the lock and the file, as `with` will not
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._database_lock is not None:
            self._database_lock.close()
            self._database_lock = None
        if self._lock is not None:
            self._lock.close()  # closing the file releases the flock
            self._lock = None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "use StateStore as a context manager"
        return self._db

    def _acquire_lock(self) -> IO[str]:
        """The lock file next to the database's real path (a symlink to the state file locks the same file)."""
        real = self.path.resolve()
        lock_path = real.with_name(real.name + ".lock")
        try:
            handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until __exit__
        except OSError as exc:
            raise StateError(f"{lock_path}: cannot open the lock file: {exc.strerror or exc}") from exc

        def holder() -> str:
            handle.seek(0)
            return handle.read().strip() or "?"

        self._wait_for(handle, holder)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _lock_database(self) -> IO[bytes] | None:
        """The database file itself, locked too: a lock file removed while a run holds it (a cleanup script, a
        restore) no longer lets a second run in. A file that does not exist yet is guarded by the lock file."""
        try:
            handle = open(self.path.resolve(), "rb")  # noqa: SIM115 - held until __exit__
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"{self.path}: cannot open: {exc.strerror or exc}") from exc
        self._wait_for(handle, lambda: "?")
        return handle

    def _wait_for(self, handle: IO[Any], holder: Callable[[], str]) -> None:
        import fcntl

        deadline = time.monotonic() + self.lock_timeout
        waited = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if not waited:
                    self.on_wait(f"waiting for {self.path}: another escalate run (pid {holder()}) is using it")
                    waited = True
                if time.monotonic() >= deadline:
                    handle.close()
                    raise StateError(
                        f"{self.path}: still in use by another escalate run after {self.lock_timeout:g}s; gave up "
                        "(nothing was recorded; the next run catches up)"
                    ) from None
                time.sleep(0.05)

    def _migrate(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.path}: written by a newer escalate (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); upgrade escalate or use another --state file"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                for statement in MIGRATIONS[target]:
                    self.db.execute(statement)
                if target == 2:
                    self._to_snapshot()
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(target),))

    def _version(self) -> int:
        has_meta = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            return 0
        if not str(row[0]).isdigit():
            raise StateError(f"{self.path}: its schema version {row[0]!r} is not a number; not a file escalate wrote")
        return int(row[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def _to_snapshot(self) -> None:
        """Schema 2: the clocks table of schema 1 becomes the snapshot."""
        import polars as pl

        old = [c for c in REMEMBERED if c != "source"]  # schema 1 did not know sources
        rows = [(*row, None) for row in self.db.execute(f"SELECT {', '.join(old)} FROM clocks").fetchall()]
        self._write_snapshot(pl.DataFrame(rows, schema=_snapshot(), orient="row"))
        self.db.execute("DROP TABLE clocks")

    def _write_snapshot(self, clocks: pl.DataFrame) -> None:
        import io

        out = io.BytesIO()
        clocks.select(REMEMBERED).cast(_snapshot()).write_ipc(out, compression="zstd")
        self.db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?)", (out.getvalue(),))

    def remembered(self) -> pl.DataFrame:
        """The last run's clocks: the REMEMBERED columns, in that run's order."""
        import io

        import polars as pl

        row = self.db.execute("SELECT clocks FROM snapshot WHERE id = 1").fetchone()
        if row is None:
            return pl.DataFrame(schema=_snapshot())
        try:
            clocks = pl.read_ipc(io.BytesIO(row[0]))
            if "source" not in clocks.columns:  # written before clocks knew their source
                clocks = clocks.with_columns(pl.lit(None, pl.Utf8).alias("source"))
            return clocks.select(REMEMBERED).cast(_snapshot())
        except Exception as exc:  # whatever Arrow says of a damaged snapshot
            raise StateError(
                f"{self.path}: the clocks of the last run cannot be read ({exc}); use a new --state file"
            ) from None

    def announced(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM announcements")}

    def previewed(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM previewed")}

    def save_run(
        self,
        as_of: int,
        clocks: pl.DataFrame,
        announcements: Sequence[tuple[Announcement, dict[str, object], Sequence[str]]] = (),
        previewed: Sequence[str] = (),
    ) -> int:
        """Record this run's clocks (replacing the last run's), its new announcements with a pending delivery per
        channel, and the keys of those it only said it would send, in one transaction."""
        with self._transaction():
            run_id = self.db.execute(
                "INSERT INTO runs (as_of, started_at) VALUES (?, ?)", (as_of, time.time())
            ).lastrowid
            self._write_snapshot(clocks)
            self.db.executemany("INSERT OR IGNORE INTO previewed VALUES (?)", ((key,) for key in previewed))
            for item, payload, channels in announcements:
                announcement_id = self.db.execute(
                    "INSERT INTO announcements (key, run_id, issue, metric, policy, level, payload)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (item.key, run_id, item.issue, item.metric, item.policy, item.level, json.dumps(payload)),
                ).lastrowid
                self.db.executemany(
                    "INSERT INTO deliveries (announcement_id, channel, status) VALUES (?, ?, 'pending')",
                    ((announcement_id, channel) for channel in channels),
                )
        return int(run_id or 0)

    def pending(self) -> list[PendingDelivery]:
        rows = self.db.execute(
            "SELECT d.id, d.channel, d.attempts, a.payload FROM deliveries d JOIN announcements a"
            " ON a.id = d.announcement_id WHERE d.status = 'pending'"
            " AND d.id NOT IN (SELECT delivery_id FROM dropped) ORDER BY d.id"
        )
        return [_pending(*row) for row in rows]

    def drop(self, delivery: PendingDelivery, reason: str) -> None:
        """Never deliver this one: its clock stopped before it could go out, or it failed too often (`reason`)."""
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO dropped VALUES (?, ?, ?)", (delivery.id, reason, time.time()))

    def record_delivery(self, delivery: PendingDelivery, *, sent: bool, attempts: int, error: str = "") -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + ?, last_error = ?, sent_at = ? WHERE id = ?",
                ("sent" if sent else "pending", attempts, error, time.time() if sent else None, delivery.id),
            )


def _pending(delivery_id: int, channel: str, attempts: int, payload: str) -> PendingDelivery:
    """A pending delivery; one whose payload row is damaged says so, rather than stopping every delivery."""
    try:
        body = json.loads(payload)
    except (TypeError, ValueError) as exc:
        return PendingDelivery(delivery_id, channel, attempts, {}, f"its payload cannot be read ({exc})")
    if not isinstance(body, dict) or not all(k in body for k in ("level", "issue", "metric")):
        return PendingDelivery(delivery_id, channel, attempts, {}, "its payload is not an escalate announcement")
    return PendingDelivery(delivery_id, channel, attempts, body)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
