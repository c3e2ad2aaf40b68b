"""Demo data: deterministic, realistic, derived facts right, never over real data."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from retention_tui.db import open_database, write
from retention_tui.demo import build_demo, is_current_demo
from retention_tui.errors import RetentionError
from retention_tui.facts import refresh_customer_facts
from retention_tui.reasons import normalize_reason

TABLES = (
    "customers",
    "vehicles",
    "visits",
    "traffic_light_history",
    "nps_scores",
    "churn_reasons",
    "departures",
    "campaign_templates",
    "campaigns",
    "campaign_members",
    "calls",
    "settings",
)


def digest(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    out = {}
    for table in TABLES:
        h = hashlib.sha256()
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"):
            h.update(repr(row).encode())
        out[table] = h.hexdigest()
    conn.close()
    return out


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from retention_tui import clock

    clock.set_today(dt.date(2026, 11, 23))
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, customers=1500, seed=5)
    return path


def test_same_seed_same_data_other_seed_other_data(demo_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.db"
    summary = build_demo(again, customers=1500, seed=5)
    assert summary.customers == 1500 and summary.visits > 4000
    assert digest(again) == digest(demo_db)
    other = tmp_path / "other.db"
    build_demo(other, customers=1500, seed=6)
    assert digest(other)["visits"] != digest(demo_db)["visits"]


def test_data_looks_like_a_workshop(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
    first, last, visits = one("SELECT min(date), max(date), count(*) FROM visits")
    assert last <= "2026-11-23" and first < "2015-01-01" and first >= "2014-11-01"
    assert 3 <= visits / 1500 <= 12
    assert {r[0] for r in conn.execute("SELECT DISTINCT country FROM customers")} == {
        "NL",
        "DE",
        "IT",
    }
    # MOT samples only on MOT visits, and a few of them.
    assert one("SELECT count(*) FROM visits WHERE mot_sample AND NOT mot")[0] == 0
    mots, samples = one("SELECT sum(mot), sum(mot_sample) FROM visits")
    assert 0 < samples < mots * 0.1
    # Passers-by: one visit, a postcode outside the workshop's area.
    passers = one(
        "SELECT count(*) FROM customers WHERE visit_count = 1 AND country = 'NL'"
        " AND substr(postcode, 1, 2) NOT IN ('34', '35', '37', '39')"
    )[0]
    assert passers > 10
    # Every departure's customer carries a recorded status.
    assert (
        one(
            "SELECT count(*) FROM departures d JOIN customers c ON c.id = d.customer_id"
            " WHERE c.recorded_status IS NULL"
        )[0]
        == 0
    )
    assert one("SELECT count(*) FROM departures")[0] > 20
    # Near-duplicate reasons exist and are distinct after normalisation.
    labels = [r[0] for r in conn.execute("SELECT label FROM churn_reasons")]
    assert "Too expensive" in labels and "too expensiv" in labels
    assert len({normalize_reason(label) for label in labels}) == len(labels)
    # Badges have data: lights of every colour, NPS, both campaign kinds with members.
    lights = {r[0] for r in conn.execute("SELECT DISTINCT traffic_light FROM customers")}
    assert lights == {"green", "yellow", "red", "unknown"}
    assert one("SELECT count(*) FROM customers WHERE nps IS NOT NULL")[0] > 100
    kinds = {
        r[0]
        for r in conn.execute(
            "SELECT c.kind FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id"
        )
    }
    assert kinds == {"retention", "caring"}
    assert one("SELECT count(DISTINCT vin) = count(*) FROM vehicles")[0] == 1
    conn.close()


def test_derived_facts_match_the_visits(demo_db: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy.db"
    shutil.copy(demo_db, copy)
    conn = open_database(copy)
    kept = conn.execute("SELECT * FROM customers ORDER BY id").fetchall()
    with write(conn):
        refresh_customer_facts(conn)
    assert conn.execute("SELECT * FROM customers ORDER BY id").fetchall() == kept
    bad = conn.execute(
        "SELECT count(*) FROM customers c JOIN (SELECT customer_id, min(date) f, max(date) l,"
        " count(*) n FROM visits GROUP BY customer_id) a ON a.customer_id = c.id"
        " WHERE c.first_visit != a.f OR c.last_visit != a.l OR c.visit_count != a.n"
    ).fetchone()[0]
    assert bad == 0
    conn.close()


def test_never_overwrites_real_data(tmp_path: Path, data_dir: Path) -> None:
    from retention_tui.importer import import_file

    real = tmp_path / "real.db"
    conn = open_database(real)
    import_file(conn, "customers", data_dir / "customers.csv")
    conn.close()
    with pytest.raises(RetentionError, match="real customer data"):
        build_demo(real, customers=10)
    conn = sqlite3.connect(real)
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 4


def test_never_overwrites_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    with pytest.raises(RetentionError, match="not a database"):
        build_demo(notes, customers=10)
    assert notes.read_text() == "my notes"


def test_is_current_demo(demo_db: Path, tmp_path: Path) -> None:
    from retention_tui import clock

    assert is_current_demo(demo_db, customers=1500, seed=5)
    assert not is_current_demo(demo_db, customers=1500, seed=6)
    assert not is_current_demo(demo_db, customers=1501, seed=5)
    clock.set_today(dt.date(2026, 11, 24))
    assert not is_current_demo(demo_db, customers=1500, seed=5)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"nope" * 100)
    assert not is_current_demo(garbage, customers=1500, seed=5)
    assert not is_current_demo(tmp_path / "missing.db", customers=1500, seed=5)
