"""Consistent copies of the database while others keep writing (SQLite's online backup)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from .db.connection import _explain, connect
from .errors import RetentionError
from .i18n import _


def backup_database(source: Path, dest: Path, *, overwrite: bool = False) -> int:
    """Copy ``source`` to ``dest`` page by page with the backup API; return the page count.

    The copy is a snapshot of one moment: writers in other processes go on meanwhile
    (each step copies a batch of pages and restarts if the source changed under it).
    """
    if not source.exists():
        raise RetentionError(_("There is no database at {path}.").format(path=source))
    if dest.exists() and not overwrite:
        raise RetentionError(
            _("{dest} already exists; choose another name or add --force.").format(dest=dest)
        )
    if dest.resolve() == source.resolve():
        raise RetentionError(_("The backup cannot overwrite the database itself."))
    partial = dest.with_name(dest.name + ".partial")
    src = connect(source, readonly=True)
    try:
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(str(partial))
        try:
            src.backup(target, pages=4096)
            pages = target.execute("PRAGMA page_count").fetchone()[0]
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        # As private as the database: SQLite makes a new file 0644, readable by everyone.
        os.chmod(partial, stat.S_IMODE(source.stat().st_mode) & 0o666)
        partial.replace(dest)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise _explain(error, source) from error
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise RetentionError(
            _("Cannot write the backup {dest}: {error}").format(dest=dest, error=error.strerror)
        ) from error
    finally:
        src.close()
    return int(pages)
