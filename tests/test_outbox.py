"""The outbox against real servers on loopback: sent once, retried after an outage, unknown
when a sender dies, rate limits, consent checked again at the claim, the command line."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug import Request, Response

from cli_run import run
from keyring_setup import subprocess_env, use_file_keyring
from message_data import add_contacts
from retention_tui import messages, outbox, tags
from retention_tui import settings as workshop
from retention_tui.db import open_database, write
from servers import email_settings, free_port, smtp_server


@pytest.fixture
def desk(desk_db: Path) -> Iterator[sqlite3.Connection]:
    conn = open_database(desk_db)
    add_contacts(conn)
    yield conn
    conn.close()


def states(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return conn.execute("SELECT customer_id, status FROM outbox ORDER BY id").fetchall()


def send(conn: sqlite3.Connection, **options: object) -> outbox.SendReport:
    report = outbox.SendReport()
    channels = outbox.open_channels(conn, report)
    try:
        return outbox.send_due(conn, channels, report=report, **options)  # type: ignore[arg-type]
    finally:
        for channel in channels.values():
            channel.close()


def test_each_message_goes_out_once_with_its_message_id(desk: sqlite3.Connection) -> None:
    with smtp_server() as (inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        done = messages.queue(desk, "thank-you-email", range(1, 7))
        assert done.queued == 2
        report = send(desk)
        assert (report.sent, report.failed, report.unknown) == (2, 0, 0)
        assert send(desk).sent == 0  # nothing twice
    keys = [k for (k,) in desk.execute("SELECT idempotency_key FROM outbox ORDER BY id")]
    assert [m["Message-ID"] for m in inbox.received] == [f"<{k}@garage-oost.nl>" for k in keys]
    assert [m["To"] for m in inbox.received] == ["jose@example.nl", "info@muller.de"]
    assert states(desk) == [(1, "sent"), (5, "sent")]
    assert {t.code for t in tags.of_customer(desk, 5)} == {"email-sent"}


def test_a_server_outage_delays_but_loses_nothing(desk: sqlite3.Connection) -> None:
    port = free_port()
    workshop.put(desk, "smtp", email_settings(port))
    workshop.put(desk, "outbox_retry_seconds", 1)
    messages.queue(desk, "thank-you-email", range(1, 7))
    down = send(desk)  # nothing listens on the port
    assert (down.sent, down.retrying) == (0, 2)
    row = desk.execute("SELECT status, attempts, last_error FROM outbox LIMIT 1").fetchone()
    assert row[:2] == ("queued", 1) and row[2]
    time.sleep(1.1)  # the first retry is due after a second (the setting)
    with smtp_server(port) as (inbox, _port):
        up = send(desk)
    assert up.sent == 2 and len(inbox.received) == 2
    assert desk.execute("SELECT DISTINCT attempts FROM outbox").fetchall() == [(2,)]


def test_a_refused_recipient_fails_for_good(desk: sqlite3.Connection) -> None:
    from aiosmtpd.controller import Controller

    class Refuser:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 No such user here"

    port = free_port()
    controller = Controller(Refuser(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        workshop.put(desk, "smtp", email_settings(port))
        messages.queue(desk, "thank-you-email", [1])
        report = send(desk)
    finally:
        controller.stop()
    assert report.failed == 1
    status, error = desk.execute("SELECT status, last_error FROM outbox").fetchone()
    assert status == "failed" and "550" in error


def test_a_dead_senders_message_is_unknown_never_resent_by_itself(
    desk: sqlite3.Connection,
) -> None:
    with smtp_server() as (inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        messages.queue(desk, "thank-you-email", [1, 5])
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        ghost = f"{socket.gethostname()}:{dead.pid}:abc123"
        claimed = outbox.claim(desk, ghost, ["email"])
        assert isinstance(claimed, outbox.Claim) and claimed.customer_id == 1
        assert outbox.recover(desk) == 1  # the process is gone
        assert send(desk).sent == 1  # only the other one
        assert states(desk) == [(1, "unknown"), (5, "sent")]
        assert outbox.retry(desk, [claimed.id]) == 1  # the advisor checked: send it
        assert send(desk).sent == 1
    ids = [m["Message-ID"] for m in inbox.received]
    assert ids[1].startswith(f"<{claimed.key}@")  # the same Message-ID as the lost attempt


def test_the_rate_limit_holds_back_and_says_how_long(desk: sqlite3.Connection) -> None:
    with smtp_server() as (inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        workshop.put(desk, "rate_per_minute", {"email": 1, "sms": 30})
        messages.queue(desk, "thank-you-email", [1, 5])
        report = send(desk, wait_for_rate=False)
        assert report.sent == 1 and len(inbox.received) == 1
        wait = outbox.claim(desk, outbox.sender_id(), ["email"])
        assert isinstance(wait, float) and 0 < wait <= 60


def test_consent_withdrawn_after_queueing_is_respected(desk: sqlite3.Connection) -> None:
    with smtp_server() as (inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        messages.queue(desk, "thank-you-email", [1, 5])
        with write(desk):
            desk.execute("UPDATE customers SET consent_email = 0 WHERE id = 1")
            desk.execute(
                "INSERT INTO contact_blocks (customer_id, channel, reason, operator, set_at)"
                " VALUES (5, 'email', 'complained', 'tester', '2026-11-23 09:00:00')"
            )
        report = send(desk)
    assert report.sent == 0 and inbox.received == []
    assert desk.execute("SELECT status, last_error FROM outbox ORDER BY id").fetchall() == [
        ("cancelled", "Not sent: no consent for this channel since it was queued."),
        ("cancelled", "Not sent: do not contact since it was queued."),
    ]


def test_sms_through_an_http_gateway(desk: sqlite3.Connection, httpserver) -> None:
    seen: list[dict] = []

    def gateway(request: Request) -> Response:
        seen.append(json.loads(request.get_data()))
        return Response(json.dumps({"id": f"gw-{len(seen)}"}), content_type="application/json")

    httpserver.expect_request("/sms", method="POST").respond_with_handler(gateway)
    workshop.put(desk, "sms_gateway", {
        "url": httpserver.url_for("/sms"), "auth": "none", "sender": "GarageOost",
        "body": '{"to": {to_json}, "text": {text_json}, "ref": {ref_json}}', "id_field": "id",
    })  # fmt: skip
    messages.queue(desk, "mot-due-sms", range(1, 7))
    assert send(desk).sent == 2
    keys = [k for (k,) in desk.execute("SELECT idempotency_key FROM outbox ORDER BY id")]
    assert [(s["to"], s["ref"]) for s in seen] == list(
        zip(["+31612345678", "+31698765432"], keys, strict=True)
    )
    assert seen[0]["text"].startswith("Hello José Müller, the MOT of your Volkswagen Golf")
    providers = desk.execute("SELECT provider_id FROM outbox ORDER BY id").fetchall()
    assert providers == [("gw-1",), ("gw-2",)]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=st.lists(
        st.tuples(
            st.booleans(),
            st.booleans(),
            st.booleans(),
            st.booleans(),
            st.sampled_from([None, "deceased", "moved away"]),
        ),
        min_size=6,
        max_size=6,
    ),
    channel=st.sampled_from(["email", "sms", "letter"]),
)
def test_nobody_without_consent_or_blocked_is_ever_queued(
    desk: sqlite3.Connection, people: list[tuple], channel: str
) -> None:
    with write(desk):
        desk.execute("DELETE FROM outbox")
        desk.execute("DELETE FROM contact_blocks")
        desk.execute("DELETE FROM customer_tags")
        for cid, (consent, blocked, _tagged, has_address, status) in enumerate(people, 1):
            desk.execute(
                "UPDATE customers SET consent_email = ?, consent_sms = ?, recorded_status = ?,"
                " email = ?, mobile = ?, street = ? WHERE id = ?",
                (int(consent), int(consent), status, f"c{cid}@example.nl" if has_address else None,
                 f"06-1234{cid:04}" if has_address else None,
                 "Straat 1" if has_address else None, cid),
            )  # fmt: skip
            desk.execute("UPDATE customers SET phone = NULL WHERE id = ?", (cid,))
            if blocked:
                desk.execute(
                    "INSERT INTO contact_blocks (customer_id, channel, reason, operator, set_at)"
                    " VALUES (?, ?, 'test', 'tester', '2026-11-01 10:00:00')", (cid, channel),
                )  # fmt: skip
    for cid, person in enumerate(people, 1):
        if person[2]:
            tags.add(desk, [cid], tags.Tagging("do-not-contact"))
    template = {"email": "thank-you-email", "sms": "thank-you-sms", "letter": "miss-you-letter"}
    messages.queue(
        desk, template[channel], range(1, 7), batch=f"b{time.monotonic_ns()}", offer="a gift"
    )
    queued = {cid for (cid,) in desk.execute("SELECT customer_id FROM outbox")}
    allowed = {
        cid
        for cid, (consent, blocked, tagged, has_address, status) in enumerate(people, 1)
        if (consent or channel == "letter")
        and not blocked
        and not tagged
        and has_address
        and status != "deceased"
        and not (channel == "letter" and status == "moved away")
    }
    assert queued == allowed


def test_the_command_line_lists_retries_cancels_and_keeps_secrets_out(
    desk: sqlite3.Connection, desk_db: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    db = str(desk_db)
    code, out, err = run(capsys, "--db", db, "messages", "send", "mot-due-sms", "--yes")
    assert code == 0 and out.startswith("2 messages queued")
    assert "By SMS: 2 will get it. 4 will not (" in err
    code, out, _err = run(capsys, "--db", db, "outbox", "list", "--format", "csv")
    lines = out.splitlines()
    assert lines[0].startswith("id,status,channel,customer_no") and len(lines) == 3
    assert run(capsys, "--db", db, "outbox", "cancel", "--status", "queued")[1].startswith("2 ")
    assert run(capsys, "--db", db, "outbox", "retry", "--status", "cancelled")[1].startswith("2 ")
    code, _out, err = run(capsys, "--db", db, "outbox", "send")
    assert code == 0
    # The gateway's token goes to the keyring only.
    use_file_keyring(monkeypatch, tmp_path / "keys")
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("s3cret-T0ken\n"))
    code, out, _err = run(capsys, "secrets", "set", "sms", "--stdin")
    assert code == 0 and "Stored in the keyring" in out
    assert run(capsys, "secrets", "status")[1].splitlines()[-1] == "sms: set"
    code, _out, _err = run(capsys, "--db", db, "messages", "setup", "sms", "--url",
                           "http://127.0.0.1:9/sms", "--rate", "10")  # fmt: skip
    assert code == 0
    desk.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in desk_db.parent.iterdir():
        if path.is_file() and "keys" not in str(path):
            assert b"s3cret-T0ken" not in path.read_bytes(), path
    assert workshop.get(desk, "rate_per_minute")["sms"] == 10


def _count_by_message_id(inbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in inbox.received:
        counts[message["Message-ID"]] = counts.get(message["Message-ID"], 0) + 1
    return counts


def test_a_sender_killed_mid_send_loses_nothing_and_doubles_nothing(
    desk: sqlite3.Connection, desk_db: Path, tmp_path: Path
) -> None:
    total = 1000
    with write(desk):  # a thousand customers with email consent
        desk.executemany(
            "INSERT INTO customers (customer_no, name, email, consent_email, created_at,"
            " updated_at) VALUES (?, ?, ?, 1, '2026-11-23', '2026-11-23')",
            [(f"K{i:05}", f"Klant {i}", f"k{i}@example.nl") for i in range(total)],
        )
    ids = [cid for (cid,) in desk.execute("SELECT id FROM customers WHERE customer_no LIKE 'K%'")]
    assert messages.queue(desk, "thank-you-email", ids).queued == total
    with smtp_server() as (inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        workshop.put(desk, "rate_per_minute", {"email": 1_000_000, "sms": 30})
        command = [sys.executable, "-m", "retention_tui", "--db", str(desk_db), "outbox", "send"]
        env = {**subprocess_env(tmp_path / "keys"), "RETENTION_TUI_TODAY": "2026-11-23"}
        sender = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 60
        while len(inbox.received) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait()
        assert 300 <= len(inbox.received) < total, "the sender was not stopped mid-send"
        started = time.monotonic()
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - started
        assert again.returncode == 0, again.stderr
    rows = desk.execute("SELECT status, idempotency_key FROM outbox").fetchall()
    assert len(rows) == total
    by_state: dict[str, list[str]] = {}
    for status, key in rows:
        by_state.setdefault(status, []).append(key)
    assert set(by_state) <= {"sent", "unknown"}
    assert len(by_state.get("unknown", [])) <= 1  # at most the one in flight
    counts = _count_by_message_id(inbox)
    assert max(counts.values()) == 1  # nothing twice
    for key in by_state["sent"]:
        assert counts[f"<{key}@garage-oost.nl>"] == 1
    left = len(by_state["sent"]) - (len(inbox.received) - sum(
        1 for k in by_state.get("unknown", []) if f"<{k}@garage-oost.nl>" in counts))  # fmt: skip
    assert left == 0
    print(f"\nrestarted sender: {total - 300} messages or so in {seconds:.1f} s")


def test_the_long_lived_sender_sends_what_comes_in_and_stops_on_sigterm(
    desk: sqlite3.Connection, desk_db: Path, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        command = [sys.executable, "-m", "retention_tui", "--db", str(desk_db), "outbox", "send",
                   "--watch", "--poll", "0.2"]  # fmt: skip
        env = {**subprocess_env(tmp_path / "keys"), "RETENTION_TUI_TODAY": "2026-11-23"}
        sender = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            time.sleep(0.5)
            messages.queue(desk, "thank-you-email", [1])  # queued while it runs
            deadline = time.monotonic() + 20
            while not inbox.received and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(inbox.received) == 1
        finally:
            sender.send_signal(signal.SIGTERM)
            out, err = sender.communicate(timeout=20)
    assert sender.returncode == 0, err
    assert out.startswith("1 sent")
    assert states(desk) == [(1, "sent")]


def test_a_limited_channel_is_waited_for_while_another_has_nothing(
    desk: sqlite3.Connection,
) -> None:
    with smtp_server() as (_inbox, port):
        workshop.put(desk, "smtp", email_settings(port))
        workshop.put(desk, "rate_per_minute", {"email": 1, "sms": 30})
        messages.queue(desk, "thank-you-email", [1, 5])
        assert send(desk, wait_for_rate=False).sent == 1
        # SMS is open but has nothing due; the email waiting for its slot is not forgotten.
        wait = outbox.claim(desk, outbox.sender_id(), ["email", "sms"])
        assert isinstance(wait, float) and 0 < wait <= 60
