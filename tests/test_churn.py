"""Departures: one reason per normalised text, the recorded status, the audit trail."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from retention_tui import churn
from retention_tui.db import open_database, write
from retention_tui.errors import RetentionError


@pytest.fixture
def desk(desk_db: Path) -> sqlite3.Connection:
    conn = open_database(desk_db)
    yield conn
    conn.close()


def test_variants_of_one_reason_are_one_reason(desk: sqlite3.Connection) -> None:
    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive!")
    churn.record_departure(desk, 2, dt.date(2026, 11, 2), "  too   EXPENSIVE ")
    churn.record_departure(desk, 3, dt.date(2026, 11, 3), "Moved away", status="moved away")
    reasons = desk.execute("SELECT label, normalized FROM churn_reasons ORDER BY id").fetchall()
    assert reasons == [("Too expensive!", "too expensive"), ("Moved away", "moved away")]
    statuses = desk.execute("SELECT id, recorded_status FROM customers WHERE id <= 3").fetchall()
    assert statuses == [(1, "confirmed lost"), (2, "confirmed lost"), (3, "moved away")]
    actions = [a for (a,) in desk.execute("SELECT action FROM audit ORDER BY id")]
    assert actions.count("record departure") == 3 and actions.count("add reason") == 2


def test_bad_departures_are_sentences_and_change_nothing(desk: sqlite3.Connection) -> None:
    with pytest.raises(RetentionError, match="future"):
        churn.record_departure(desk, 1, dt.date(2026, 12, 1), "Too expensive")
    with pytest.raises(RetentionError, match="reason"):
        churn.record_departure(desk, 1, dt.date(2026, 11, 1), " !? ")
    with pytest.raises(RetentionError, match="does not exist"):
        churn.record_departure(desk, 99, dt.date(2026, 11, 1), "Too expensive")
    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive")
    with pytest.raises(RetentionError, match="already recorded"):
        churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Other reason")
    assert desk.execute("SELECT count(*) FROM departures").fetchone() == (1,)
    assert desk.execute("SELECT count(*) FROM churn_reasons").fetchone() == (1,)


def test_clusters_group_variants_and_keep_other_meanings_apart(
    desk: sqlite3.Connection,
) -> None:
    from retention_tui import reasons

    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive")
    churn.record_departure(desk, 2, dt.date(2026, 11, 2), "Too expensive")
    churn.record_departure(desk, 3, dt.date(2026, 11, 3), "too expensiv")
    churn.record_departure(desk, 4, dt.date(2026, 11, 4), "expensive, too")
    churn.record_departure(desk, 5, dt.date(2026, 11, 5), "Not too expensive")
    churn.record_departure(desk, 6, dt.date(2026, 11, 6), "Moved away")
    groups = reasons.clusters(desk)
    assert [[u.label for u in g] for g in groups] == [
        ["Too expensive", "too expensiv", "expensive, too"]
    ]
    assert groups[0][0].uses == 2  # the most used survives


def test_merge_moves_departures_keeps_aliases_and_audits(desk: sqlite3.Connection) -> None:
    from retention_tui import reasons

    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive")
    churn.record_departure(desk, 2, dt.date(2026, 11, 2), "too expensiv")
    churn.record_departure(desk, 3, dt.date(2026, 11, 3), "Prices too high")
    ids = dict(desk.execute("SELECT label, id FROM churn_reasons"))
    moved = reasons.merge(desk, ids["Too expensive"], [ids["too expensiv"], ids["Prices too high"]])
    assert moved == 2
    assert desk.execute("SELECT DISTINCT reason_id FROM departures").fetchall() == [
        (ids["Too expensive"],)
    ]
    assert [u.label for u in reasons.reason_uses(desk)] == ["Too expensive"]
    # The old names lead to the survivor: typed again, suggested, or recorded.
    found = reasons.suggest(desk, "prices too high", typing=False)
    assert found[0].label == "Too expensive" and found[0].takes
    churn.record_departure(desk, 4, dt.date(2026, 11, 4), "Prices too high!")
    assert desk.execute("SELECT reason_id FROM departures WHERE customer_id = 4").fetchone() == (
        ids["Too expensive"],
    )
    (old, new) = desk.execute(
        "SELECT old_value, new_value FROM audit WHERE action = 'merge reasons'"
    ).fetchone()
    assert "too expensiv" in old and "Prices too high" in old and "Too expensive" in new
    with pytest.raises(RetentionError, match="merged already"):
        reasons.merge(desk, ids["Too expensive"], [ids["too expensiv"]])


def test_import_departures_matches_reasons_like_the_form(
    desk: sqlite3.Connection, tmp_path: Path
) -> None:
    from retention_tui.db import write
    from retention_tui.importer import import_file

    with write(desk):
        churn.reason_id(desk, "Too expensive")
    path = tmp_path / "departures.csv"
    path.write_text(
        "customer_no,date,reason,note\n"
        "C001,2026-10-01,too expensiv,old system\n"
        "C002,2026-09-15,Moved to Spain,\n"
        "C003,2026-08-01,TOO EXPENSIVE!,\n",
        encoding="utf-8",
    )
    result = import_file(desk, "departures", path)
    assert result.written and not result.rejected
    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    lines = result.report_lines()
    assert "New reason: Moved to Spain" in lines
    assert "'too expensiv' joined the reason 'Too expensive'" in lines
    rows = desk.execute(
        "SELECT c.customer_no, r.label, c.recorded_status FROM departures d"
        " JOIN churn_reasons r ON r.id = d.reason_id JOIN customers c ON c.id = d.customer_id"
        " ORDER BY c.customer_no"
    ).fetchall()
    assert rows == [
        ("C001", "Too expensive", "confirmed lost"),
        ("C002", "Moved to Spain", "confirmed lost"),
        ("C003", "Too expensive", "confirmed lost"),
    ]
    again = import_file(desk, "departures", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_no,date,reason\nC004,2026-10-01,Too expensive\nC999,2026-10-01,x\n"
        "C005,2026-13-01,Too expensive\nC006,2026-10-01,\n",
        encoding="utf-8",
    )
    refused = import_file(desk, "departures", bad)
    assert not refused.written
    assert [r.line for r in refused.rejected] == [3, 4, 5]
    assert desk.execute("SELECT count(*) FROM departures").fetchone() == (3,)


def test_departed_report_by_reason_period_and_segment(desk: sqlite3.Connection) -> None:
    from retention_tui.months import Month

    churn.record_departure(desk, 1, dt.date(2026, 10, 1), "Too expensive")  # VW Golf, Anke
    churn.record_departure(desk, 2, dt.date(2026, 10, 5), "too expensive!")  # Opel, Bernd
    churn.record_departure(desk, 3, dt.date(2026, 11, 2), "Moved away")  # VW Golf, Anke
    churn.record_departure(desk, 5, dt.date(2025, 12, 2), "Moved away")  # Mercedes, Carla
    rows = churn.departed_report(desk)
    assert [(r.group, r.departures, round(r.share, 2)) for r in rows] == [
        ("Moved away", 2, 0.5),
        ("Too expensive", 2, 0.5),
    ]
    in_2026 = churn.departed_report(desk, Month(2026, 1), Month(2026, 12))
    assert [(r.group, r.departures) for r in in_2026] == [
        ("Too expensive", 2),
        ("Moved away", 1),
    ]
    by_month = churn.departed_report(desk, by="month")
    assert [(r.group, r.departures) for r in by_month] == [
        ("2025-12", 1),
        ("2026-10", 2),
        ("2026-11", 1),
    ]
    assert [(r.group, r.departures) for r in churn.departed_report(desk, by="quarter")] == [
        ("2025-Q4", 1),
        ("2026-Q4", 3),
    ]
    vw = churn.departed_report(desk, brand="volkswagen", by="advisor")
    assert [(r.group, r.departures) for r in vw] == [("Anke", 2)]
    top_model = churn.departed_report(desk, by="model")[0]
    assert (top_model.group, top_model.departures) == ("Volkswagen Golf", 2)
    with pytest.raises(RetentionError):
        churn.departed_report(desk, by="colour")


def test_rename_keeps_the_old_name_and_retire_hides(desk: sqlite3.Connection) -> None:
    from retention_tui import reasons

    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "To expensive")
    (rid,) = desk.execute("SELECT id FROM churn_reasons").fetchone()
    reasons.rename(desk, rid, "Too expensive")
    assert reasons.suggest(desk, "to expensive", typing=False)[0].label == "Too expensive"
    with write(desk):
        assert churn.reason_id(desk, "To expensive!") == rid
    with write(desk):
        other = churn.reason_id(desk, "Moved away")
    with pytest.raises(RetentionError, match="merge"):
        reasons.rename(desk, other, "too expensive")
    reasons.retire(desk, rid)
    assert reasons.suggest(desk, "too expensive", typing=False) == []
    assert desk.execute(
        "SELECT count(*) FROM departures WHERE reason_id = ?", (rid,)
    ).fetchone() == (1,)
    reasons.retire(desk, rid, False)
    assert reasons.suggest(desk, "too expensive", typing=False)[0].takes
    actions = [a for (a,) in desk.execute("SELECT action FROM audit")]
    assert {"rename reason", "retire reason", "offer reason again"} <= set(actions)


def test_the_customers_behind_a_departed_count(desk: sqlite3.Connection) -> None:
    from retention_tui import customer_list as cl
    from retention_tui.months import Month

    churn.record_departure(desk, 1, dt.date(2026, 10, 1), "Too expensive")
    churn.record_departure(desk, 2, dt.date(2026, 10, 5), "too expensive!")
    churn.record_departure(desk, 3, dt.date(2026, 11, 2), "Moved away")
    ctx = cl.ListContext(dt.date(2026, 11, 23))
    scope = ("departed", "reason", "Too expensive", Month(2026, 1).index, Month(2026, 12).index)
    ids = cl.snapshot(desk, cl.CustomerQuery(scope=scope), ctx)
    assert sorted(ids or []) == [1, 2]
    by_advisor = ("departed", "advisor", "Anke", None, None)
    assert sorted(cl.snapshot(desk, cl.CustomerQuery(scope=by_advisor), ctx) or []) == [1, 3]


def test_churn_statistics_against_hand_counts(desk: sqlite3.Connection) -> None:
    # Desk: C001 active (Golf, Anke), C002 lapsed 17 months (Opel, Bernd), C003 lapsed
    # 7 months (Golf, Anke), C005 lapsed 34 months + moved away (Mercedes, Carla), C006
    # active (Toyota, Anke); C004 never came (not counted).
    with write(desk):
        desk.execute("UPDATE visits SET amount = 100")
        desk.execute(
            "INSERT INTO calls (customer_id, operator, called_at, outcome)"
            " VALUES (2, 'anke', '2026-01-10 10:00:00', 'no answer')"
        )
    churn.record_departure(desk, 3, dt.date(2026, 11, 1), "Too expensive")  # confirmed lost

    def table(by: str) -> dict[str, tuple[int, int, float]]:
        return {
            r.group: (r.customers, r.lapsed, r.value_lost) for r in churn.churn_statistics(desk, by)
        }

    assert table("brand") == {
        "Volkswagen": (2, 1, 100.0),
        "Opel": (1, 1, 100.0),
        "Mercedes-Benz": (1, 1, 100.0),
        "Toyota": (1, 0, 0.0),
    }
    assert table("advisor") == {
        "Anke": (3, 1, 100.0),
        "Bernd": (1, 1, 100.0),
        "Carla": (1, 1, 100.0),
    }
    assert table("outcome") == {
        "confirmed lost": (1, 1, 100.0),
        "not reachable": (1, 1, 100.0),
        "not contacted": (1, 1, 100.0),
        "returned": (1, 0, 0.0),  # C001: a year away, back in 2026-11
    }
    # Lapsed six months after the last visit: C005 2024-07, C002 2025-12, C003 2026-10.
    assert list(table("month")) == ["2024-07", "2025-12", "2026-10"]
    shares = {r.group: round(r.share, 2) for r in churn.churn_statistics(desk, "brand")}
    assert shares["Volkswagen"] == 0.5
    with pytest.raises(RetentionError):
        churn.churn_statistics(desk, "colour")


def test_retention_per_advisor_and_average_invoice(desk: sqlite3.Connection) -> None:
    from retention_tui.months import Month

    with write(desk):
        desk.execute("UPDATE visits SET advisor = 'Anke', amount = 100")
        desk.execute("UPDATE visits SET amount = 200 WHERE customer_id = 6")
    # Served 2024-11-24 .. 2025-11-23: C001 (2025-11-20, back 2026-11-01) and C002
    # (2025-06-15, never back).
    (anke,) = churn.retention_per_advisor(desk, 12)
    assert (anke.advisor, anke.served, anke.came_back, anke.share) == ("Anke", 2, 1, 0.5)
    years = {(r.period, r.invoices, r.average) for r in churn.average_invoice(desk, "year")}
    assert years == {("2024", 1, 100.0), ("2025", 2, 100.0), ("2026", 5, 160.0)}
    toyota = [
        r
        for r in churn.average_invoice(desk, "quarter", "brand", Month(2026, 7), Month(2026, 12))
        if r.segment == "Toyota"
    ]
    assert [(r.period, r.invoices, r.average) for r in toyota] == [("2026-Q3", 3, 200.0)]
    with pytest.raises(RetentionError):
        churn.average_invoice(desk, "week")


def test_an_import_of_an_old_variant_finds_the_survivor(
    desk: sqlite3.Connection, tmp_path: Path
) -> None:
    from retention_tui import reasons
    from retention_tui.importer import import_file

    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive")
    churn.record_departure(desk, 2, dt.date(2026, 11, 2), "Prices too high")
    ids = dict(desk.execute("SELECT label, id FROM churn_reasons"))
    reasons.merge(desk, ids["Too expensive"], [ids["Prices too high"]])
    path = tmp_path / "old.csv"
    path.write_text("customer_no,date,reason\nC003,2026-10-01,PRICES TOO HIGH\n", encoding="utf-8")
    result = import_file(desk, "departures", path)
    assert result.written and not any(
        line.startswith("New reason") for line in result.report_lines()
    )
    assert desk.execute("SELECT reason_id FROM departures WHERE customer_id = 3").fetchone() == (
        ids["Too expensive"],
    )
