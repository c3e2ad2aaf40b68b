"""The campaign and call commands as a manager scripts them, and three processes working one
campaign's queue at once through them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli_run import run
from retention_tui import campaigns
from retention_tui.db import open_database, write
from retention_tui.facts import refresh_customer_facts


def seed(path: Path, customers: int) -> None:
    conn = open_database(path)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, phone, last_visit, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, '', '')",
            [
                (i, f"K{i:05d}", f"Customer {i}", f"06-{i:08d}", f"2024-{i % 12 + 1:02d}-01")
                for i in range(1, customers + 1)
            ],
        )
        refresh_customer_facts(conn)  # the search index, as an import keeps it
    conn.close()


def test_make_fill_activate_and_work_a_campaign(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "c.db")
    seed(tmp_path / "c.db", 5)
    code, out, _err = run(capsys, "--db", db, "campaign", "templates", "--format", "csv")
    assert code == 0 and out.startswith("key,name,kind")
    assert "win-back,Win back: away 12 months or more,retention" in out
    code, out, err = run(
        capsys, "--db", db, "campaign", "new", "--template", "win-back", "--name", "Away",
        "--cooldown-days", "0", "--max-attempts", "2",
    )  # fmt: skip
    assert code == 0, err
    campaign_id = out.strip()
    assert campaign_id.isdigit()
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("customer_no\nK00001\nK00002\n")
    code, out, err = run(capsys, "--db", db, "campaign", "add", campaign_id, "--customers",
                         str(numbers))  # fmt: skip
    assert code == 0 and out.startswith("2 customers added"), err
    code, out, _err = run(capsys, "--db", db, "campaign", "add", campaign_id, "--search", "Cust")
    assert out.startswith("3 customers added (2 were members already)")
    code, _out, err = run(capsys, "--db", db, "calls", "next", campaign_id)
    assert code == 1 and "draft: activate it first" in err and "Traceback" not in err
    assert run(capsys, "--db", db, "campaign", "activate", campaign_id)[0] == 0
    code, out, _err = run(capsys, "--db", db, "calls", "next", campaign_id)
    assert code == 0
    header, row = out.splitlines()
    assert header == "customer_no,name,phone,why"
    assert row.startswith("K00001,Customer 1,06-00000001,first call")  # oldest last visit
    code, out, err = run(capsys, "--db", db, "calls", "log", campaign_id, "K00001", "no-answer",
                         "--note", "rang 8 times")  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "--db", db, "calls", "log", campaign_id, "K00002", "callback",
                         "--callback", "2026-11-30T10:15")  # fmt: skip
    assert code == 0 and "2026-11-30 10:15" in out, err
    code, _out, err = run(capsys, "--db", db, "calls", "log", campaign_id, "K00003", "maybe")
    assert code == 1 and "'maybe' is not a call outcome" in err
    code, _out, err = run(capsys, "--db", db, "calls", "log", campaign_id, "K09999", "reached")
    assert code == 1 and "no customer with the number K09999" in err
    # A call session on a screen holds K00003: the command line may not log it.
    conn = open_database(tmp_path / "c.db")
    screen = campaigns.new_session("tui")
    claims = []
    while (claim := campaigns.claim_next(conn, int(campaign_id), screen)) is not None:
        claims.append(claim.customer_id)
        if claim.customer_id == 3:
            break
    code, _out, err = run(capsys, "--db", db, "calls", "log", campaign_id, "K00003", "reached")
    assert code == 1 and "being called by tester in another session" in err
    campaigns.release(conn, screen)
    conn.close()
    code, out, err = run(capsys, "--db", db, "campaign", "remove", campaign_id, "K00005")
    assert code == 0 and out.startswith("1 customer removed"), err
    code, _out, err = run(capsys, "--db", db, "campaign", "remove", campaign_id, "K77777")
    assert code == 1 and "K77777" in err
    code, out, _err = run(capsys, "--db", db, "campaign", "list", "--format", "csv")
    assert out.splitlines()[0] == "id,name,kind,status,starts_on,ends_on,members,ready,done"
    assert f"{campaign_id},Away,retention,active," in out


def test_nothing_ready_exits_3_and_explains_the_queue(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "c.db")
    seed(tmp_path / "c.db", 2)
    conn = open_database(tmp_path / "c.db")
    campaign_id = campaigns.new_campaign(conn, "win-back", "Away")
    campaigns.add_members(conn, campaign_id, [1, 2], "test")
    campaigns.set_status(conn, campaign_id, "active")
    campaigns.set_do_not_contact(conn, 2, "phone", "asked by letter")
    conn.close()
    assert run(capsys, "--db", db, "calls", "next", str(campaign_id))[0] == 0
    code, out, err = run(capsys, "--db", db, "calls", "next", str(campaign_id))
    assert code == 3 and out == ""
    assert "Nothing is ready to call now." in err
    assert "claimed by another advisor: 1" in err and "do not contact: 1" in err


WORKER = textwrap.dedent(
    """
    import contextlib, io, sys
    from retention_tui.cli import main

    db, campaign = sys.argv[1], sys.argv[2]

    def cli(*args):
        out = io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out):
            try:
                main(["--db", db, *args])
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        return code, out.getvalue()

    handled = []
    while True:
        code, out = cli("calls", "next", campaign)
        if code == 3:
            break
        assert code == 0, (code, out)
        number = out.splitlines()[1].split(",")[0]
        outcome = "booked" if int(number[1:]) % 2 else "not-interested"
        code, out = cli("calls", "log", campaign, number, outcome)
        assert code == 0, (code, out)
        handled.append(number)
    print("\\n".join(handled))
    """
)


def test_three_processes_work_one_campaign_and_handle_every_member_once(tmp_path: Path) -> None:
    members = 3000
    path = tmp_path / "shared.db"
    seed(path, members)
    conn = open_database(path)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Everyone")
    campaigns.add_members(conn, campaign_id, range(1, members + 1), "test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    env = {**os.environ, "RETENTION_TUI_TODAY": "2026-11-23"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(campaign_id)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    results = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_out, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    handled = [n for out, _err in results for n in out.split()]
    assert len(handled) == members
    assert len(set(handled)) == members  # nobody twice, nobody lost
    assert all(len(out.split()) > members // 10 for out, _err in results)  # all three worked
    conn = open_database(path)
    assert conn.execute(
        "SELECT count(*), count(DISTINCT customer_id) FROM calls WHERE campaign_id = ?",
        (campaign_id,),
    ).fetchone() == (members, members)
    assert conn.execute("SELECT count(*) FROM call_claims").fetchone() == (0,)
    assert conn.execute(
        "SELECT count(*) FROM campaign_members WHERE state = 'open'"
    ).fetchone() == (0,)


KILLED_WORKER = textwrap.dedent(
    """
    import sys, time
    from retention_tui import campaigns
    from retention_tui.db import open_database

    conn = open_database(sys.argv[1])
    campaign = int(sys.argv[2])
    session = campaigns.new_session()
    for _ in range(5):
        claim = campaigns.claim_next(conn, campaign, session)
        campaigns.log_outcome(conn, campaign, claim.customer_id, "no-answer", session=session)
    claim = campaigns.claim_next(conn, campaign, session)  # held when the process dies
    print(claim.customer_id, flush=True)
    time.sleep(60)
    """
)


def test_a_session_killed_mid_call_keeps_its_entries_and_its_claim_lapses(
    tmp_path: Path,
) -> None:
    import datetime as dt
    import signal

    from retention_tui import clock

    path = tmp_path / "killed.db"
    seed(path, 10)
    conn = open_database(path)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Killed")
    campaigns.add_members(conn, campaign_id, range(1, 11), "test")
    campaigns.set_status(conn, campaign_id, "active")
    env = {**os.environ, "RETENTION_TUI_TODAY": "2026-11-23"}
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, str(path), str(campaign_id)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert worker.stdout is not None
    held = int(worker.stdout.readline())
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert conn.execute(
        "SELECT count(*) FROM calls WHERE campaign_id = ? AND outcome = 'no answer'",
        (campaign_id,),
    ).fetchone() == (5,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    mine = campaigns.new_session()
    taken = []
    while (claim := campaigns.claim_next(conn, campaign_id, mine)) is not None:
        taken.append(claim.customer_id)
        campaigns.log_outcome(conn, campaign_id, claim.customer_id, "booked", session=mine)
    assert held not in taken and len(taken) == 4  # the dead session still holds one
    clock.set_today(clock.today() + dt.timedelta(days=1))  # long past its idle timeout
    claim = campaigns.claim_next(conn, campaign_id, mine)
    assert claim is not None and claim.customer_id == held
