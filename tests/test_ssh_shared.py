"""A whole workshop on one server: two real OS accounts log in over real SSH and write to one
shared database at the same time (README "Running it for a whole workshop").

The test creates a group and two accounts (removed afterwards, even on failure), prepares the
database with ``retention-tui setup-shared`` as the administrator would, and starts a private
sshd on loopback with its own host key. sshd hands every session the database through
``SetEnv RETENTION_TUI_DB`` and, on a second port, opens the app directly with ``ForceCommand``
(the README's ``Match Group`` block). It needs root (CI runs as root) and /usr/sbin/sshd
(.ci/run installs openssh-server); elsewhere it skips, saying which is missing.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
CALLS_EACH = 25

if not hasattr(os, "geteuid") or os.geteuid() != 0:
    pytest.skip(
        "creating the OS accounts of two advisors needs root (CI runs as root)",
        allow_module_level=True,
    )
if not SSHD.exists() or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
    pytest.skip(
        "no OpenSSH server and client here (.ci/run installs openssh-server on CI)",
        allow_module_level=True,
    )
if not shutil.which("useradd") or not shutil.which("runuser"):
    pytest.skip(
        "no useradd/runuser to create and try the advisors' accounts", allow_module_level=True
    )


def _run(*args: str | Path, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Workshop:
    base: Path
    group: str
    advisors: list[str]
    db: Path
    app: Path  # the command every account runs: retention-tui
    python: Path  # the Python behind it
    key: Path
    port: int  # a shell, as for scripts
    app_port: int  # ForceCommand: the app, as an advisor's login
    sshd: subprocess.Popen | None = None
    log: list[str] = field(default_factory=list)

    def ssh(self, user: str, command: str = "", *, port: int | None = None) -> list[str]:
        args = [
            "ssh", "-i", str(self.key), "-p", str(port or self.port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", f"{user}@127.0.0.1",
        ]  # fmt: skip
        return [*args, command] if command else args

    def as_root(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``retention-tui ARGS`` run by the administrator (root) on the server."""
        env = {**os.environ, "RETENTION_TUI_DB": str(self.db)}
        return _run(sys.executable, "-m", "retention_tui", *args, env=env)


