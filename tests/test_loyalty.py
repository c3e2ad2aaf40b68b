"""The loyalty figures against hand-made histories and a brute-force count of the visits."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_tui import loyalty
from retention_tui.db import connect, migrate, write
from retention_tui.facts import refresh_customer_facts
from retention_tui.months import Month

TODAY = dt.date(2026, 11, 23)


def memory_db() -> sqlite3.Connection:
    conn = connect(":memory:")
    migrate(conn)
    return conn


def add_visits(
    conn: sqlite3.Connection, visits: Iterable[tuple[int, str]], *, incremental: bool = True
) -> None:
    """Visits as (customer id, ISO date); customers are created as needed."""
    visits = list(visits)
    with write(conn):
        for cid in sorted({c for c, _d in visits}):
            conn.execute(
                "INSERT OR IGNORE INTO customers (id, customer_no, name, created_at, updated_at)"
                " VALUES (?, ?, ?, '', '')",
                (cid, f"K{cid}", f"Customer {cid}"),
            )
        start = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
        conn.executemany(
            "INSERT INTO visits (invoice_no, customer_id, date, mot) VALUES (?, ?, ?, ?)",
            [(f"I{start + i}", c, d, int(d.endswith("-01"))) for i, (c, d) in enumerate(visits)],
        )
        refresh_customer_facts(conn, {c for c, _d in visits} if incremental else None)


def brute_force(visits: list[tuple[int, str]], window: int, month: Month) -> dict[str, int]:
    """The DESIGN.md definitions, counted straight from the visits."""
    months: dict[int, set[int]] = {}
    for cid, day in visits:
        months.setdefault(cid, set()).add(Month.of(dt.date.fromisoformat(day)).index)
    m = month.index

    def any_in(cid: int, low: int, high: int) -> bool:
        return any(low <= x <= high for x in months[cid])

    return {
        "active": sum(any_in(c, m - window + 1, m) for c in months),
        "new": sum(m in ms and not any_in(c, m - window, m - 1) for c, ms in months.items()),
        "lapsed": sum(
            (m - window) in ms and not any_in(c, m - window + 1, m) for c, ms in months.items()
        ),
        "visits": sum(Month.of(dt.date.fromisoformat(d)).index == m for _c, d in visits),
    }


def table(conn: sqlite3.Connection, window: int) -> dict[Month, loyalty.LoyaltyMonth]:
    return {row.month: row for row in loyalty.loyalty_table(conn, window)}


def test_a_return_after_exactly_the_window_is_not_new() -> None:
    conn = memory_db()
    # Visits in 2025-01 and 2026-01: twelve months apart.
    add_visits(conn, [(1, "2025-01-10"), (1, "2026-01-20")])
    rows = table(conn, 12)
    assert rows[Month(2025, 1)].new == 1
    assert rows[Month(2026, 1)].new == 0  # 2025-01 lies in the 12 months before
    assert all(r.lapsed == 0 for r in rows.values() if r.month <= Month(2026, 11))
    assert rows[Month(2025, 12)].active == 1 and rows[Month(2026, 1)].active == 1
    # With a window of 11 months, 2025-01 lapses in 2025-12 and 2026-01 is a return.
    rows = table(conn, 11)
    assert rows[Month(2025, 12)].lapsed == 1 and rows[Month(2025, 12)].active == 0
    assert rows[Month(2026, 1)].new == 1


def test_a_return_after_the_window_plus_one_is_new_again() -> None:
    conn = memory_db()
    add_visits(conn, [(1, "2025-01-31"), (1, "2026-02-01")])
    rows = table(conn, 12)
    assert rows[Month(2026, 1)].lapsed == 1
    assert rows[Month(2026, 1)].came_back == 1
    assert rows[Month(2026, 2)].new == 1
    assert rows[Month(2026, 1)].active == 0 and rows[Month(2026, 2)].active == 1


def test_several_visits_in_one_month_count_once_as_customer() -> None:
    conn = memory_db()
    add_visits(conn, [(1, "2026-03-01"), (1, "2026-03-15"), (1, "2026-03-31")])
    rows = table(conn, 6)
    march = rows[Month(2026, 3)]
    assert (march.new, march.active, march.visits, march.mot) == (1, 1, 3, 1)
    assert rows[Month(2026, 9)].lapsed == 1 and rows[Month(2026, 9)].active == 0


def test_first_month_of_the_data_and_windows() -> None:
    conn = memory_db()
    add_visits(conn, [(1, "2024-01-01"), (2, "2024-01-31"), (2, "2024-07-15")])
    for window in (1, 6, 12, 24):
        rows = loyalty.loyalty_table(conn, window)
        assert rows[0].month == Month(2024, 1)
        assert rows[0].new == 2 and rows[0].active == 2
        assert rows[-1].month == Month(2026, 11)
        assert sum(r.new for r in rows) - sum(r.lapsed for r in rows) == rows[-1].active


def test_no_visits_gives_this_month_only() -> None:
    rows = loyalty.loyalty_table(memory_db(), 12)
    assert [(r.month, r.active, r.new, r.lapsed) for r in rows] == [(Month(2026, 11), 0, 0, 0)]


def test_a_bad_window_is_a_sentence() -> None:
    with pytest.raises(loyalty.RetentionError, match="1 to 120"):
        loyalty.loyalty_table(memory_db(), 0)


DATES = st.dates(dt.date(2023, 1, 1), TODAY).map(dt.date.isoformat)
HISTORY = st.lists(st.tuples(st.integers(1, 6), DATES), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=HISTORY, later=st.lists(st.tuples(st.integers(1, 8), DATES), max_size=10),
       window=st.sampled_from([1, 2, 6, 12, 24]))  # fmt: skip
def test_figures_match_the_definitions_and_stay_right_on_every_import(
    first: list[tuple[int, str]], later: list[tuple[int, str]], window: int
) -> None:
    conn = memory_db()
    add_visits(conn, first, incremental=False)
    add_visits(conn, later)  # kept current by difference, not recounted
    visits = first + later
    rows = loyalty.loyalty_table(conn, window)
    previous_active = 0
    for row in rows:
        assert row.active - previous_active == row.new - row.lapsed
        previous_active = row.active
        expected = brute_force(visits, window, row.month)
        assert (row.active, row.new, row.lapsed, row.visits) == (
            expected["active"],
            expected["new"],
            expected["lapsed"],
            expected["visits"],
        ), row.month
    # The drilldown lists exactly the customers counted.
    for row in rows:
        listed = loyalty.loyalty_customers(conn, row.month, window)
        assert sum(c.kind == "new" for c in listed) == row.new
        assert sum(c.kind == "lapsed" for c in listed) == row.lapsed
    # Each customer's news and lapses alternate in time, starting with new.
    events: dict[str, list[str]] = {}
    for row in rows:
        for c in loyalty.loyalty_customers(conn, row.month, window):
            events.setdefault(c.customer_no, []).append(c.kind)
    for kinds in events.values():
        assert kinds[0] == "new"
        assert all(a != b for a, b in itertools.pairwise(kinds))


def test_counts_follow_a_deleted_visit(tmp_path) -> None:
    conn = memory_db()
    add_visits(conn, [(1, "2025-01-10"), (1, "2025-06-10"), (2, "2025-06-11")])
    with write(conn):
        conn.execute("DELETE FROM visits WHERE date = '2025-06-10'")
        refresh_customer_facts(conn, [1])
    rows = table(conn, 3)
    assert rows[Month(2025, 4)].lapsed == 1
    assert rows[Month(2025, 6)].new == 1  # only customer 2
    assert conn.execute("SELECT count(*) FROM loyalty_counts WHERE customers <= 0").fetchone() == (
        0,
    )


def test_contact_state_of_lapsed_customers() -> None:
    conn = memory_db()
    history = [(1, "2025-01-10"), (2, "2025-01-12"), (3, "2025-01-15"), (4, "2025-01-20")]
    add_visits(conn, [*history, (3, "2026-03-01")])
    with write(conn):
        conn.execute(
            "INSERT INTO calls (customer_id, operator, called_at, outcome)"
            " VALUES (1, 'anke', '2026-02-03 10:00:00', 'no answer')"
        )
        conn.execute(
            "INSERT INTO departures (customer_id, departed_on, operator, recorded_at)"
            " VALUES (2, '2026-02-10', 'anke', '')"
        )
    listed = {c.customer_no: c for c in loyalty.loyalty_customers(conn, Month(2026, 1), 12)}
    assert {k: c.kind for k, c in listed.items()} == dict.fromkeys(
        ["K1", "K2", "K3", "K4"], "lapsed"
    )
    assert listed["K1"].contact == "called 2026-02-03"
    assert listed["K2"].contact == "confirmed lost 2026-02-10"
    assert listed["K3"].contact == "came back 2026-03"
    assert listed["K4"].contact == "not contacted"
    assert listed["K1"].visits_in_window == 1
    follow = loyalty.lapse_follow_up(conn, 12)[Month(2026, 1)]
    assert (follow.contacted, follow.confirmed_lost) == (1, 1)
    assert table(conn, 12)[Month(2026, 1)].came_back == 1
