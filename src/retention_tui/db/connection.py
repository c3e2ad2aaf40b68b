"""Connections to the one SQLite file that several advisors share.

Every connection runs in autocommit mode (``isolation_level=None``) with WAL, a busy timeout
and foreign keys on. Writes go through :func:`write`, a short ``BEGIN IMMEDIATE`` transaction:
taking the write lock up front means two processes never deadlock upgrading a read lock, and
the busy timeout makes the second writer wait its turn instead of failing.
"""

from __future__ import annotations

import grp
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import DatabaseBusyError, RetentionError, StorageFullError
from ..i18n import _
from ..textfold import digits, fold

BUSY_TIMEOUT_MS = 15_000


def _explain(error: sqlite3.Error, path: str | Path) -> RetentionError:
    """Turn an SQLite error into a sentence a user can act on."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return DatabaseBusyError(
            _(
                "The database {path} is busy: another advisor or an import holds it. "
                "Try again in a moment."
            ).format(path=path)
        )
    if "disk is full" in text or "database or disk is full" in text:
        return StorageFullError(
            _(
                "The disk holding {path} is full; nothing was saved. Free some space and try again."
            ).format(path=path)
        )
    if "not a database" in text or "malformed" in text:
        return RetentionError(
            _(
                "{path} is not a retention-tui database (or it is damaged). Nothing was "
                "written to it; if it is the workshop's database, restore the latest copy made "
                "by retention-tui backup."
            ).format(path=path)
        )
    if "readonly" in text or "read-only" in text:
        return RetentionError(
            _("{path} can only be read; nothing was saved.").format(path=path) + _shared_fix(path)
        )
    if "unable to open" in text:
        folder = Path(path).parent
        if Path(path).exists() and not os.access(folder, os.W_OK | os.X_OK):
            # WAL needs the -wal and -shm files beside the database, made by whoever comes first.
            return RetentionError(
                _(
                    "Cannot open the database {path}: the folder {folder} may not be written."
                ).format(path=path, folder=folder)
                + _shared_fix(path)
            )
        return RetentionError(_("Cannot open the database {path}.").format(path=path))
    return RetentionError(_("Database error in {path}: {error}").format(path=path, error=error))


def _shared_fix(path: str | Path) -> str:
    """The sentence that names the fix for a database several OS accounts share."""
    from ..audit import current_operator

    group = _("GROUP")
    try:
        folder = Path(path).parent.stat()
        if folder.st_mode & stat.S_ISGID:
            group = grp.getgrgid(folder.st_gid).gr_name
    except (OSError, KeyError):
        pass
    return " " + _(
        "{operator} may not write to it, its folder or its -wal and -shm files. When several "
        "advisors share it, an administrator makes all of them writable for the advisors' "
        "group: sudo retention-tui setup-shared --db {path} --group {group}"
    ).format(operator=current_operator(), path=path, group=group)


def _share_with_group(path: Path) -> bool:
    """Whether ``path`` lies in a folder shared by a group (``setup-shared`` sets its setgid
    bit); if so, this process stops keeping the group out of the files it creates.

    SQLite creates a new database file 0644 whatever the umask, and gives the -wal and -shm
    files the database file's mode (as root, also its owner), so the database file decides
    whether the next advisor can write; :func:`open_database` makes a new one group-writable.
    The umask covers what the app itself writes there afterwards. Only the group bits are
    cleared: the others' stay as the user had them.
    """
    try:
        shared = bool(path.parent.stat().st_mode & stat.S_ISGID)
    except OSError:
        return False
    if shared and hasattr(os, "umask"):
        mask = os.umask(0o022)
        os.umask(mask & ~0o070)
    return shared


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open ``path`` with the shared pragmas; no schema check (see :func:`open_database`).

    ``readonly`` opens through a ``mode=ro`` URI so nothing can be written, not even the WAL
    switch; that is how a database from a newer version is inspected.
    """
    try:
        if readonly:
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Imports stage rows in temporary tables; in memory they cost no disk round trips.
        conn.execute("PRAGMA temp_store = MEMORY")
        if not readonly:
            conn.execute("PRAGMA synchronous = NORMAL")
        # The search index and typed filters fold text with the same functions.
        conn.create_function("fold", 1, fold, deterministic=True)
        conn.create_function("digits", -1, digits, deterministic=True)
    except sqlite3.Error as error:
        raise _explain(error, path) from error
    return conn


def enable_wal(conn: sqlite3.Connection, path: str | Path) -> None:
    """Switch the file to WAL so readers never block the one writer."""
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.Error as error:
        raise _explain(error, path) from error
    if str(mode).lower() != "wal" and str(path) != ":memory:":
        raise RetentionError(
            _("Cannot switch {path} to WAL mode (got {mode}); is it on a network share?").format(
                path=path, mode=mode
            )
        )