def _python_for_accounts(base: Path, user: str) -> Path:
    """A Python the advisors' accounts can run with this checkout's retention-tui on its path.

    The development venv's interpreter may live under /root (pyenv), which other accounts
    cannot enter; then a venv of the system's Python of the same version borrows this venv's
    packages (a .pth file), so the accounts run exactly the code under test.
    """
    here = Path(sys.executable)
    probe = ["runuser", "-u", user, "--", "{python}", "-c", "import retention_tui"]
    if _run(*[a.format(python=here) for a in probe], check=False).returncode == 0:
        return here
    system = Path("/usr/bin/python3")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if not system.exists() or _run(system, "-c", "import sys; print(sys.version[:4])",
                                   check=False).stdout.strip() != version:  # fmt: skip
        pytest.skip(
            f"{here} is out of other accounts' reach and there is no system Python {version}"
        )
    venv = base / "venv"
    _run(system, "-m", "venv", "--without-pip", venv)
    site = venv / "lib" / f"python{version}" / "site-packages"
    purelib = sysconfig.get_paths()["purelib"]
    (site / "retention-tui-checkout.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    python = venv / "bin" / "python"
    result = _run(*[a.format(python=python) for a in probe], check=False)
    if result.returncode != 0:
        pytest.skip(f"the advisors' accounts cannot import retention_tui: {result.stderr[-300:]}")
    return python


def _sshd_config(ws: Workshop, host_key: Path) -> str:
    return "\n".join(
        [
            f"ListenAddress 127.0.0.1:{ws.port}",
            f"ListenAddress 127.0.0.1:{ws.app_port}",
            f"HostKey {host_key}",
            f"PidFile {ws.base}/ssh/sshd.pid",
            "UsePAM no",
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {ws.base}/ssh/authorized/%u",
            f"AllowGroups {ws.group}",
            # What README's /etc/environment does through PAM, which this sshd does not use.
            f"SetEnv RETENTION_TUI_DB={ws.db}",
            f"Match Group {ws.group} LocalPort {ws.app_port}",
            f"    ForceCommand {ws.app}",
            "",
        ]
    )


@pytest.fixture(scope="module")
def workshop() -> Iterator[Workshop]:
    base = Path(tempfile.mkdtemp(prefix="rtui-ssh-", dir="/tmp"))
    base.chmod(0o755)
    suffix = secrets.token_hex(3)
    group = f"rtui-ws-{suffix}"
    advisors = [f"rtui-anke-{suffix}", f"rtui-bernd-{suffix}"]
    ws = Workshop(
        base=base, group=group, advisors=advisors, db=base / "retention" / "workshop.db",
        app=base / "bin" / "retention-tui", python=Path(sys.executable),
        key=base / "ssh" / "advisor",
        port=_free_port(), app_port=_free_port(),
    )  # fmt: skip
    created: list[str] = []
    try:
        _run("groupadd", group)
        (base / "home").mkdir()
        for user in advisors:
            # '*' (no password) rather than useradd's locked '!': sshd without PAM refuses
            # a locked account even with a key.
            _run("useradd", "-m", "-d", base / "home" / user, "-s", "/bin/bash", "-p", "*",
                 "-G", group, user)  # fmt: skip
            created.append(user)
        ws.python = _python_for_accounts(base, advisors[0])
        ws.app.parent.mkdir()
        ws.app.write_text(f'#!/bin/sh\nexec {ws.python} -m retention_tui "$@"\n')
        ws.app.chmod(0o755)

        ssh_dir = base / "ssh"
        (ssh_dir / "authorized").mkdir(parents=True)
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh_dir / "host_key")
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ws.key)
        for user in advisors:
            shutil.copy(f"{ws.key}.pub", ssh_dir / "authorized" / user)
        config = ssh_dir / "sshd_config"
        config.write_text(_sshd_config(ws, ssh_dir / "host_key"))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
        _run(SSHD, "-t", "-f", config)
        with (ssh_dir / "sshd.log").open("w") as log:
            ws.sshd = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", config], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", ws.port), timeout=1).close()
                break
            except OSError:
                if ws.sshd.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("sshd did not start:\n" + (ssh_dir / "sshd.log").read_text())
                time.sleep(0.1)
        yield ws
    finally:
        if ws.sshd is not None:
            ws.sshd.terminate()
            try:
                ws.sshd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                ws.sshd.kill()
        for user in created:
            _run("userdel", "-f", "-r", user, check=False)
        _run("groupdel", f"{group}-mgr", check=False)
        _run("groupdel", group, check=False)
        shutil.rmtree(base, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def campaign(workshop: Workshop) -> tuple[int, dict[str, list[str]]]:
    """The administrator's part: setup-shared, data, a campaign with 2 x CALLS_EACH members;
    then whose customers each advisor calls."""
    ws = workshop
    out = ws.as_root("setup-shared", "--group", ws.group).stdout
    assert ws.group in out and "2770" in out
    assert "Warning" not in out, out  # every folder on the way lets the advisors through
    # The demo replaces the empty database: a new file, made by root, in the shared folder.
    ws.as_root("demo", "--customers", str(3 * CALLS_EACH), "--no-open")
    info = ws.db.stat()
    assert info.st_gid == ws.db.parent.stat().st_gid and _mode(ws.db) & 0o060 == 0o060
    conn = sqlite3.connect(ws.db)
    numbers = [r[0] for r in conn.execute("SELECT customer_no FROM customers ORDER BY id")]
    conn.close()
    members = ws.base / "members.csv"
    members.write_text("customer_no\n" + "\n".join(numbers[: 2 * CALLS_EACH]) + "\n")
    campaign_id = int(
        ws.as_root("campaign", "new", "--template", "post-service", "--name", "SSH").stdout
    )
    ws.as_root("campaign", "add", str(campaign_id), "--customers", str(members))
    ws.as_root("campaign", "activate", str(campaign_id))
    for end in ("-wal", "-shm"):  # the advisors' sessions make them afresh
        assert not Path(f"{ws.db}{end}").exists()
    share = {
        ws.advisors[0]: numbers[:CALLS_EACH],
        ws.advisors[1]: numbers[CALLS_EACH : 2 * CALLS_EACH],
    }
    return campaign_id, share


def test_two_advisors_write_at_once_over_ssh(
    workshop: Workshop, campaign: tuple[int, dict[str, list[str]]]
) -> None:
    ws = workshop
    campaign_id, share = campaign
    sessions = {}
    for n, (user, numbers) in enumerate(share.items()):
        # One SSH login each, both at once; the database comes from sshd's SetEnv.
        script = (
            "set -e; umask 022; "  # a typical login umask: the app itself must share its files
            f"for no in {' '.join(numbers)}; do "
            f'{ws.app} calls log {campaign_id} "$no" reached --nps {6 + n} --note "by $(id -un)"'
            " >/dev/null; done; echo finished"
        )
        sessions[user] = subprocess.Popen(
            ws.ssh(user, script), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    results = {user: (p.communicate(timeout=120), p.returncode) for user, p in sessions.items()}
    for user, ((out, err), code) in results.items():
        assert code == 0 and out.strip() == "finished", f"{user}: exit {code}\n{out}\n{err}"
        assert "readonly" not in err.lower() and "permission" not in err.lower(), err
        assert "can only be read" not in err, err

    conn = sqlite3.connect(ws.db)
    try:
        for n, (user, numbers) in enumerate(share.items()):
            marks = ",".join("?" * len(numbers))
            calls = conn.execute(
                "SELECT c.customer_no, k.operator, k.outcome, k.note FROM calls k"
                f" JOIN customers c ON c.id = k.customer_id WHERE c.customer_no IN ({marks})"
                " AND k.campaign_id = ?",
                [*numbers, campaign_id],
            ).fetchall()
            assert sorted(r[0] for r in calls) == sorted(numbers)
            assert {(r[1], r[2], r[3]) for r in calls} == {(user, "reached", f"by {user}")}
            scores = conn.execute(
                "SELECT c.customer_no, s.operator, s.score FROM nps_scores s"
                f" JOIN customers c ON c.id = s.customer_id WHERE c.customer_no IN ({marks})"
                " AND s.call_id IN (SELECT id FROM calls WHERE campaign_id = ?)",
                [*numbers, campaign_id],
            ).fetchall()
            assert sorted(r[0] for r in scores) == sorted(numbers)
            assert {(r[1], r[2]) for r in scores} == {(user, 6 + n)}
            audited = dict(
                conn.execute(
                    "SELECT action, count(*) FROM audit WHERE operator = ?"
                    " AND action IN ('log call', 'set NPS') GROUP BY action",
                    (user,),
                ).fetchall()
            )
            assert audited == {"log call": len(numbers), "set NPS": len(numbers)}
        wrong = conn.execute(
            "SELECT count(*) FROM audit WHERE action IN ('log call', 'set NPS')"
            " AND operator NOT IN (?, ?)",
            ws.advisors,
        ).fetchone()[0]
        assert wrong == 0
    finally:
        conn.close()


def test_files_stay_the_groups_whoever_made_them(
    workshop: Workshop, campaign: tuple[int, dict[str, list[str]]]
) -> None:
    """While one advisor holds the database open, the -wal and -shm files that account made
    belong to the group, and the other advisor writes through them; an advisor's backup stays
    inside the group."""
    ws = workshop
    first, second = ws.advisors
    script = (
        f"umask 022; exec {ws.python} -c 'import sqlite3, sys, time;"
        ' c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM customers");'
        f' print("open", flush=True); time.sleep(30)\' {ws.db}'
    )
    holding = subprocess.Popen(ws.ssh(first, script), stdout=subprocess.PIPE, text=True)
    try:
        assert holding.stdout is not None and holding.stdout.readline().strip() == "open"
        for path in (Path(f"{ws.db}-wal"), Path(f"{ws.db}-shm")):
            assert path.stat().st_uid == pwd.getpwnam(first).pw_uid
            assert path.stat().st_gid == ws.db.parent.stat().st_gid
            assert _mode(path) & 0o060 == 0o060, oct(_mode(path))
        backup = ws.db.parent / "before-lunch.db"
        command = (
            f"umask 022; {ws.app} settings set claim_idle_minutes 20 && {ws.app} backup {backup}"
        )
        result = _run(*ws.ssh(second, command), check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert backup.stat().st_gid == ws.db.parent.stat().st_gid
        assert _mode(backup) == _mode(ws.db), oct(_mode(backup))
    finally:
        holding.terminate()
        holding.wait(timeout=10)


def test_managers_are_the_manager_groups_members(
    workshop: Workshop, campaign: tuple[int, dict[str, list[str]]]
) -> None:
    """`settings set manager_group`: only members of that OS group change settings, each
    advisor known by the account of the SSH login (nothing the advisor can set)."""
    ws = workshop
    manager, advisor = ws.advisors
    managers = f"{ws.group}-mgr"
    _run("groupadd", managers)
    try:
        _run("gpasswd", "-a", manager, managers)
        ws.as_root("settings", "set", "manager_group", managers)
        refused = _run(*ws.ssh(advisor, f"{ws.app} settings set claim_idle_minutes 30"),
                       check=False)  # fmt: skip
        assert refused.returncode == 1
        assert f"{advisor} is not in the group {managers}" in refused.stderr
        allowed = _run(*ws.ssh(manager, f"{ws.app} settings set claim_idle_minutes 30"),
                       check=False)  # fmt: skip
        assert allowed.returncode == 0, allowed.stderr
        conn = sqlite3.connect(ws.db)
        operator = conn.execute(
            "SELECT operator FROM audit WHERE entity = 'settings' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        conn.close()
        assert operator == (manager,)
        # Root is no manager now either: a manager hands the settings back to everyone.
        back = _run(*ws.ssh(manager, f"{ws.app} settings set manager_group '\"\"'"), check=False)
        assert back.returncode == 0, back.stderr
    finally:
        _run("groupdel", managers, check=False)


def test_the_app_opens_at_an_advisors_ssh_login(
    workshop: Workshop, campaign: tuple[int, dict[str, list[str]]]
) -> None:
    """sshd's ForceCommand opens the app in the login's terminal; q leaves it and the login."""
    if not shutil.which("tmux"):
        pytest.skip("no tmux to give the SSH login a terminal")
    ws = workshop
    tmux = ["tmux", "-S", str(ws.base / "tmux.sock")]
    ssh = ws.ssh(ws.advisors[1], port=ws.app_port)
    login = " ".join(["env", "TERM=xterm-256color", ssh[0], "-tt", *ssh[1:]])
    _run(*tmux, "new-session", "-d", "-x", "120", "-y", "36", login)
    try:
        screen = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            screen = _run(*tmux, "capture-pane", "-p", check=False).stdout
            if "retention-tui — workshop.db" in screen and "K00000" in screen:
                break
            time.sleep(0.3)
        # The desktop: its title and customers; no error about the database.
        assert "retention-tui — workshop.db" in screen and "K00000" in screen, screen
        assert "can only be read" not in screen and "Something went wrong" not in screen
        _run(*tmux, "send-keys", "q")
        deadline = time.monotonic() + 15
        while _run(*tmux, "has-session", check=False).returncode == 0:
            assert time.monotonic() < deadline, "the login did not end with the app"
            time.sleep(0.2)
    finally:
        _run(*tmux, "kill-server", check=False)
    # A command instead of a terminal: the app says what to do and leaves with the connection.
    scripted = _run(*ws.ssh(ws.advisors[1], "ls", port=ws.app_port), check=False)
    assert scripted.returncode == 1
    assert "The app needs a terminal" in scripted.stderr, scripted.stderr


def test_an_unshared_database_names_the_fix(workshop: Workshop) -> None:
    """Without setup-shared, the second advisor reads a sentence that says what to run."""
    ws = workshop
    first, second = ws.advisors
    plain = ws.base / "plain"
    plain.mkdir()
    plain.chmod(0o777)  # anyone may make files here, but nothing makes them the group's
    db = plain / "own.db"
    make = f"umask 022; {ws.app} --db {db} demo --customers 5 --no-open"
    made = _run(*ws.ssh(first, make), check=False)
    assert made.returncode == 0, made.stderr
    refused = _run(
        *ws.ssh(second, f"{ws.app} --db {db} settings set claim_idle_minutes 25"), check=False
    )
    assert refused.returncode == 1
    assert "can only be read" in refused.stderr, refused.stderr
    assert f"{second} may not write to it" in refused.stderr
    assert f"sudo retention-tui setup-shared --db {db} --group GROUP" in refused.stderr
    assert "Traceback" not in refused.stderr
