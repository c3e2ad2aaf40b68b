"""The quick plans of the tag filter find exactly the customers a plain reading of the bookings
finds: per customer (EXISTS while walking the sort index) or as a set of ids, whichever the
size of a tag picks, and the single-tag count."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_tui import customer_list as cl
from retention_tui.customer_list import CustomerQuery, ListContext
from retention_tui.db import open_database, write

CODES = ("inspection", "sms-sent", "complaint", "test-ride")
EXTRA_CUSTOMERS = 40
TODAY = dt.date(2026, 11, 23)  # the fixed today of tests/conftest.py

# (TAG_FEW_ROWS, SMALL_MATCH, WALK_CUSTOMERS): walk with EXISTS, walk with id sets, no walk.
PLANS = {
    "exists": (-1, -1, 10**12),
    "walk with sets": (10**9, -1, 10**12),
    "sets": (10**9, 10**9, 0),
}


@pytest.fixture
def shop(desk_db: Path) -> Iterator[sqlite3.Connection]:
    conn = open_database(desk_db)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (customer_no, name, last_visit, created_at, updated_at)"
            " VALUES (?, ?, ?, '2026-01-01', '2026-01-01')",
            [
                (
                    f"X{i:03d}",
                    f"Extra {i % 7} {i}",
                    None if i % 5 == 0 else f"2026-{i % 12 + 1:02d}-10",
                )
                for i in range(EXTRA_CUSTOMERS)
            ],
        )
    yield conn
    conn.close()


def day(offset: int | None) -> str | None:
    return None if offset is None else (TODAY + dt.timedelta(days=offset)).isoformat()


def use_plan(monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    few_rows, small_match, walk_customers = PLANS[plan]
    monkeypatch.setattr(cl, "TAG_FEW_ROWS", few_rows)
    monkeypatch.setattr(cl, "SMALL_MATCH", small_match)
    monkeypatch.setattr(cl, "WALK_CUSTOMERS", walk_customers)


def book(shop: sqlite3.Connection, bookings: list[tuple[int, str, str | None]]) -> None:
    """(customer id, code, valid until) bookings, set on 2026-01-01."""
    tag_ids = dict(shop.execute("SELECT code, id FROM tags").fetchall())
    with write(shop):
        shop.executemany(
            "INSERT INTO customer_tags (customer_id, tag_id, set_on, valid_until, operator,"
            " created_at) VALUES (?, ?, '2026-01-01', ?, 'test', '2026-01-01')",
            [(cid, tag_ids[code], until) for cid, code, until in bookings],
        )


def customer_ids(shop: sqlite3.Connection) -> list[int]:
    return [row[0] for row in shop.execute("SELECT id FROM customers ORDER BY id")]


booking = st.tuples(
    st.integers(0, 6 + EXTRA_CUSTOMERS - 1),  # index into the customers' ids
    st.sampled_from(CODES),
    st.one_of(st.none(), st.integers(-2, 2)),  # valid until, around today's boundary
    st.one_of(st.none(), st.integers(1, 6)),  # grade
    st.integers(-400, 0),  # set on
    st.one_of(st.none(), st.integers(-3, 3)),  # follow-up, around today
)
term = st.tuples(
    st.booleans(),  # negated
    st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True),
    st.sampled_from(
        [
            "",
            "grade:2..4",
            "unseen",
            "follow-up",
            "follow-up:any",
            "follow-up:none",
            "follow-up unseen",
        ]
    ),
)
filter_line = st.one_of(st.just([]), st.lists(term, min_size=1, max_size=2))


def line_text(terms: list) -> str:
    if not terms:
        return '""'
    return " & ".join(
        f"{'!' if negated else ''}{','.join(codes)}{' ' + qualifier if qualifier else ''}"
        for negated, codes, qualifier in terms
    )


def reference(conn: sqlite3.Connection, terms: list) -> set[int]:
    """Who the filter finds, read booking by booking in Python."""
    last_visit = dict(conn.execute("SELECT id, last_visit FROM customers").fetchall())
    rows = conn.execute(
        "SELECT ct.customer_id, t.code, ct.valid_until, ct.grade, ct.set_on, ct.follow_up_on"
        " FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id"
    ).fetchall()
    valid = [r for r in rows if (r[2] or "9999-12-31") >= TODAY.isoformat()]
    if not terms:
        return set(last_visit) - {r[0] for r in valid}

    def holds(customer: int, codes: list[str], qualifier: str) -> bool:
        for who, code, _until, grade, set_on, follow_up in valid:
            if who != customer or code not in codes:
                continue
            if qualifier == "grade:2..4" and not (grade is not None and 2 <= grade <= 4):
                continue
            seen = last_visit[customer]
            if "unseen" in qualifier and not (seen is None or seen <= set_on):
                continue
            due = follow_up is not None and follow_up <= TODAY.isoformat()
            if qualifier.startswith("follow-up") and qualifier != "follow-up:any":
                if qualifier == "follow-up:none" and follow_up is not None:
                    continue
                if qualifier != "follow-up:none" and not due:
                    continue
            if qualifier == "follow-up:any" and follow_up is None:
                continue
            return True
        return False

    return {
        customer
        for customer in last_visit
        if all(holds(customer, codes, q) != negated for negated, codes, q in terms)
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bookings=st.lists(booking, max_size=60),
    terms=filter_line,
    beside=st.sampled_from(["", "last visit", "search"]),
)
def test_every_plan_finds_what_the_bookings_say(
    shop: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
    bookings: list,
    terms: list,
    beside: str,
) -> None:
    ids = [row[0] for row in shop.execute("SELECT id FROM customers ORDER BY id")]
    tag_ids = dict(shop.execute("SELECT code, id FROM tags").fetchall())
    with write(shop):
        shop.execute("DELETE FROM customer_tags")
        shop.executemany(
            "INSERT INTO customer_tags (customer_id, tag_id, grade, set_on, valid_until,"
            " follow_up_on, operator, created_at) VALUES (?, ?, ?, ?, ?, ?, 'test', '2026-01-01')",
            [
                (ids[who], tag_ids[code], grade, day(set_on), day(until), day(follow_up))
                for who, code, until, grade, set_on, follow_up in bookings
            ],
        )
    ctx = ListContext.load(shop)
    filters: tuple[tuple[str, str], ...] = (("tags", line_text(terms)),)
    expected = reference(shop, terms)
    search = ""
    if beside == "last visit":
        # another column beside the tags: its own result is not what is tested here
        city = CustomerQuery(filters=(("last_visit", "<2026-06"),))
        expected &= set(cl.snapshot(shop, city, ctx) or ())
        filters += (("last_visit", "<2026-06"),)
    elif beside == "search":
        # text the search index answers: with many hits the count reads the tag's bookings
        search = "extra"
        expected &= set(cl.snapshot(shop, CustomerQuery(search=search), ctx) or ())
    query = CustomerQuery(filters=filters, search=search)
    pages = {}
    for plan in PLANS:
        use_plan(monkeypatch, plan)
        every = cl.snapshot(shop, query, ctx)
        assert every is not None
        assert set(every) == expected, plan
        assert len(every) == len(expected), plan  # each customer once
        assert cl.count(shop, query, ctx) == len(expected), plan
        page = cl.first_page(shop, query, ctx, limit=5)
        assert page == list(every)[:5], plan
        pages[plan] = page
    assert len({tuple(p) for p in pages.values()}) == 1


def test_the_plans_really_differ(shop: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The forced settings do reach both forms of a tag term (else the test above proves
    nothing)."""
    ctx = ListContext.load(shop)
    tag_id = shop.execute("SELECT id FROM tags WHERE code = 'inspection'").fetchone()[0]
    with write(shop):
        shop.execute(
            "INSERT INTO customer_tags (customer_id, tag_id, set_on, operator, created_at)"
            " VALUES (1, ?, '2026-01-01', 'test', '2026-01-01')",
            (tag_id,),
        )
    query = CustomerQuery(filters=(("tags", "inspection"),))
    sqls = {}
    for plan in PLANS:
        use_plan(monkeypatch, plan)
        sqls[plan] = cl._select(shop, query, ctx, "c.id", ordered=True, limit=5)[0]
    assert "EXISTS (SELECT 1 FROM customer_tags ct" in sqls["exists"]
    assert " INDEXED BY " in sqls["exists"] and " INDEXED BY " in sqls["walk with sets"]
    assert "c.id IN (SELECT ct.customer_id" in sqls["walk with sets"]
    assert " INDEXED BY " not in sqls["sets"] and "EXISTS" not in sqls["sets"]