@contextmanager
def write(
    conn: sqlite3.Connection, *, attach: tuple[str, str] | None = None
) -> Iterator[sqlite3.Connection]:
    """A short ``BEGIN IMMEDIATE`` transaction: all of it lands, or none of it.

    SQLite errors (busy, disk full, ...) leave the database as it was and come out as
    :class:`RetentionError` sentences.

    ``attach`` (schema name, file) attaches a scratch database for the transaction without
    taking its write lock, so that another connection (a helper thread) can fill it meanwhile
    and this transaction read it afterwards. ``BEGIN IMMEDIATE`` would lock every attached
    file; instead the transaction starts deferred and at once takes the main file's write lock
    with a write that changes nothing, which waits its turn just as ``BEGIN IMMEDIATE`` does.
    """
    path = database_path(conn)
    if attach is None:
        begin = ["BEGIN IMMEDIATE"]
    else:
        try:
            conn.execute(f"ATTACH DATABASE ? AS {attach[0]}", (attach[1],))
        except sqlite3.Error as error:
            raise _explain(error, path) from error
        begin = ["BEGIN", "DELETE FROM main.settings WHERE false"]
    try:
        with _transaction(conn, path, begin):
            yield conn
    finally:
        if attach is not None:
            conn.execute(f"DETACH DATABASE {attach[0]}")


@contextmanager
def _transaction(conn: sqlite3.Connection, path: str, begin: list[str]) -> Iterator[None]:
    try:
        for statement in begin:
            conn.execute(statement)
    except sqlite3.Error as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise _explain(error, path) from error
    try:
        yield
    except BaseException as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.ProgrammingError):
            raise _explain(error, path) from error
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _explain(error, path) from error


def rows_at_once(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any] = (), *, columns: str
) -> list[Any]:
    """The rows of ``sql`` read in one step of SQLite, as one JSON array (for reads a screen
    waits for).

    ``columns`` is what to take from each row of ``sql``: a column name (each row is then
    that value) or ``json_array(a, b)`` (each row a list). The rows keep the order of an
    ``ORDER BY`` in ``sql``: SQLite does not flatten an ordered subquery into an aggregate
    query, so it hands the rows to ``json_group_array`` in that order (the tests compare
    first pages with the ordered list of every id). Reading row by row hands the GIL back at
    every row; while the screen is painting, each of those hand-backs waits for the
    painter's time slice, which made a page of 100 rows take up to a second instead of 10 ms.
    """
    text = conn.execute(
        f"SELECT json_group_array({columns}) FROM ({sql})", tuple(params)
    ).fetchone()[0]
    return json.loads(text)


class Deadline:
    """Stops the connection's running statement once ``seconds`` have passed.

    A timer thread interrupts it, so the statement runs without calling back into Python
    (a progress handler needs the GIL thousands of times a second, and while the screen is
    painting each call waits for it).
    """

    def __init__(self, conn: sqlite3.Connection, seconds: float) -> None:
        self.passed = False
        """Whether the time ran out (the statement then raised ``OperationalError``)."""
        self._conn = conn
        self._lock = threading.Lock()
        self._open = True
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        with self._lock:
            if self._open:  # never interrupt a later statement
                self.passed = True
                self._conn.interrupt()

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._open = False
        self._timer.cancel()


@contextmanager
def read_only(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: every query inside sees the same snapshot of the file."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def database_path(conn: sqlite3.Connection) -> str:
    """The file behind ``conn`` (empty for an in-memory database)."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return row[2] if row else ""


def _probe(path: Path) -> None:
    """Check the file read-only before anything is written to it.

    Reading a file whose header says WAL makes SQLite create the -wal and -shm files, even
    read-only; if the file is refused, those two are removed again when it made them (the
    -wal still empty), so a refused file is left exactly as it was found.
    """
    from .schema import check_version

    beside = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    existed = [extra.exists() for extra in beside]
    probe = connect(path, readonly=True)
    try:
        check_version(probe, path)
    except BaseException:
        probe.close()
        wal = beside[0]
        if not any(existed) and (not wal.exists() or wal.stat().st_size == 0):
            for extra in beside:
                extra.unlink(missing_ok=True)
        raise
    probe.close()


def open_database(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the product database at ``path``, creating or migrating its schema.

    A database from a newer version is refused before anything is written to it.
    """
    from .schema import migrate

    path = Path(path)
    if not path.exists():
        if not create:
            raise RetentionError(_("There is no database at {path}.").format(path=path))
        if path.parent and not path.parent.exists():
            raise RetentionError(
                _("The folder {folder} does not exist.").format(folder=path.parent)
            )
    else:
        _probe(path)
    shared = _share_with_group(path)
    created = not path.exists()
    conn = connect(path)
    try:
        info = path.stat() if created and shared else None
        if info is not None and info.st_uid == os.geteuid():  # not when another made it first
            os.chmod(path, stat.S_IMODE(info.st_mode) | 0o060)
        enable_wal(conn, path)
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


# Below this many rows, indexes are kept up to date row by row; above it, dropping the
# secondary indexes and rebuilding them by sorting once is several times faster.
BULK_ROWS = 50_000
BULK_CACHE_KIB = 262_144


@contextmanager
def bulk_load(conn: sqlite3.Connection, table: str, rows: int) -> Iterator[None]:
    """Inside a write transaction: a big page cache and, for big loads, deferred indexes.

    Index changes are part of the transaction, so other advisors keep reading the old
    snapshot with its indexes, and a failed import leaves the indexes as they were.
    """
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    deferred: list[tuple[str, str]] = []
    existing = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (rows * 2,)
    ).fetchone()[0]
    if rows >= BULK_ROWS and rows * 2 >= existing:
        deferred = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            (table,),
        ).fetchall()
        for name, _sql in deferred:
            conn.execute(f'DROP INDEX "{name}"')
    try:
        yield
        for _name, sql in deferred:
            conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
