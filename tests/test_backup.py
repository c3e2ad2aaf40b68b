"""Backups are consistent copies, even while another process writes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from retention_tui.backup import backup_database
from retention_tui.db import connect, write
from retention_tui.errors import RetentionError

# Each transaction inserts a pair of rows; a consistent snapshot always holds whole pairs.
PAIR_WRITER = textwrap.dedent("""
    import sys, time
    from retention_tui.db import connect, write
    conn = connect(sys.argv[1])
    deadline = time.monotonic() + float(sys.argv[2])
    i = 0
    print("started", flush=True)
    while time.monotonic() < deadline:
        with write(conn):
            conn.execute("INSERT INTO settings VALUES (?, ?)", (f"a{i}", "x" * 500))
            conn.execute("INSERT INTO settings VALUES (?, ?)", (f"b{i}", "y" * 500))
        i += 1
    print(i, flush=True)
""")


def test_backup_while_another_process_writes(db_path: Path, tmp_path: Path) -> None:
    conn = connect(db_path)
    with write(conn):
        conn.executemany(
            "INSERT INTO settings VALUES (?, ?)", ((f"seed{i}", "z" * 800) for i in range(3000))
        )
    conn.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", PAIR_WRITER, str(db_path), "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "started"
    time.sleep(0.3)
    dest = tmp_path / "copy.db"
    backup_database(db_path, dest)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert int(out.strip()) > 0

    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    a = copy.execute("SELECT count(*) FROM settings WHERE key LIKE 'a%'").fetchone()[0]
    b = copy.execute("SELECT count(*) FROM settings WHERE key LIKE 'b%'").fetchone()[0]
    assert a == b
    assert (
        copy.execute("SELECT count(*) FROM settings WHERE key LIKE 'seed%'").fetchone()[0] == 3000
    )
    copy.close()


def test_backup_refuses_to_overwrite(db_path: Path, tmp_path: Path) -> None:
    dest = tmp_path / "exists.db"
    dest.write_text("keep me")
    with pytest.raises(RetentionError, match="already exists"):
        backup_database(db_path, dest)
    assert dest.read_text() == "keep me"
    backup_database(db_path, dest, overwrite=True)
    assert sqlite3.connect(dest).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_of_missing_database(tmp_path: Path) -> None:
    with pytest.raises(RetentionError, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "copy.db")
