"""Fixtures for the screens: small databases built with plain SQL, a stable cwd."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retention_tui.db import open_database, write
from retention_tui.facts import refresh_customer_facts

NAMES = ["Jan de Vries", "José Müller", "[bold]Kees[/bold] Jansen", "Giulia [/foo] Bianchi"]


def fill(conn: sqlite3.Connection) -> None:
    """Four customers, three vehicles, six visits."""
    stamp = "2026-11-23 08:00:00"
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(i + 1, f"C{i + 1}", name, stamp, stamp) for i, name in enumerate(NAMES)],
        )
        conn.executemany(
            "INSERT INTO vehicles (id, customer_id, plate, plate_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, 1, "12-AB-3", "12AB3", stamp, stamp),
                (2, 2, "B-X 1", "BX1", stamp, stamp),
                (3, 3, "AA111BB", "AA111BB", stamp, stamp),
            ],
        )
        conn.executemany(
            "INSERT INTO visits (invoice_no, customer_id, vehicle_id, date) VALUES (?, ?, ?, ?)",
            [
                ("I1", 1, 1, "2015-03-01"),
                ("I2", 1, 1, "2026-10-01"),
                ("I3", 2, 2, "2024-05-02"),
                ("I4", 3, 3, "2026-01-15"),
                ("I5", 3, 3, "2025-01-10"),
                ("I6", 4, None, "2020-07-07"),
            ],
        )
        refresh_customer_facts(conn)


@pytest.fixture
def small_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A filled database at ./workshop.db inside the test's own folder (stable on screen)."""
    monkeypatch.chdir(tmp_path)
    conn = open_database(tmp_path / "workshop.db")
    fill(conn)
    conn.close()
    return Path("workshop.db")


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    open_database(tmp_path / "empty.db").close()
    return Path("empty.db")
