"""The store: migrations, version refusal, pragmas, locking, several processes, full disk."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from retention_tui.db import SCHEMA_VERSION, connect, migrate, open_database, write
from retention_tui.db.connection import Deadline, rows_at_once
from retention_tui.db.schema import MIGRATIONS, user_version
from retention_tui.errors import DatabaseBusyError, NewerDatabaseError, RetentionError

ENTITY_TABLES = {
    "customers",
    "vehicles",
    "visits",
    "traffic_light_history",
    "nps_scores",
    "campaign_templates",
    "campaigns",
    "campaign_members",
    "calls",
    "call_claims",
    "churn_reasons",
    "churn_reason_aliases",
    "departures",
    "tags",
    "customer_tags",
    "message_templates",
    "outbox",
    "audit",
    "settings",
    "saved_views",
    "contact_blocks",
    "import_runs",
}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }


def test_new_database_has_every_entity_and_current_version(conn: sqlite3.Connection) -> None:
    assert user_version(conn) == SCHEMA_VERSION
    assert tables(conn) >= ENTITY_TABLES
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_every_migration_step_from_each_earlier_version(tmp_path: Path, start: int) -> None:
    """A file at each earlier version migrates to the current one with its data kept."""
    conn = connect(tmp_path / "old.db")
    migrate(conn, target=start)
    assert user_version(conn) == start
    if start >= 1:
        with write(conn):
            conn.execute(
                "INSERT INTO customers (customer_no, name, created_at, updated_at)"
                " VALUES ('K1', 'Kept', '2026-01-01', '2026-01-01')"
            )
    assert migrate(conn) == SCHEMA_VERSION
    assert user_version(conn) == SCHEMA_VERSION
    if start >= 1:
        assert conn.execute("SELECT name FROM customers").fetchone()[0] == "Kept"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_migrations_are_one_per_version() -> None:
    assert len(MIGRATIONS) == SCHEMA_VERSION
    assert all(script.strip() for script in MIGRATIONS)


def test_migrating_twice_changes_nothing(db_path: Path) -> None:
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    open_database(db_path).close()
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_newer_database_is_refused_naming_both_versions_and_not_written(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE t (x)")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(NewerDatabaseError) as caught:
        open_database(path)
    message = str(caught.value)
    assert f"version {SCHEMA_VERSION + 5}" in message
    assert f"version {SCHEMA_VERSION}" in message
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists()


def test_garbage_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database at all, just text\n" * 100)
    with pytest.raises(RetentionError, match="not a retention-tui database"):
        open_database(path)


def test_missing_folder_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(RetentionError, match="does not exist"):
        open_database(tmp_path / "nope" / "x.db")


def test_failed_write_rolls_back_everything(conn: sqlite3.Connection) -> None:
    with pytest.raises(ZeroDivisionError), write(conn):
        conn.execute("INSERT INTO settings VALUES ('a', '1')")
        raise ZeroDivisionError
    assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0


def test_locked_database_is_a_clear_message(db_path: Path) -> None:
    holder = connect(db_path)
    holder.execute("BEGIN IMMEDIATE")
    waiter = connect(db_path)
    waiter.execute("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(DatabaseBusyError, match="busy"), write(waiter):
            pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()


def test_full_disk_is_a_clear_message_and_loses_nothing(conn: sqlite3.Connection) -> None:
    with write(conn):
        conn.execute("INSERT INTO settings VALUES ('kept', '1')")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(RetentionError, match="full"), write(conn):
        conn.executemany(
            "INSERT INTO settings VALUES (?, ?)", ((f"k{i}", "x" * 2000) for i in range(500))
        )
    assert conn.execute("SELECT key FROM settings").fetchall() == [("kept",)]


WRITER = textwrap.dedent("""
    import sys
    from retention_tui.db import connect, write
    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conn = connect(path)
    for i in range(n):
        with write(conn):
            conn.execute("INSERT INTO settings (key, value) VALUES (?, '0')", (f"{tag}-{i}",))
    print("done")
""")


def test_two_processes_write_at_once_without_locked_errors(db_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), tag, "300"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    conn = connect(db_path)
    assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 600
    conn.close()


# -- reads a screen waits for ---------------------------------------------------------------

SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)"
    " SELECT count(*) FROM n"
)


def test_a_deadline_stops_a_long_statement_and_says_so(conn: sqlite3.Connection) -> None:
    started = time.perf_counter()
    with Deadline(conn, 0.05) as limit, pytest.raises(sqlite3.OperationalError):
        conn.execute(SLOW).fetchone()
    assert limit.passed
    assert time.perf_counter() - started < 2


def test_a_deadline_never_touches_the_statements_after_it(conn: sqlite3.Connection) -> None:
    with Deadline(conn, 0.05) as limit:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    time.sleep(0.1)  # past the deadline: its timer must be gone
    assert not limit.passed
    assert conn.execute("SELECT count(*) FROM (SELECT 1 UNION ALL SELECT 2)").fetchone() == (2,)


def test_rows_at_once_keeps_order_types_and_text(conn: sqlite3.Connection) -> None:
    awkward = '[bold]x[/] \x1b[31mred\x1b[0m "quoted" \\ é 漢字 \t\n'
    rows = rows_at_once(
        conn,
        "SELECT * FROM (VALUES (3, ?, 1.5), (1, NULL, -2), (2, 'b', 0.25)) ORDER BY column1 DESC",
        (awkward,),
        columns="json_array(column1, column2, column3)",
    )
    assert rows == [[3, awkward, 1.5], [2, "b", 0.25], [1, None, -2]]
    assert rows_at_once(conn, "SELECT 1 AS id WHERE 0", columns="id") == []
    ids = rows_at_once(
        conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
        " SELECT i AS id FROM n ORDER BY -i LIMIT 4000",
        columns="id",
    )
    assert ids == list(range(5000, 1000, -1))