def test_the_validity_test_can_use_the_expression_index(shop: sqlite3.Connection) -> None:
    """The no-end date is written as a literal, so SQLite reads only valid bookings."""
    ctx = ListContext.load(shop)
    term = cl._compile_tag_term("inspection", ctx)
    sql, params = term.rows
    plan = " ".join(row[3] for row in shop.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "customer_tags_valid" in plan
    assert "<expr>>?" in plan.replace(" ", "")


def test_text_and_a_tag_are_counted_from_the_bookings(
    shop: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many text hits the count reads the tag's bookings among them (the test above
    checks its figure); with few, the hits are tested one by one."""
    ctx = ListContext.load(shop)
    query = CustomerQuery(search="extra", filters=(("tags", "inspection"),))
    ran: list[str] = []
    shop.set_trace_callback(ran.append)
    try:
        monkeypatch.setattr(cl, "SMALL_MATCH", -1)
        cl.count(shop, query, ctx)
        assert any("count(DISTINCT ct.customer_id)" in sql and "customer_search" in sql
                   for sql in ran)  # fmt: skip
        ran.clear()
        monkeypatch.setattr(cl, "SMALL_MATCH", 10**9)
        cl.count(shop, query, ctx)
        assert not any("count(DISTINCT" in sql for sql in ran)
    finally:
        shop.set_trace_callback(None)


def test_a_walk_that_runs_out_of_time_gives_the_same_page(
    shop: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tags beside another column: the walk is only tried; when its time is up the page is
    read from the sets instead, and it is the same page."""
    ctx = ListContext.load(shop)
    book(shop, [(cid, "inspection", None) for cid in customer_ids(shop)[::2]])
    query = CustomerQuery(filters=(("tags", "inspection"), ("last_visit", "<2026-06")))
    expected = list(cl.snapshot(shop, query, ctx) or ())[:5]
    assert expected
    use_plan(monkeypatch, "exists")  # as if the tag were big
    plan = cl._select(shop, query, ctx, "c.id", ordered=True, limit=5)
    assert plan.tentative and " INDEXED BY " in plan.sql
    ran: list[str] = []
    shop.set_trace_callback(ran.append)
    # Every few steps of SQLite sleep a little: the walk outlasts its (tiny) time.
    shop.set_progress_handler(lambda: time.sleep(0.0002) or 0, 1)
    monkeypatch.setattr(cl, "WALK_TRY", 0.001)
    try:
        assert cl.first_page(shop, query, ctx, limit=5) == expected
    finally:
        shop.set_progress_handler(None, 0)
        shop.set_trace_callback(None)
    walks = [sql for sql in ran if "json_group_array" in sql]
    assert " INDEXED BY " in walks[0] and " INDEXED BY " not in walks[-1]


def test_customers_holding_any_tag_and_none(shop: sqlite3.Connection) -> None:
    ctx = ListContext.load(shop)
    ids = customer_ids(shop)
    book(
        shop,
        [
            (ids[0], "inspection", None),
            (ids[0], "complaint", "2026-12-01"),
            (ids[1], "sms-sent", TODAY.isoformat()),  # its last day
            (ids[2], "sms-sent", day(-1)),  # expired yesterday
        ],
    )
    holders = {ids[0], ids[1]}
    for text, expected in (('!""', holders), ('""', set(ids) - holders)):
        query = CustomerQuery(filters=(("tags", text),))
        every = list(cl.snapshot(shop, query, ctx) or ())
        assert set(every) == expected and len(every) == len(expected), text
        assert cl.count(shop, query, ctx) == len(expected), text
        assert cl.first_page(shop, query, ctx, limit=3) == every[:3], text
