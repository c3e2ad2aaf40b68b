"""setup-shared and the app's part in a shared folder (README "Running it for a whole workshop").

The real thing, two OS accounts over SSH, is tests/test_ssh_shared.py; these run as anyone,
with the current user's own group standing in for the advisors'.
"""

from __future__ import annotations

import grp
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from retention_tui import settings, shared
from retention_tui.backup import backup_database
from retention_tui.db import open_database
from retention_tui.db.connection import _explain
from retention_tui.errors import RetentionError
from retention_tui.shared import setup_shared


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    """open_database changes the process's umask in a shared folder; the other tests must
    not inherit it."""
    mask = os.umask(0o022)
    os.umask(mask)
    yield
    os.umask(mask)


@pytest.fixture
def group() -> str:
    return grp.getgrgid(os.getgid()).gr_name


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folder_database_wal_and_shm_belong_to_the_group(tmp_path: Path, group: str) -> None:
    db = tmp_path / "workshop" / "retention.db"
    lines = setup_shared(db, group)
    folder = db.parent
    assert folder.stat().st_mode & stat.S_ISGID
    assert _mode(folder) == 0o2770
    assert _mode(db) == 0o660 and db.stat().st_gid == grp.getgrnam(group).gr_gid
    assert lines[0] == f"Created the folder {folder}."
    assert any("new and empty" in line for line in lines)
    assert any(f"RETENTION_TUI_DB={db}" in line for line in lines)
    assert any("settings set manager_group" in line for line in lines)
    assert any(" backup " in line for line in lines)

    os.umask(0o077)  # the strictest login: SQLite still gives -wal and -shm the file's mode
    conn = open_database(db)
    try:
        settings.put(conn, "claim_idle_minutes", 20)
        conn.execute("SELECT count(*) FROM customers").fetchone()
        for end in ("-wal", "-shm"):
            companion = Path(f"{db}{end}")
            assert _mode(companion) & 0o060 == 0o060, (end, oct(_mode(companion)))
            assert companion.stat().st_gid == db.stat().st_gid
    finally:
        conn.close()


def test_running_it_twice_is_harmless(tmp_path: Path, group: str) -> None:
    db = tmp_path / "workshop" / "retention.db"
    setup_shared(db, group)
    conn = open_database(db)
    settings.put(conn, "claim_idle_minutes", 21)
    conn.close()
    before = (db.stat().st_ino, _mode(db), _mode(db.parent))
    lines = setup_shared(db, group)
    assert (db.stat().st_ino, _mode(db), _mode(db.parent)) == before
    assert any("already there" in line for line in lines)
    assert not any(line.startswith("Created the folder") for line in lines)
    conn = open_database(db)
    assert settings.get(conn, "claim_idle_minutes") == 21
    conn.close()


def test_a_missing_group_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(RetentionError, match="There is no group no-such-group-x on this machine"):
        setup_shared(tmp_path / "ws" / "retention.db", "no-such-group-x")
    assert not (tmp_path / "ws").exists()


def test_somebody_who_may_not_change_the_folder_is_told_to_use_root(
    tmp_path: Path, group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ws"
    folder.mkdir()

    def refuse(path: object, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(shared.os, "chown", refuse)
    monkeypatch.setattr(shared, "_give", _give_always_chowning)
    with pytest.raises(RetentionError) as caught:
        setup_shared(folder / "retention.db", group)
    text = str(caught.value)
    assert f"tester may not give {folder} to the group {group}" in text
    assert f"sudo retention-tui setup-shared --db {folder / 'retention.db'} --group {group}" in text


def _give_always_chowning(path: Path, gid: int, mode: int) -> None:
    os.chown(path, -1, gid)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_real_other_account_is_refused(tmp_path: Path, group: str) -> None:
    """An account that neither owns the folder nor is root (nobody), for real."""
    folder = tmp_path / "ws"
    folder.mkdir()
    tmp_path.chmod(0o755)
    read, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's outcome comes back through the pipe
        message = b"no error"
        try:
            os.setgid(65534)
            os.setgroups([])
            os.setuid(65534)
            setup_shared(folder / "retention.db", group)
        except RetentionError as error:
            message = str(error).encode()
        except BaseException as error:  # reported to the parent
            message = repr(error).encode()
        finally:
            os.write(write_end, message)
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    assert "may not give" in text and "sudo retention-tui setup-shared" in text, text
    assert not (folder / "retention.db").exists()


def test_a_home_folder_is_not_given_to_the_group(group: str) -> None:
    home = Path(os.path.expanduser("~"))
    with pytest.raises(RetentionError, match="a folder of its own"):
        setup_shared(home / "retention.db", group)


def test_a_folder_above_that_shuts_the_group_out_is_named(tmp_path: Path, group: str) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    closed.chmod(0o700)
    lines = setup_shared(closed / "ws" / "retention.db", group)
    assert any(line.startswith("Warning") and f"chmod o+x {closed})" in line for line in lines)


def test_a_new_database_in_a_shared_folder_is_the_groups(tmp_path: Path, group: str) -> None:
    """Made by the app itself (an advisor's first start, the demo), whatever the umask."""
    folder = tmp_path / "ws"
    folder.mkdir()
    folder.chmod(0o2770)
    os.umask(0o077)
    open_database(folder / "new.db").close()
    assert _mode(folder / "new.db") & 0o060 == 0o060
    (folder / "export.csv").write_text("x")  # what the app writes there itself afterwards
    assert _mode(folder / "export.csv") & 0o060 == 0o060
    assert os.umask(0o022) & 0o070 == 0  # the group bits cleared, the others' kept


def test_a_new_database_elsewhere_keeps_the_users_umask(tmp_path: Path) -> None:
    os.umask(0o077)
    open_database(tmp_path / "own.db").close()
    assert _mode(tmp_path / "own.db") == 0o600
    assert os.umask(0o077) == 0o077


@pytest.mark.parametrize("mode", [0o660, 0o600])
def test_a_backup_is_as_private_as_the_database(tmp_path: Path, mode: int) -> None:
    source = tmp_path / "retention.db"
    open_database(source).close()
    source.chmod(mode)
    backup_database(source, tmp_path / "copy.db")
    assert _mode(tmp_path / "copy.db") == mode


def test_a_read_only_database_names_the_group_fix(tmp_path: Path, group: str) -> None:
    folder = tmp_path / "ws"
    folder.mkdir()
    folder.chmod(0o2770)
    path = folder / "retention.db"
    error = _explain(sqlite3.OperationalError("attempt to write a readonly database"), path)
    text = str(error)
    assert text.startswith(f"{path} can only be read; nothing was saved.")
    assert "tester may not write to it" in text
    assert text.endswith(f"sudo retention-tui setup-shared --db {path} --group {group}")


def test_a_folder_that_may_not_be_written_names_the_group_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "retention.db"
    path.touch()
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    error = _explain(sqlite3.OperationalError("unable to open database file"), path)
    assert f"the folder {tmp_path} may not be written" in str(error)
    assert "--group GROUP" in str(error)


def test_the_app_without_a_terminal_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ssh SERVER COMMAND` to a ForceCommand login has no terminal: a sentence, not an app
    drawing into a pipe and outliving the connection."""
    from cli_run import run

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    code, _out, err = run(capsys, "--db", str(tmp_path / "x.db"))
    assert code == 1
    assert "The app needs a terminal. Over SSH, log in with ssh -t SERVER" in err
