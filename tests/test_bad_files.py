"""A file that is not a retention-tui database, given as --db, is refused with a sentence and
never written to: plain text, a picture, another program's SQLite database, a damaged one."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from retention_tui.db import open_database, write


def _text(path: Path) -> None:
    path.write_text("customer_no;name\nC1;Jan\n" * 200)


def _picture(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)


def _other_program(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (number TEXT, amount REAL)")
    conn.execute("INSERT INTO invoices VALUES ('F1', 12.5)")
    conn.commit()
    conn.close()


def _truncated(path: Path) -> None:
    conn = open_database(path)
    conn.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


KINDS = {
    "text": (_text, "is not a retention-tui database"),
    "picture": (_picture, "is not a retention-tui database"),
    "another program's database": (_other_program, "an SQLite database of another program"),
    "truncated": (_truncated, "is not a retention-tui database (or it is damaged)"),
}


def retention_tui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retention_tui", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("command", [[], ["report", "summary"], ["import", "customers"]])
def test_a_file_that_is_not_ours_is_refused_and_left_alone(
    tmp_path: Path, data_dir: Path, kind: str, command: list[str]
) -> None:
    make, sentence = KINDS[kind]
    path = tmp_path / "given.db"
    make(path)
    before = path.read_bytes()
    args = [*command, str(data_dir / "customers.csv")] if command[-1:] == ["customers"] else command
    done = retention_tui("--db", str(path), *args)  # [] opens the app: refused before it starts
    assert done.returncode == 1
    assert sentence in done.stderr and "Traceback" not in done.stderr
    assert path.read_bytes() == before
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{path}{suffix}").exists()


def test_a_damaged_page_is_a_sentence_when_it_is_read_and_the_file_is_not_changed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "damaged.db"
    conn = open_database(path)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, '', '')",
            [(f"K{i}", f"Customer {i} " + "x" * 200) for i in range(3000)],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'customers'").fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size : root * page_size] = b"\xff" * page_size  # the table's root page
    path.write_bytes(bytes(data))
    done = retention_tui("--db", str(path), "report", "customers")
    assert done.returncode == 1
    assert "is not a retention-tui database (or it is damaged)" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == bytes(data)
