"""Call session speed at a 100,000-member campaign: from the outcome key to the next customer.

Builds a database of 100,000 customers (with phones, last visits spread over ten years) and
one active campaign holding all of them, then:

* in the domain layer, times logging an outcome and claiming the next member (the two writes
  behind the keys), and reading the queue's explanation;
* in the running app (headless, Pilot, 120x40), times from the outcome key and the space
  key to the next customer painted on the call session screen.

    python bench/bench_calls.py [--members 100000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from retention_tui import campaigns, clock
from retention_tui.db import open_database, write
from retention_tui.facts import refresh_customer_facts

TODAY = dt.date(2026, 11, 23)


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def build(path: Path, members: int) -> int:
    rng = random.Random(3)
    conn = open_database(path)
    start = TODAY.toordinal() - 3650
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, phone, advisor, last_visit,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'Anke', ?, '', '')",
            (
                (i, f"K{i:07d}", f"Customer {i}", f"06-{i:08d}",
                 dt.date.fromordinal(start + rng.randrange(3650)).isoformat())
                for i in range(1, members + 1)
            ),
        )  # fmt: skip
        refresh_customer_facts(conn)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Everyone")
    campaigns.add_members(conn, campaign_id, range(1, members + 1), "bench")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    return campaign_id


def domain(path: Path, campaign_id: int, rounds: int) -> None:
    conn = open_database(path)
    session = campaigns.new_session()
    logs, claims, queues = [], [], []
    outcomes = ["booked", "no-answer", "not-interested", "voicemail", "reached"]
    claim = campaigns.claim_next(conn, campaign_id, session)
    for i in range(rounds):
        assert claim is not None
        t = time.perf_counter()
        campaigns.log_outcome(
            conn, campaign_id, claim.customer_id, outcomes[i % len(outcomes)], session=session
        )
        logs.append(time.perf_counter() - t)
        t = time.perf_counter()
        claim = campaigns.claim_next(conn, campaign_id, session)
        claims.append(time.perf_counter() - t)
        if i % 10 == 0:
            t = time.perf_counter()
            campaigns.queue_state(conn, campaign_id, session)
            queues.append(time.perf_counter() - t)
    campaigns.release(conn, session)
    conn.close()
    print(f"log an outcome                       {ms(logs)}")
    print(f"claim the next member                {ms(claims)}")
    print(f"the queue's explanation              {ms(queues)}")


async def in_app(path: Path, rounds: int) -> None:
    from retention_tui.tui.app import RetentionApp
    from retention_tui.tui.screens.call_session import CallSessionScreen

    app = RetentionApp(db_path=path)
    waits = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.press("K")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, CallSessionScreen)
        for i in range(rounds):
            before = screen.current
            assert before is not None
            t = time.perf_counter()
            await pilot.press("n" if i % 2 else "b", "space")
            while screen.current is before or screen.shown_at < t:
                await asyncio.sleep(0.001)
            waits.append(screen.shown_at - t)
        await pilot.press("escape")
    print(f"outcome key + space to next customer {ms(waits)}  (in the app, {rounds} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    clock.set_today(TODAY)
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        path = Path(tmp) / "calls.db"
        t = time.perf_counter()
        campaign_id = build(path, args.members)
        print(f"built {args.members:,} members in {time.perf_counter() - t:.1f} s")
        domain(path, campaign_id, args.rounds)
        asyncio.run(in_app(path, min(args.rounds, 100)))


if __name__ == "__main__":
    main()
