"""Messages: the time to queue a bulk send to 20,000 customers, and messages per second
through the outbox to a real SMTP server on loopback (aiosmtpd).

    python bench/bench_messages.py [--customers 20000] [--send 5000] [--dir bench/.data]

Builds (or reuses) a demo database, gives every customer an email address with consent,
queues the "thank you" email for all of them (who may get it is decided per customer, the
text rendered per customer, one transaction), then sends SEND of them through the outbox
(claim, send, record: two short write transactions per message) to a local SMTP server that
accepts everything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from retention_tui import clock, messages, outbox, settings
from retention_tui.db import open_database, write
from retention_tui.demo import build_demo
from servers import email_settings, smtp_server

TODAY = dt.date(2026, 11, 23)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--send", type=int, default=5_000)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data")
    args = parser.parse_args()
    clock.set_today(TODAY)
    args.dir.mkdir(parents=True, exist_ok=True)
    demo = args.dir / f"demo-{args.customers}.db"
    if not demo.exists():
        print(f"building a demo of {args.customers:,} customers …")
        build_demo(demo, customers=args.customers, seed=1)
    db = args.dir / "messages.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(demo, db)
    conn = open_database(db)
    with write(conn):
        conn.execute(
            "UPDATE customers SET consent_email = 1,"
            " email = coalesce(email, 'k' || id || '@example.nl'), recorded_status = NULL"
        )
        conn.execute("DELETE FROM contact_blocks")
        conn.execute("DELETE FROM customer_tags WHERE tag_id ="
                     " (SELECT id FROM tags WHERE code = 'do-not-contact')")  # fmt: skip
    ids = [cid for (cid,) in conn.execute("SELECT id FROM customers")]

    started = time.perf_counter()
    who = messages.audience(conn, ids, "email")
    counted = time.perf_counter() - started
    started = time.perf_counter()
    done = messages.queue(conn, "thank-you-email", ids)
    queued = time.perf_counter() - started
    print(f"who may get it, {len(ids):,} customers: {counted * 1000:.0f} ms "
          f"({len(who.ready):,} ready)")  # fmt: skip
    print(f"queue a bulk send to {len(ids):,} customers: {queued:.2f} s "
          f"({done.queued:,} messages written)")  # fmt: skip

    with smtp_server() as (inbox, port):
        settings.put(conn, "smtp", email_settings(port))
        settings.put(conn, "rate_per_minute", {"email": 10_000_000, "sms": 30})
        report = outbox.SendReport()
        channels = outbox.open_channels(conn, report)
        started = time.perf_counter()
        outbox.send_due(conn, channels, report=report, limit=args.send)
        seconds = time.perf_counter() - started
        for channel in channels.values():
            channel.close()
    print(f"sent {report.sent:,} through the outbox to a local SMTP server in {seconds:.1f} s: "
          f"{report.sent / seconds:.0f} messages per second "
          f"({len(inbox.received):,} received)")  # fmt: skip
    conn.close()


if __name__ == "__main__":
    main()
