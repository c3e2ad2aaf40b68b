"""One database for several OS accounts at once (README "Running it for a whole workshop").

Every advisor who writes needs write access to the database file, to its -wal and -shm files
and to their folder: in WAL mode the first connection creates -wal and -shm and the last one
removes them, so whoever comes first makes them. Hence the folder belongs to the advisors'
group with the setgid bit (every file created in it gets that group) and the group may write
it, and the database is group read-write; SQLite gives -wal and -shm the database file's mode
(and, when root creates them, its owner and group). In such a folder the app also clears the
group bits from its umask for the files it creates itself (db/connection.py).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
from pathlib import Path

from .audit import current_operator
from .db import open_database
from .db.schema import user_version
from .errors import RetentionError
from .i18n import _

FOLDER_MODE = 0o2770  # setgid; owner and group read, write, enter; nobody else
FILE_MODE = 0o660  # owner and group read and write; nobody else (customers' personal data)
COMPANIONS = ("-wal", "-shm", "-journal")

# Folders that hold other things than the database: making them the group's would be wrong.
_NOT_A_FOLDER_OF_ITS_OWN = {"/", "/tmp", "/var/tmp", "/srv", "/var", "/home", "/opt", "/etc",
                            "/usr", "/root", "/var/lib", "/usr/local", "/var/backups"}  # fmt: skip


def setup_shared(db_path: Path, group: str) -> list[str]:
    """Make ``db_path`` (created if missing) and its folder readable and writable by
    ``group`` whichever member opens it first; return what was done and the next steps.

    Running it again changes nothing that is already right, so it needs no privileges then.
    """
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise RetentionError(
            _(
                "There is no group {group} on this machine. Create it and add the advisors' "
                "accounts to it first: sudo groupadd {group}; sudo usermod -aG {group} LOGIN"
            ).format(group=group)
        ) from None
    db_path = Path(os.path.abspath(db_path.expanduser()))
    folder = db_path.parent
    _refuse_common_folder(db_path, folder)
    lines: list[str] = []
    try:
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
            lines.append(_("Created the folder {folder}.").format(folder=folder))
        _give(folder, gid, FOLDER_MODE)
        existed = db_path.exists()
        conn = open_database(db_path)
        try:
            version = user_version(conn)
        finally:
            conn.close()
        for path in [db_path, *(Path(f"{db_path}{end}") for end in COMPANIONS)]:
            if path.exists():
                _give(path, gid, FILE_MODE)
    except PermissionError as error:
        raise RetentionError(
            _(
                "{operator} may not give {path} to the group {group}: only root, or its owner "
                "while a member of {group}, can. Run it as root: "
                "sudo retention-tui setup-shared --db {db} --group {group}"
            ).format(
                operator=current_operator(),
                path=error.filename or folder,
                group=group,
                db=db_path,
            )
        ) from error
    lines.append(
        _(
            "Folder {folder}: group {group}, mode 2770 (setgid: every file made in it "
            "belongs to {group}; nobody outside the group may enter)."
        ).format(folder=folder, group=group)
    )
    lines.append(
        _("Database {db}: group {group}, mode 660, schema version {version}{state}.").format(
            db=db_path,
            group=group,
            version=version,
            state=_(", already there") if existed else _(", new and empty"),
        )
    )
    lines.extend(_unreachable(folder, gid))
    members = _members(gid)
    if members:
        lines.append(
            _("Members of {group}: {members}.").format(group=group, members=", ".join(members))
        )
    else:
        lines.append(_("{group} has no members yet.").format(group=group))
    lines.extend(
        [
            _("Next steps (README: Running it for a whole workshop):"),
            _(
                "  - each advisor's account in the group: sudo usermod -aG {group} LOGIN "
                "(it counts from their next login)"
            ).format(group=group),
            _(
                "  - the database for every account: "
                "echo 'RETENTION_TUI_DB={db}' | sudo tee -a /etc/environment"
            ).format(db=db_path),
            _("  - managers: retention-tui --db {db} settings set manager_group GROUP").format(
                db=db_path
            ),
            _(
                "  - a nightly backup from root's crontab: 30 22 * * * {command} --db {db} "
                "backup --force /var/backups/retention/workshop-$(date +\\%a).db"
            ).format(command=_command(), db=db_path),
        ]
    )
    return lines


def _command() -> str:
    """This command's full path: cron's PATH lacks /usr/local/bin."""
    found = shutil.which("retention-tui")
    return os.path.abspath(found) if found else "retention-tui"


def _refuse_common_folder(db_path: Path, folder: Path) -> None:
    homes = {os.path.abspath(entry.pw_dir) for entry in pwd.getpwall()}
    if str(folder) in _NOT_A_FOLDER_OF_ITS_OWN or str(folder) in homes:
        raise RetentionError(
            _(
                "{folder} holds other things than the database, and setup-shared gives the "
                "whole folder to the group. Put the database in a folder of its own, for "
                "example /srv/retention/{name}."
            ).format(folder=folder, name=db_path.name)
        )


def _give(path: Path, gid: int, mode: int) -> None:
    """``path`` to the group ``gid`` with ``mode``; nothing is touched that is already so."""
    info = path.stat()
    if info.st_gid != gid:
        os.chown(path, -1, gid)
        info = path.stat()  # changing the group may clear the setgid bit
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)


def _unreachable(folder: Path, gid: int) -> list[str]:
    """Warnings for the folders above ``folder`` that the group cannot pass through."""
    lines = []
    for parent in folder.parents:
        try:
            info = parent.stat()
        except OSError:
            continue
        passes = info.st_mode & stat.S_IXOTH or (info.st_gid == gid and info.st_mode & stat.S_IXGRP)
        if not passes:
            lines.append(
                _(
                    "Warning: the advisors cannot reach {folder}, because {parent} lets only its "
                    "owner in. Allow passing through (sudo chmod o+x {parent}) or put the "
                    "database elsewhere, for example /srv/retention."
                ).format(folder=folder, parent=parent)
            )
    return lines


def _members(gid: int) -> list[str]:
    names = set(grp.getgrgid(gid).gr_mem)
    names.update(entry.pw_name for entry in pwd.getpwall() if entry.pw_gid == gid)
    return sorted(names)
