"""The tag catalogue, tags on customers, the tag filters and the automatic tags."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_tui import clock, customers, tags
from retention_tui import customer_list as cl
from retention_tui.agenda import FOLLOW_UP, agenda
from retention_tui.customer_list import CustomerQuery, FilterError, ListContext
from retention_tui.db import open_database
from retention_tui.errors import RetentionError
from tag_data import SEED_FILTERS, book


@pytest.fixture
def desk(desk_db: Path) -> Iterator[sqlite3.Connection]:
    conn = open_database(desk_db)
    book(conn)
    yield conn
    conn.close()


def found(conn: sqlite3.Connection, *filters: tuple[str, str]) -> set[int]:
    ctx = ListContext.load(conn)
    query = CustomerQuery(filters=filters)
    ids = cl.snapshot(conn, query, ctx)
    assert ids is not None
    assert cl.count(conn, query, ctx) == len(ids)
    return set(ids)


def test_about_25_built_in_tags_in_groups(conn: sqlite3.Connection) -> None:
    catalogue = tags.catalogue(conn)
    assert len(catalogue) == 25
    assert {t.group for t in catalogue} <= set(tags.GROUPS)
    interest = tags.tag(conn, "Purchase interest")
    assert (interest.code, interest.valid_days, interest.graded) == ("purchase-interest", 180, True)
    assert {t.code for t in catalogue if t.automatic} == {
        "sms-sent", "email-sent", "letter-sent", "dunned", "complaint"
    }  # fmt: skip


@pytest.mark.parametrize("name", list(SEED_FILTERS))
def test_each_seed_example_is_one_filter_line(desk: sqlite3.Connection, name: str) -> None:
    filters, expected = SEED_FILTERS[name]
    assert found(desk, *filters) == expected


def test_the_seed_examples_are_ready_made_views(desk: sqlite3.Connection) -> None:
    views = dict(cl.saved_views(desk))
    expected = {  # today is 2026-11-23
        "Tags: inspection customers not seen for a year": {2},  # C001 came in October
        "Tags: customers with a complaint": {4},  # C006's ended in June
        "Tags: a test ride in the last six months": {3},  # C001's was in February
        "Tags: bought a vehicle here, no workshop visit since": {4, 6},
    }
    assert {name: found(desk, *views[name].filters) for name in expected} == expected
    assert views["Tags: inspection customers not seen for a year"].sort == "last_visit"


def test_grades_follow_ups_negation_and_several_terms(desk: sqlite3.Connection) -> None:
    assert found(desk, ("tags", "test-ride grade:1..2")) == {1}
    assert found(desk, ("tags", "test-ride grade:2-4")) == {3}
    assert found(desk, ("tags", "inspection follow-up")) == {2}  # 3's has expired
    assert found(desk, ("tags", "test-ride follow-up:none")) == {1, 6}
    assert found(desk, ("tags", "inspection & test-ride")) == {1}
    assert found(desk, ("tags", "inspection,complaint")) == {1, 2, 4}
    assert found(desk, ("tags", "!inspection")) == {3, 4, 5, 6}
    assert found(desk, ("tags", "Test ride")) == {1, 3, 6}  # the label works too
    assert found(desk, ("tags", '""')) == set()  # everybody holds a valid tag
    assert found(desk, ("tags", "bought-here"), ("city", "Zeist")) == {6}


def test_expiry_at_its_boundary_day(desk: sqlite3.Connection) -> None:
    assert found(desk, ("tags", "tyre-storage")) == {5}  # valid until today
    clock.set_today(dt.date(2026, 11, 24))
    assert found(desk, ("tags", "tyre-storage")) == set()
    shown = [t for t in tags.of_customer(desk, 5) if t.code == "tyre-storage"]
    assert shown and not shown[0].valid_on(clock.today())  # still on the card, expired


def test_an_unknown_tag_or_word_is_explained(desk: sqlite3.Connection) -> None:
    with pytest.raises(FilterError, match="Did you mean: inspection"):
        found(desk, ("tags", "inspektion"))
    with pytest.raises(FilterError, match="'soon' is not understood"):
        found(desk, ("tags", "inspection soon"))
    with pytest.raises(FilterError, match="not a date"):
        found(desk, ("tags", "test-ride set:spring"))


def test_tagging_again_refreshes_and_a_list_is_tagged_at_once(desk: sqlite3.Connection) -> None:
    added = tags.add(desk, [1, 2, 3], tags.Tagging("inspection", note="spring mailing"))
    assert added == 1  # 1 and 2 hold it already; 3's had expired
    rows = desk.execute(
        "SELECT customer_id, count(*) FROM customer_tags WHERE tag_id = (SELECT id FROM tags"
        " WHERE code = 'inspection') GROUP BY customer_id ORDER BY 1"
    ).fetchall()
    assert rows == [(1, 1), (2, 1), (3, 2)]
    first = next(t for t in tags.of_customer(desk, 1) if t.code == "inspection")
    assert (first.grade, first.note, first.set_on) == (2, "spring mailing", "2026-11-23")
    actions = desk.execute(
        "SELECT action, count(*) FROM audit WHERE entity = 'tags' GROUP BY action ORDER BY 1"
    ).fetchall()
    assert actions == [("add tag", 12 + 1), ("refresh tag", 2)]  # 12 booked by the fixture


def test_grades_and_retired_tags_are_checked(desk: sqlite3.Connection) -> None:
    with pytest.raises(RetentionError, match="takes no grade"):
        tags.add(desk, [1], tags.Tagging("tyre-storage", grade=2))
    with pytest.raises(RetentionError, match="from 1"):
        tags.add(desk, [1], tags.Tagging("complaint", grade=7))
    tags.add_to_catalogue(desk, "track-day", "Track day", group="interest", valid_days=90)
    assert tags.retire(desk, "track-day") == "deleted"  # never used
    assert tags.retire(desk, "test-ride") == "retired"
    with pytest.raises(RetentionError, match="retired"):
        tags.add(desk, [2], tags.Tagging("test-ride"))
    assert found(desk, ("tags", "test-ride")) == {1, 3, 6}  # what was booked still counts
    assert "test-ride" not in {t.code for t in tags.catalogue(desk, include_retired=False)}


def test_end_remove_and_follow_up(desk: sqlite3.Connection) -> None:
    today = clock.today()
    due = agenda(desk, today, "nobody")  # not C003's inspection: it expired yesterday
    assert [(f.customer_no, f.what, f.mine) for f in due] == [
        ("C002", "Inspection customer", False),
        ("C003", "Test ride", False),
    ]
    mine = agenda(desk, today, "Anke")  # her customer first, though due later
    assert [(f.customer_no, f.mine) for f in mine] == [("C003", True), ("C002", False)]
    assert [f.mine for f in agenda(desk, today, "tester")] == [True, True]  # booked them
    assert {f.kind for f in due} == {FOLLOW_UP}
    tags.set_follow_up(desk, due[0].customer_tag_id, None)  # done
    tags.set_follow_up(desk, due[1].customer_tag_id, dt.date(2026, 12, 1))  # later
    assert agenda(desk, today, "nobody") == []
    assert len(agenda(desk, dt.date(2026, 12, 1), "nobody")) == 2  # C006's and the moved one
    ride = next(t for t in tags.of_customer(desk, 1) if t.code == "test-ride")
    tags.end(desk, ride.id)
    assert found(desk, ("tags", "test-ride")) == {3, 6}
    tags.remove(desk, ride.id)
    assert all(t.code != "test-ride" for t in tags.of_customer(desk, 1))


def test_a_traffic_light_for_money_owed_books_dunned(desk: sqlite3.Connection) -> None:
    customers.set_traffic_light(desk, 2, "red", "2 invoices overdue")
    customers.set_traffic_light(desk, 3, "green", "complaint resolved")  # green books nothing
    customers.set_traffic_light(desk, 6, "yellow", "Offene Reklamation")
    assert found(desk, ("tags", "dunned")) == {2}
    assert found(desk, ("tags", "complaint")) == {4, 6}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # the test resets it
@given(
    set_on=st.dates(dt.date(2024, 1, 1), dt.date(2026, 11, 23)),
    days=st.integers(0, 800),
    later=st.integers(0, 900),
)
def test_a_tag_counts_exactly_until_its_last_day(
    desk_db: Path, set_on: dt.date, days: int, later: int
) -> None:
    conn = open_database(desk_db)
    clock.set_today(set_on)
    try:
        conn.execute("DELETE FROM customer_tags")
        conn.commit()
        until = set_on + dt.timedelta(days=days)
        tags.add(conn, [1], tags.Tagging("fleet", set_on=set_on, valid_until=until))
        clock.set_today(set_on + dt.timedelta(days=later))
        assert (found(conn, ("tags", "fleet")) == {1}) == (until >= clock.today())
    finally:
        conn.close()


def test_a_sent_message_books_its_tag_through_the_hook(desk: sqlite3.Connection) -> None:
    from retention_tui.db import write

    for channel in ("sms", "email", "letter"):
        with write(desk):
            tags.book_automatic(desk, [1, 2], tags.SENT_TAGS[channel], "we miss you")
    assert found(desk, ("tags", "sms-sent & email-sent & letter-sent")) == {1, 2}
    sent = [t for t in tags.of_customer(desk, 1) if t.code == "sms-sent"]
    assert [(t.set_on, t.valid_until, t.note) for t in sent] == [
        ("2026-11-23", "2027-11-23", "we miss you")
    ]


def test_only_managers_change_the_catalogue_everyone_tags(desk: sqlite3.Connection) -> None:
    from retention_tui import settings

    settings.put(desk, "managers", ["boss"])
    for change in (
        lambda: tags.add_to_catalogue(desk, "track-day", "Track day"),
        lambda: tags.change_in_catalogue(desk, "inspection", label="MOT customer"),
        lambda: tags.retire(desk, "touring"),
    ):
        with pytest.raises(RetentionError, match=r"manager's task\. tester is not"):
            change()
    assert tags.add(desk, [5], tags.Tagging("touring")) == 1  # tagging is everyone's work
    settings.put(desk, "managers", ["boss", "tester"])
    assert tags.retire(desk, "touring") == "retired"
