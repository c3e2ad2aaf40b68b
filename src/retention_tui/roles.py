"""Managers and advisors: who may do the workshop's manager-only actions.

Setting traffic lights by hand, merging reasons, changing the tag catalogue, building
campaigns, importing and changing settings are a manager's. A manager is a member of the OS
group named by the setting ``manager_group`` (one group on the server, kept by the
administrator with the OS's own tools), or a login named in the setting ``managers``. With
neither configured, as in a one-person workshop or the demo, everyone may.

The operator is always the OS login of the process (:func:`audit.current_operator`), so an
advisor cannot claim a manager's name.
"""

from __future__ import annotations

import grp
import os
import pwd
import sqlite3

from . import audit, settings
from .errors import RetentionError
from .i18n import _


class NotAllowedError(RetentionError):
    """A manager-only action asked for by an advisor."""


def _in_group(operator: str, group: str) -> bool:
    """Whether the login ``operator`` belongs to the OS group ``group`` (as a listed member or
    by its primary group)."""
    try:
        wanted = grp.getgrnam(group)
    except KeyError:
        return False
    if operator in wanted.gr_mem:
        return True
    try:
        account = pwd.getpwnam(operator)
    except KeyError:
        return False
    return wanted.gr_gid in os.getgrouplist(operator, account.pw_gid)


def managers_configured(conn: sqlite3.Connection) -> bool:
    """Whether the workshop has named its managers at all (otherwise everyone is one)."""
    return bool(settings.get(conn, "manager_group") or settings.get(conn, "managers"))


def is_manager(conn: sqlite3.Connection, operator: str | None = None) -> bool:
    """Whether ``operator`` (default: the current one) may do manager-only actions."""
    if not managers_configured(conn):
        return True
    operator = operator or audit.current_operator()
    if operator in (settings.get(conn, "managers") or []):
        return True
    group = settings.get(conn, "manager_group")
    return bool(group) and _in_group(operator, group)


def refusal(conn: sqlite3.Connection, task: str) -> str:
    """What an advisor reads when ``task`` (a translated sentence such as "Importing data is a
    manager's task.") is refused: the task, then why this account is not a manager."""
    operator = audit.current_operator()
    group = settings.get(conn, "manager_group")
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            why = _(
                "The manager group {group} does not exist on this machine; ask the "
                "administrator to create it or to change the setting manager_group."
            ).format(group=group)
        else:
            why = _(
                "{operator} is not in the group {group}: ask a manager, or the administrator "
                "to add you to the group."
            ).format(operator=operator, group=group)
    else:
        why = _("{operator} is not in the setting managers: ask a manager.").format(
            operator=operator
        )
    return f"{task} {why}"


def refusal_for(conn: sqlite3.Connection, task: str) -> str | None:
    """What refuses ``task`` to the current operator, or None for a manager (a screen reads it
    once, then says it without asking the database again)."""
    return None if is_manager(conn) else refusal(conn, task)


def require_manager(conn: sqlite3.Connection, task: str) -> None:
    """Refuse ``task`` (a sentence, see :func:`refusal`) unless the operator is a manager."""
    if not is_manager(conn):
        raise NotAllowedError(refusal(conn, task), title=_("Managers only"))
