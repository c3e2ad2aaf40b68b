"""Campaigns and their queues: templates, members, claims, outcome classes, the queue's
explanation and the script."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from retention_tui import campaigns, clock, customer_list, settings
from retention_tui.db import open_database, write
from retention_tui.errors import RetentionError

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    """Eight customers with a phone, last seen at different times; one without a phone."""
    conn = open_database(tmp_path / "c.db")
    with write(conn):
        for i in range(1, 10):
            conn.execute(
                "INSERT INTO customers (id, customer_no, name, phone, advisor, last_visit,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, 'Anke', ?, '', '')",
                (
                    i,
                    f"K{i}",
                    f"Customer [{i}]",
                    None if i == 9 else f"06-{i:08d}",
                    f"20{10 + i}-03-01",  # K1 was last seen longest ago
                ),
            )
        conn.execute(
            "INSERT INTO vehicles (id, customer_id, plate, plate_key, brand, model, created_at,"
            " updated_at) VALUES (1, 1, 'AB-12-CD', 'AB12CD', 'Volkswagen', 'Golf', '', '')"
        )
        conn.execute("UPDATE customers SET main_vehicle_id = 1 WHERE id = 1")
    return conn


def started(conn: sqlite3.Connection, members: range = range(1, 10), **rules: int) -> int:
    campaign_id = campaigns.new_campaign(conn, "win-back", "Away a year", **rules)
    campaigns.add_members(conn, campaign_id, members, "test")
    campaigns.set_status(conn, campaign_id, "active")
    return campaign_id


def later(days: int) -> None:
    clock.set_today(clock.today() + dt.timedelta(days=days))


def test_six_built_in_templates_and_a_campaign_duplicated_from_one(
    db: sqlite3.Connection,
) -> None:
    keys = [t.key for t in campaigns.templates(db)]
    assert keys[:6] == [
        "win-back", "lapsed-check-in", "mot-due", "post-service", "open-complaint", "we-miss-you",
    ]  # fmt: skip
    assert all("{name}" in t.script for t in campaigns.templates(db))
    campaign_id = campaigns.new_campaign(db, "mot-due", "  MOT   November ", offer="Free wash")
    made = campaigns.campaign(db, campaign_id)
    assert (made.name, made.kind, made.status, made.offer) == (
        "MOT November", "caring", "draft", "Free wash",
    )  # fmt: skip
    assert (made.starts_on, made.ends_on) == ("2026-11-23", "2026-12-23")  # 30 days
    with pytest.raises(RetentionError, match=r"no template 'nope'.*win-back"):
        campaigns.new_campaign(db, "nope", "x")
    key = campaigns.save_as_template(db, campaign_id, "MOT with a wash")
    assert key == "mot-with-a-wash"
    assert campaigns.template(db, key).offer == "Free wash"
    with pytest.raises(RetentionError, match="exists already"):
        campaigns.save_as_template(db, campaign_id, "MOT with a wash")


def test_members_duplicates_ignored_and_badges_only_while_active(db: sqlite3.Connection) -> None:
    campaign_id = campaigns.new_campaign(db, "win-back", "Away")
    assert campaigns.add_members(db, campaign_id, [1, 2, 2, 3], "test") == 3
    assert campaigns.add_members(db, campaign_id, [3, 4], "test") == 1

    def flagged() -> set[str]:
        query = customer_list.CustomerQuery().with_filter("retention", "on")
        ctx = customer_list.ListContext.load(db)
        ids = customer_list.snapshot(db, query, ctx) or []
        return {f"K{i}" for i in ids}

    assert flagged() == set()  # a draft gives no badge
    campaigns.set_status(db, campaign_id, "active")
    assert flagged() == {"K1", "K2", "K3", "K4"}
    assert campaigns.remove_members(db, campaign_id, [4]) == 1
    assert flagged() == {"K1", "K2", "K3"}
    campaigns.set_status(db, campaign_id, "closed")
    assert flagged() == set()
    with pytest.raises(RetentionError, match="closed"):
        campaigns.add_members(db, campaign_id, [5], "test")


def test_a_draft_has_no_queue(db: sqlite3.Connection) -> None:
    campaign_id = campaigns.new_campaign(db, "win-back", "Away")
    campaigns.add_members(db, campaign_id, [1], "test")
    with pytest.raises(RetentionError, match="draft: activate it first"):
        campaigns.claim_next(db, campaign_id, campaigns.new_session())


def test_queue_order_callbacks_then_first_calls_by_oldest_visit_then_retries(
    db: sqlite3.Connection,
) -> None:
    campaign_id = started(db, cooldown_days=2)
    me = campaigns.new_session()
    order = []
    claim = campaigns.claim_next(db, campaign_id, me)
    assert claim is not None and (claim.customer_id, claim.why) == (1, "first call")
    campaigns.log_outcome(db, campaign_id, 1, "no-answer", session=me)
    claim = campaigns.claim_next(db, campaign_id, me)
    assert claim is not None and claim.customer_id == 2
    campaigns.log_outcome(
        db, campaign_id, 2, "callback", session=me,
        callback_at=dt.datetime.combine(TODAY + dt.timedelta(days=3), dt.time(0, 1)),
    )  # fmt: skip
    later(4)  # K1's cool-down is over, K2's callback is due
    while (claim := campaigns.claim_next(db, campaign_id, me)) is not None:
        order.append((claim.customer_id, claim.why))
        campaigns.log_outcome(db, campaign_id, claim.customer_id, "booked", session=me)
    assert order == [
        (2, "callback due"),
        *((i, "first call") for i in range(3, 9)),  # K9 has no phone
        (1, "retry"),
    ]
    state = campaigns.queue_state(db, campaign_id, me)
    assert state["done"] == 8 and state["no phone number"] == 1 and state["ready now"] == 0


def test_two_sessions_never_get_the_same_customer_and_claims_expire(
    db: sqlite3.Connection,
) -> None:
    campaign_id = started(db, members=range(1, 3))
    anke, anke_too, bernd = (campaigns.new_session() for _ in range(3))
    first = campaigns.claim_next(db, campaign_id, anke)
    second = campaigns.claim_next(db, campaign_id, anke_too)  # the same login, a second terminal
    assert first and second and first.customer_id != second.customer_id
    assert campaigns.claim_next(db, campaign_id, bernd) is None
    assert campaigns.queue_state(db, campaign_id, bernd)["claimed by another advisor"] == 2
    with pytest.raises(RetentionError, match="being called by tester in another session"):
        campaigns.log_outcome(db, campaign_id, first.customer_id, "reached", session=bernd)
    campaigns.release(db, anke)
    again = campaigns.claim_next(db, campaign_id, bernd)
    assert again is not None and again.customer_id == first.customer_id
    # An idle claim lapses.
    with write(db):
        settings.put_in_transaction(db, "claim_idle_minutes", 0)
    campaigns.keep_alive(db, anke_too)
    taken = campaigns.claim_next(db, campaign_id, campaigns.new_session())
    assert taken is not None and taken.customer_id == second.customer_id


def test_outcome_classes_move_the_member_on(db: sqlite3.Connection) -> None:
    campaign_id = started(db, max_attempts=2, cooldown_days=3)
    me = campaigns.new_session()

    def log(customer: int, outcome: str, **extra: object) -> campaigns.Logged:
        return campaigns.log_outcome(db, campaign_id, customer, outcome, session=me, **extra)  # type: ignore[arg-type]

    assert log(1, "booked").state == "done"
    assert log(2, "reached").state == "done"
    assert log(3, "already-booked").state == "no further action"
    assert log(4, "not-interested").state == "no further action"
    first = log(5, "voicemail")
    assert first.state == "open" and first.next_call_after is not None
    assert first.next_call_after.startswith("2026-11-26")  # three days of cool-down
    assert log(5, "no-answer").state == "no further action"  # two attempts used up
    assert log(6, "vehicle-sold").state == "never again"
    assert log(7, "do-not-call", nps=2).state == "never again"
    assert log(8, "wrong-number").state == "never again"
    row = db.execute("SELECT recorded_status, nps FROM customers WHERE id = 6").fetchone()
    assert row == ("vehicle sold", None)
    assert campaigns.blocked_channels(db, 7) == {"phone": "asked not to be called"}
    assert db.execute("SELECT nps FROM customers WHERE id = 7").fetchone() == (2,)
    # The do-not-call holds for every campaign.
    other = started(db, members=range(7, 8))
    assert campaigns.queue_state(db, other)["do not contact"] == 1
    calls = db.execute("SELECT count(*) FROM calls WHERE campaign_id = ?", (campaign_id,))
    assert calls.fetchone() == (9,)


def test_bad_entries_are_sentences(db: sqlite3.Connection) -> None:
    campaign_id = started(db)
    me = campaigns.new_session()
    with pytest.raises(RetentionError, match="'maybe' is not a call outcome"):
        campaigns.log_outcome(db, campaign_id, 1, "maybe", session=me)
    with pytest.raises(RetentionError, match="needs a date"):
        campaigns.log_outcome(db, campaign_id, 1, "callback", session=me)
    with pytest.raises(RetentionError, match="has passed"):
        campaigns.log_outcome(
            db, campaign_id, 1, "callback", session=me, callback_at=dt.datetime(2026, 1, 1, 9)
        )
    outsider = campaigns.new_campaign(db, "mot-due", "Other")
    campaigns.set_status(db, outsider, "active")
    with pytest.raises(RetentionError, match="K1 is not a member"):
        campaigns.log_outcome(db, outsider, 1, "reached", session=me)
    with pytest.raises(RetentionError, match="cool-down"):
        campaigns.new_campaign(db, "win-back", "x", cooldown_days=-1)
    assert db.execute("SELECT count(*) FROM calls").fetchone() == (0,)


def test_the_script_is_filled_and_names_stay_literal(db: sqlite3.Connection) -> None:
    campaign_id = started(db)
    values = campaigns.script_values(db, campaign_id, 1)
    text = campaigns.fill(campaigns.campaign(db, campaign_id).script, values)
    assert "Customer [1]" in text and "Volkswagen Golf" in text and "2011-03-01" in text
    assert "{" not in text
    assert values["months_away"] == str((2026 - 2011) * 12 + 8)
    # A value that looks like a placeholder is not filled again; unknown ones stay as typed.
    assert campaigns.fill("{name} {unknown}", {"name": "{offer}", "offer": "x"}) == (
        "{offer} {unknown}"
    )


def test_effectiveness_counts_who_came_back_after_the_call(db: sqlite3.Connection) -> None:
    campaign_id = started(db, members=range(1, 5))
    me = campaigns.new_session()
    campaigns.log_outcome(db, campaign_id, 1, "booked", session=me)
    campaigns.log_outcome(db, campaign_id, 2, "reached", session=me)
    campaigns.log_outcome(db, campaign_id, 3, "no-answer", session=me)
    with write(db):  # K1 came back 10 days after the call, K2 after 50; K5 (in no campaign,
        # last seen in K4's month) came back on its own; K6 was last seen in another month.
        db.executemany(
            "INSERT INTO visits (invoice_no, customer_id, date) VALUES (?, ?, ?)",
            [("A", 1, "2026-12-03"), ("B", 2, "2027-01-12"), ("C", 4, "2014-03-01"),
             ("D", 5, "2014-03-05"), ("E", 5, "2026-12-01"), ("F", 6, "2016-03-01")],
        )  # fmt: skip
    rows = {(r.section, r.name): r for r in campaigns.effectiveness(db, campaign_id)}
    whole = rows[("campaign", "Away a year")]
    assert (whole.members, whole.called, whole.reached, whole.appointments) == (4, 3, 2, 1)
    assert whole.came_back == (1, 2, 2)
    assert whole.conversion == pytest.approx(2 / 3)
    assert rows[("outcome", "appointment booked")].came_back == (1, 1, 1)
    assert rows[("outcome", "not called yet")].members == 1
    assert rows[("advisor", "tester")].called == 3
    comparable = next(r for r in rows.values() if r.section == "comparable")
    assert (comparable.members, comparable.came_back) == (1, (1, 1, 1))


def test_nobody_is_called_whose_status_says_there_is_nobody_to_call(
    db: sqlite3.Connection,
) -> None:
    with write(db):
        db.execute("UPDATE customers SET recorded_status = 'deceased' WHERE id = 1")
        db.execute("UPDATE customers SET recorded_status = 'confirmed lost' WHERE id = 2")
    campaign_id = started(db, members=range(1, 3))
    claim = campaigns.claim_next(db, campaign_id, campaigns.new_session())
    assert claim is not None and claim.customer_id == 2  # a lost customer may be won back
    assert campaigns.queue_state(db, campaign_id)["do not contact"] == 1
