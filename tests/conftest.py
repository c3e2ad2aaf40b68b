"""Shared fixtures: a fixed today, a fresh database per test, the canonical CSVs."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from retention_tui import audit, clock, i18n
from retention_tui.db import open_database

TODAY = dt.date(2026, 11, 23)
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> Iterator[dt.date]:
    """Every test runs on the same day, as one operator, in its own data folder.

    The operator is the OS login and nothing else can set it; in-process tests stand in for
    an account called "tester" (tests/test_ssh_shared.py logs in as real accounts).
    """
    monkeypatch.setattr(audit, "_login_name", lambda: "tester")
    # English, whatever the machine's locale (subprocesses follow LANGUAGE too); the
    # per-language runs of tests/languages set RETENTION_TUI_TEST_LANG.
    language = os.environ.get("RETENTION_TUI_TEST_LANG") or "en"
    monkeypatch.setenv("LANGUAGE", language)
    i18n.set_language(language)
    monkeypatch.delenv("RETENTION_TUI_DB", raising=False)
    monkeypatch.delenv("RETENTION_TUI_TODAY", raising=False)
    clock.set_today(TODAY)
    yield TODAY
    clock.set_today(None)


@pytest.fixture(autouse=True)
def isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """platformdirs points into a temporary home, so tests never touch the real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a new, empty, migrated database file."""
    path = tmp_path / "retention.db"
    open_database(path).close()
    return path


@pytest.fixture
def conn(db_path: Path) -> Iterator[sqlite3.Connection]:
    """An open connection to a new, empty, migrated database."""
    connection = open_database(db_path)
    yield connection
    connection.close()


@pytest.fixture
def data_dir() -> Path:
    """The canonical CSV files of DATA-FORMAT.md used by the tests."""
    return DATA


@pytest.fixture
def desk_db(tmp_path: Path) -> Path:
    """Six known customers (tests/desk_data.py) at tmp_path/desk.db."""
    from desk_data import make_desk_db

    return make_desk_db(tmp_path / "desk.db")
