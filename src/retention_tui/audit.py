"""The audit trail: who changed what, and when.

Every write that changes a customer's state calls :func:`record` inside the same
transaction as the change, so the change and its audit row land together or not at all.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from dataclasses import dataclass
from typing import Any

from . import clock


def _login_name() -> str:
    """The account of the process's real user id, from the OS's user database.

    Not ``getpass.getuser()``: that believes ``$USER`` and ``$LOGNAME``, and the operator must
    not be something an advisor can set.
    """
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no pwd (Windows) or a uid without an account
        if hasattr(os, "getuid"):
            return f"uid-{os.getuid()}"
        return getpass.getuser()


def current_operator() -> str:
    """The login name of the OS user running this process (each SSH advisor has their own).

    There is deliberately no switch (option or environment variable) to write as somebody
    else: every write is audited under the account that made it.
    """
    return _login_name()


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    conn: sqlite3.Connection,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    customer_id: int | None = None,
    old: Any = None,
    new: Any = None,
    operator: str | None = None,
) -> None:
    """Append one audit row; call it inside the write transaction that makes the change."""
    conn.execute(
        "INSERT INTO audit (at, operator, action, entity, entity_id, customer_id, old_value,"
        " new_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            clock.now().isoformat(sep=" "),
            operator or current_operator(),
            action,
            entity,
            entity_id,
            customer_id,
            _as_text(old),
            _as_text(new),
        ),
    )


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail, as the customer card and reports show it."""

    at: str
    operator: str
    action: str
    entity: str
    entity_id: int | None
    customer_id: int | None
    old_value: str | None
    new_value: str | None


def entries_for_customer(conn: sqlite3.Connection, customer_id: int) -> list[AuditEntry]:
    """The audit trail of one customer, newest first."""
    rows = conn.execute(
        "SELECT at, operator, action, entity, entity_id, customer_id, old_value, new_value"
        " FROM audit WHERE customer_id = ? ORDER BY at DESC, id DESC",
        (customer_id,),
    )
    return [AuditEntry(*row) for row in rows]
