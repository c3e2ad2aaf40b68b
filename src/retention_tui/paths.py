"""Where things live on disk (platformdirs): the database, the demo file, the log."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "retention-tui"


def user_data_dir() -> Path:
    """The per-user data directory (created on first use)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False, ensure_exists=True)


def default_db_path() -> Path:
    """``$RETENTION_TUI_DB`` if set, else ``retention.db`` in the user data directory."""
    env = os.environ.get("RETENTION_TUI_DB")
    if env:
        return Path(env).expanduser()
    return user_data_dir() / "retention.db"


def demo_db_path() -> Path:
    """The demo database used by ``retention-tui demo`` without ``--db``."""
    return user_data_dir() / "demo.db"


def log_file_path() -> Path:
    """The log file that receives tracebacks (never shown on screen)."""
    from platformdirs import user_log_path

    return user_log_path(APP_NAME, appauthor=False, ensure_exists=True) / "retention-tui.log"
