"""Customer-months worked out beside an import (a helper thread and a scratch file) come out
exactly as a full recount of the visits, whichever kind of plan runs."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_tui import customer_months, importer
from retention_tui.db import open_database, write
from retention_tui.facts import refresh_customer_facts
from retention_tui.importer import import_file

TABLES = {
    "customer_months": "SELECT * FROM customer_months ORDER BY customer_id, month",
    "loyalty_counts": "SELECT * FROM loyalty_counts ORDER BY month, kind, gap",
    "month_totals": "SELECT * FROM month_totals ORDER BY month",
}


def derived(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}


def recounted(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """The derived tables as a full rebuild from the visits makes them (rolled back)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        customer_months.rebuild(conn)
        return derived(conn)
    finally:
        conn.execute("ROLLBACK")


def seed(path: Path, customers: int, visits: list[tuple[int, str, int]]) -> sqlite3.Connection:
    conn = open_database(path)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, ?, '', '')",
            [(i, f"K{i:05d}", f"Customer {i}") for i in range(1, customers + 1)],
        )
        conn.executemany(
            "INSERT INTO visits (invoice_no, customer_id, date, mot) VALUES (?, ?, ?, ?)",
            [(f"OLD{i}", c, d, m) for i, (c, d, m) in enumerate(visits)],
        )
        refresh_customer_facts(conn)
    return conn


def apply_planned(
    conn: sqlite3.Connection, path: Path, new: list[tuple[int, str, int]], *, rewrite: bool
) -> None:
    """Add visits the way a big import does: plan beside, then copy in one transaction."""
    scratch = customer_months.scratch_file(conn)
    assert scratch is not None and scratch.parent == path.parent
    rows = [(c, d, m, 0) for c, d, m in new]
    try:
        with write(conn, attach=(customer_months.SCRATCH, str(scratch))):
            start = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
            conn.executemany(
                "INSERT INTO visits (invoice_no, customer_id, date, mot) VALUES (?, ?, ?, ?)",
                [(f"NEW{start + i}", c, d, m) for i, (c, d, m) in enumerate(new)],
            )
            plan = customer_months.plan_additions(str(path), str(scratch), rows, rewrite=rewrite)
            customer_months.apply_plan(conn, plan)
    finally:
        scratch.unlink()


DATES = st.dates(dt.date(2022, 1, 1), dt.date(2026, 11, 23)).map(dt.date.isoformat)
VISITS = st.lists(st.tuples(st.integers(1, 8), DATES, st.integers(0, 1)), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(old=VISITS, new=VISITS.filter(bool), rewrite=st.booleans())
def test_a_plan_gives_what_a_recount_gives(
    tmp_path_factory: pytest.TempPathFactory,
    old: list[tuple[int, str, int]],
    new: list[tuple[int, str, int]],
    rewrite: bool,
) -> None:
    path = tmp_path_factory.mktemp("plan") / "plan.db"
    conn = seed(path, 8, old)
    apply_planned(conn, path, new, rewrite=rewrite)
    assert derived(conn) == recounted(conn)
    assert conn.execute("SELECT count(*) FROM loyalty_counts WHERE customers <= 0").fetchone() == (
        0,
    )


def test_the_scratch_file_is_attached_without_its_write_lock(tmp_path: Path) -> None:
    """The helper writes the scratch file while the import's transaction holds the database."""
    conn = seed(tmp_path / "lock.db", 2, [(1, "2025-01-10", 0)])
    scratch = customer_months.scratch_file(conn)
    assert scratch is not None
    with write(conn, attach=(customer_months.SCRATCH, str(scratch))):
        other = open_database(tmp_path / "lock.db")
        with pytest.raises(sqlite3.OperationalError):  # the database itself is locked
            other.execute("PRAGMA busy_timeout = 0")
            other.execute("BEGIN IMMEDIATE")
        helper = sqlite3.connect(scratch, isolation_level=None)
        helper.execute("CREATE TABLE t (x)")  # the scratch file is not
        helper.close()
    assert [row[1] for row in conn.execute("PRAGMA database_list")] == ["main", "temp"]
    scratch.unlink()


def test_a_big_import_plans_beside_and_matches_a_recount(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "PLAN_MONTHS_FROM", 50)

    def no_recount(*_args: object) -> None:
        raise AssertionError("the import recounted instead of using its plan")

    rng = random.Random(5)
    old = [(rng.randrange(1, 41), f"2024-{rng.randrange(1, 13):02d}-03", 0) for _ in range(150)]
    conn = seed(tmp_path / "imp.db", 40, old)
    for name, customers in (("few", range(1, 4)), ("many", range(1, 41))):
        csv_path = tmp_path / f"{name}.csv"
        lines = ["invoice_no,customer_no,date,mot"]
        lines += [
            f"{name}{i},K{rng.choice(customers):05d},2026-{rng.randrange(1, 11):02d}-1{i % 10},"
            f"{i % 2}"
            for i in range(120)
        ]
        csv_path.write_text("\n".join(lines) + "\n")
        with monkeypatch.context() as patch:
            patch.setattr(customer_months, "refresh", no_recount)
            patch.setattr(customer_months, "rebuild", no_recount)
            result = import_file(conn, "visits", csv_path)
        assert result.inserted == 120 and not result.rejected
        assert derived(conn) == recounted(conn)
    # The scratch files are gone.
    assert sorted(p.name for p in tmp_path.iterdir() if "months" in p.name) == []


def test_a_plan_that_fails_is_recounted_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper that cannot write its scratch file costs time, not correctness."""
    monkeypatch.setattr(importer, "PLAN_MONTHS_FROM", 10)
    conn = seed(tmp_path / "fail.db", 5, [(1, "2024-03-03", 0), (2, "2024-05-05", 1)])
    made = customer_months.scratch_file

    def spoiled(conn: sqlite3.Connection) -> Path | None:
        path = made(conn)
        assert path is not None
        with sqlite3.connect(path) as taken:  # the helper's table name is already taken
            taken.execute("CREATE TABLE gone (x)")
        return path

    monkeypatch.setattr(customer_months, "scratch_file", spoiled)
    csv_path = tmp_path / "v.csv"
    csv_path.write_text(
        "invoice_no,customer_no,date\n"
        + "".join(f"N{i},K{i % 5 + 1:05d},2026-0{i % 9 + 1}-02\n" for i in range(30))
    )
    recounts = []
    refresh = customer_months.refresh
    monkeypatch.setattr(
        customer_months, "refresh", lambda *args: recounts.append(1) or refresh(*args)
    )
    result = import_file(conn, "visits", csv_path)
    assert result.inserted == 30
    assert recounts == [1]
    assert derived(conn) == recounted(conn)
