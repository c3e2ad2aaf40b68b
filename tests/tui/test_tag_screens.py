"""Tags on screen, by keys alone: tagging from the card, the call session and a whole list,
the agenda of follow-ups, the catalogue and the trade-in matches, checked in the database."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static

from retention_tui import campaigns, trade_ins
from retention_tui.db import open_database
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.call_session import CallSessionScreen
from retention_tui.tui.screens.card_forms import ConfirmForm
from retention_tui.tui.screens.customer_card import CustomerCardScreen
from retention_tui.tui.screens.desktop import Chip, ScopedListScreen
from retention_tui.tui.screens.home import HomeScreen
from retention_tui.tui.screens.tags import (
    CatalogueEntryForm,
    TagActionsForm,
    TagCatalogueScreen,
    TagForm,
    TradeInScreen,
)
from retention_tui.tui.widgets.customer_table import CustomerTable
from tag_data import book

from .test_app import text_of

SIZE = (120, 40)


async def settle(pilot: Pilot) -> None:
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def tagged(db: Path, code: str) -> list[tuple]:
    return rows(
        db,
        "SELECT c.customer_no, ct.grade, ct.valid_until, ct.follow_up_on, ct.note, ct.operator"
        " FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id"
        " JOIN customers c ON c.id = ct.customer_id WHERE t.code = ? ORDER BY c.customer_no, ct.id",
        code,
    )


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


@pytest.fixture
def booked_db(desk_db: Path) -> Path:
    conn = open_database(desk_db)
    book(conn)
    conn.close()
    return desk_db


async def open_card(pilot: Pilot, number: str) -> CustomerCardScreen:
    await settle(pilot)
    await pilot.press("slash", *number, "escape", "enter")
    await settle(pilot)
    card = pilot.app.screen
    assert isinstance(card, CustomerCardScreen)
    return card


async def test_tag_from_the_card_with_grade_days_and_note(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, "C002")
        await pilot.press("g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TagForm)
        await pilot.press(*"ride")  # narrows the catalogue to Test ride
        await pilot.press("enter")
        assert form.picked is not None and form.picked.code == "test-ride"
        await pilot.press("9", "enter")  # not a grade
        await pilot.press(*"2026-13-01", "enter", "enter", "enter")
        await pilot.press("ctrl+s")
        assert app.screen is form
        error = text_of(form.query_one(".form-error", Static))
        assert "1 (best) to 6" in error
        form.query_one("#tag-grade").value = "2"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        assert app.screen is form  # the day is still wrong
        assert "2026-13-01" in text_of(form.query_one(".form-error", Static))
        form.query_one("#tag-until").value = "+30"  # type: ignore[attr-defined]
        form.query_one("#tag-follow-up").value = "2026-12-01"  # type: ignore[attr-defined]
        form.query_one("#tag-note").value = "liked the [bold]GS[/]"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        assert tagged(desk_db, "test-ride") == [
            ("C002", 2, "2026-12-23", "2026-12-01", "liked the [bold]GS[/]", "tester")
        ]
        table = card.query_one("#table-tags", DataTable)
        assert [str(c) for c in table.get_row_at(0)[:6]] == [
            "Test ride", "2", "2026-11-23", "2026-12-23", "2026-12-01", "liked the [bold]GS[/]"
        ]  # fmt: skip
        assert rows(desk_db, "SELECT action, operator FROM audit WHERE entity = 'tags'") == [
            ("add tag", "tester")
        ]


async def test_expired_tags_stay_on_the_card_greyed_and_can_be_worked(
    app: RetentionApp, booked_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, "C003")
        await pilot.press("right", "right", "right", "right", "right", "right", "right")
        await settle(pilot)
        table = card.query_one("#table-tags", DataTable)
        labels = [str(table.get_row_at(r)[0]) for r in range(table.row_count)]
        assert labels == ["Test ride", "Inspection customer"]  # valid first
        expired = table.get_row_at(1)
        assert str(expired[3]) == "2026-11-22 (expired)" and expired[0].style == "dim"
        table.focus()
        await pilot.press("enter")  # the test ride, whose follow-up is due today
        await settle(pilot)
        assert isinstance(app.screen, TagActionsForm)
        await pilot.press("down", "enter")  # follow up on another day
        await pilot.press(*"+7", "enter")
        await settle(pilot)
        assert app.screen is card
        assert tagged(booked_db, "test-ride")[1][3] == "2026-11-30"
        table.focus()
        await pilot.press("enter", "down", "down", "enter")  # end it today
        await settle(pilot)
        assert tagged(booked_db, "test-ride")[1][2] == "2026-11-22"
        assert [str(table.get_row_at(r)[3]) for r in range(table.row_count)] == [
            "2026-11-22 (expired)", "2026-11-22 (expired)"
        ]  # fmt: skip
        # Removing a booking asks first: one key too many in the menu must not take it.
        row = next(r for r in range(table.row_count)
                   if str(table.get_row_at(r)[0]) == "Inspection customer")  # fmt: skip
        for answer in ("escape", "y"):
            table.focus()
            table.move_cursor(row=row)
            await pilot.press("enter")
            await settle(pilot)
            options = app.screen.query_one(OptionList)
            options.highlighted = options.option_count - 1  # remove it (booked by mistake)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmForm)
            assert "Remove Inspection customer" in str(app.screen.query_one(".form-title").render())
            await pilot.press(answer)
            await settle(pilot)
            assert app.screen is card
            kept = [t for t in tagged(booked_db, "inspection") if t[0] == "C003"]
            assert len(kept) == (1 if answer == "escape" else 0)


async def test_tag_from_the_call_session_in_one_key(app: RetentionApp, desk_db: Path) -> None:
    conn = open_database(desk_db)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Calls today")
    campaigns.add_members(conn, campaign_id, [2], "test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        session = app.screen
        assert isinstance(session, CallSessionScreen)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, TagForm)
        await pilot.press(*"purchase", "enter")
        await pilot.press("enter", "enter", "enter", "enter")  # grade, until, follow-up, note
        await pilot.press(*"BMW", "enter", *"R 1250", "enter", *"2019", "enter")
        await pilot.press(*"40000", "enter", *"15.000", "enter", *"black", "enter")
        await settle(pilot)
        assert app.screen is session
        assert "Tag purchase-interest booked." in text_of(session.query_one("#session-log", Static))
        (wishes,) = rows(desk_db, "SELECT wishes FROM customer_tags")[0]
        assert json.loads(wishes) == {
            "brand": "BMW", "model": "R 1250", "year_from": 2019, "max_mileage": 40000,
            "max_price": 15000.0, "text": "black",
        }  # fmt: skip
        assert tagged(desk_db, "purchase-interest")[0][:3] == ("C002", None, "2027-05-22")
        await pilot.press("r")  # the call goes on as before
        await settle(pilot)
    assert rows(desk_db, "SELECT outcome FROM calls") == [("reached",)]


async def test_tag_a_whole_list_from_the_desktop(app: RetentionApp, booked_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"Utrecht", "escape")
        await settle(pilot)
        assert app.screen.query_one(CustomerTable).row_count == 2
        await pilot.press("g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TagForm)
        # The form names how many customers it will change.
        assert "all 2 customers of this list" in str(form.query_one(".form-title").render())
        await pilot.press(*"inspection", "enter", "enter", "enter", "enter", *"spring", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, TagForm)
        notes = [n.message for n in app._notifications]
        assert "Tag inspection: 0 tagged, 1 refreshed." not in notes
        assert "Tag inspection: 1 tagged, 1 refreshed." in notes  # C001 held it already
    assert [(no, note) for no, *_x, note, _op in tagged(booked_db, "inspection")] == [
        ("C001", "spring"), ("C002", None), ("C003", None), ("C003", "spring")
    ]  # fmt: skip


async def test_the_agenda_lists_follow_ups_and_callbacks_and_works_them(
    app: RetentionApp, booked_db: Path
) -> None:
    conn = open_database(booked_db)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Calls today")
    campaigns.add_members(conn, campaign_id, [6], "test")
    campaigns.set_status(conn, campaign_id, "active")
    session = campaigns.new_session()
    claim = campaigns.claim_next(conn, campaign_id, session)
    assert claim is not None
    campaigns.log_outcome(conn, campaign_id, 6, "callback", session=session,
                          callback_at=dt.datetime(2026, 11, 23, 23, 58))  # fmt: skip
    # Somebody else's follow-up, on somebody else's customer.
    conn.execute("UPDATE customer_tags SET operator = 'Bernd' WHERE customer_id = 2")
    conn.commit()
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        agenda = home.query_one("#home-agenda", DataTable)

        def shown() -> list[tuple[str, ...]]:
            return [
                tuple(str(c) for c in agenda.get_row_at(r)[:3]) for r in range(agenda.row_count)
            ]

        assert shown() == [
            ("2026-11-23 23:58", "Callback: Calls today", "Piet Vaak"),
            ("2026-11-23", "Follow-up: Test ride", "Anna Jansen"),
            ("2026-11-20", "Follow-up: Inspection customer", "Jan de Vries"),
        ]  # mine first (the tester booked them), then Bernd's
        assert "3 due, 2 yours" in str(agenda.border_title)
        await pilot.press("a")
        await settle(pilot)
        assert agenda.row_count == 2
        await pilot.press("a")
        await settle(pilot)
        agenda.focus()
        await pilot.press("d")  # a callback is not marked done here
        assert "log a callback" in list(app._notifications)[-1].message
        await pilot.press("down", "d")  # the follow-up is done
        await settle(pilot)
        assert [r[1] for r in shown()] == [
            "Callback: Calls today",
            "Follow-up: Inspection customer",
        ]
        agenda.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert app.screen.customer_id == 6
    assert rows(
        booked_db,
        "SELECT follow_up_on FROM customer_tags WHERE customer_id = 3"
        " AND tag_id = (SELECT id FROM tags WHERE code = 'test-ride')",
    ) == [(None,)]


async def open_catalogue(pilot: Pilot) -> tuple[TagCatalogueScreen, DataTable]:
    """From the desktop: T; the catalogue screen and its table."""
    await settle(pilot)
    await pilot.press("T")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TagCatalogueScreen)
    return screen, screen.query_one(DataTable)


def catalogue_row(table: DataTable, code: str) -> int:
    return next(r for r in range(table.row_count) if str(table.get_row_at(r)[2]) == code)


async def test_the_catalogue_counts_adds_retires_and_lists_the_customers(
    app: RetentionApp, booked_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_catalogue(pilot)
        uses = {str(table.get_row_at(r)[2]): str(table.get_row_at(r)[1])
                for r in range(table.row_count)}  # fmt: skip
        assert (uses["inspection"], uses["test-ride"], uses["complaint"]) == ("2", "3", "1")
        await pilot.press("n")
        assert isinstance(app.screen, CatalogueEntryForm)
        await settle(pilot)
        names = [str(label.render()) for label in app.screen.query(".field-row > Label")]
        assert names == ["Code", "Label", "Group", "Valid", "Grade"]  # beside each box
        await pilot.press(*"track-day", "enter", *"Track day", "enter")
        await pilot.press(*"interest", "enter", *"90", "enter", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert rows(booked_db, "SELECT label, grp, valid_days, graded FROM tags"
                    " WHERE code = 'track-day'") == [("Track day", "interest", 90, 0)]  # fmt: skip
        row = catalogue_row(table, "test-ride")
        table.move_cursor(row=row)
        await pilot.press("delete")
        await settle(pilot)
        assert "retired" in list(app._notifications)[-1].message
        assert "(retired)" in str(table.get_row_at(row)[0])
        await pilot.press("enter")  # the customers holding it: still counted
        await settle(pilot)
        listed = app.screen
        assert isinstance(listed, ScopedListScreen)
        assert listed.query_one(CustomerTable).row_count == 3


async def test_a_tags_list_keeps_its_tag_and_escape_goes_back(
    app: RetentionApp, booked_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        catalogue, table = await open_catalogue(pilot)
        table.move_cursor(row=catalogue_row(table, "test-ride"))
        await pilot.press("enter")
        await settle(pilot)
        listed = app.screen
        assert isinstance(listed, ScopedListScreen)
        customers = listed.query_one(CustomerTable)
        assert customers.row_count == 3
        assert not listed.query(Chip)  # the tag is the list (its title), not a filter to drop
        await pilot.press("C")  # clear all: the tag stays
        await settle(pilot)
        assert customers.row_count == 3
        await pilot.press("slash", *"nobody-at-all", "escape")
        await settle(pilot)
        assert customers.row_count == 0
        await pilot.press("escape")  # the search goes, the tag stays
        await settle(pilot)
        assert customers.row_count == 3
        assert app.screen is listed
        customers.cursor_column = next(
            i for i, c in enumerate(customers.columns) if c.key == "tags"
        )
        await pilot.press("f")  # the tag's own column: refused, said why
        await settle(pilot)
        assert "its Tags filter stays" in list(app._notifications)[-1].message
        assert customers.row_count == 3
        await pilot.press("slash", *"fx")  # in the search box, f is a letter
        assert listed.search_input.value == "fx"
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert customers.row_count == 3
        await pilot.press("g")
        await settle(pilot)
        assert "all 3 customers of this list" in str(app.screen.query_one(".form-title").render())
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # nothing left to clear: back to the catalogue
        await settle(pilot)
        assert app.screen is catalogue


async def test_a_trade_in_lists_the_valid_matching_interests(
    app: RetentionApp, desk_db: Path
) -> None:
    conn = open_database(desk_db)
    wish = trade_ins.Wishes("BMW", "R 1250 GS", max_price=16000)
    trade_ins.record_interest(conn, 1, wish, grade=2)
    trade_ins.record_interest(conn, 2, trade_ins.Wishes("bmw", "R1250"))
    trade_ins.record_interest(conn, 3, trade_ins.Wishes("Ducati"))
    conn.execute(  # C006's wish is older than its validity: expired
        "UPDATE customer_tags SET valid_until = '2026-11-22' WHERE customer_id = 3"
    )
    trade_ins.record_interest(conn, 6, trade_ins.Wishes("BMW", max_mileage=10000))
    conn.commit()
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("I")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TradeInScreen)
        await pilot.press(*"BMW", "enter", *"R 1250 GS", "enter", *"2021", "enter")
        await pilot.press(*"23000", "enter", *"15x", "enter")
        assert "not a number" in list(app._notifications)[-1].message
        screen.query_one("#trade-price").value = "15500"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(r)[0]) for r in range(table.row_count)] == ["C001", "C002"]
        assert "price" in str(table.get_row_at(0)[3])
        assert rows(desk_db, "SELECT brand, model, year, mileage, price FROM trade_ins") == [
            ("BMW", "R 1250 GS", 2021, 23000, 15500.0)
        ]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen) and app.screen.customer_id == 1
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("plus")
        await settle(pilot)
        await pilot.press("enter")  # the desk's own campaign
        await settle(pilot)
        assert "1 added" in list(app._notifications)[-1].message  # C002 was a member already
    assert rows(
        desk_db, "SELECT customer_id FROM campaign_members WHERE source = 'trade-in matches'"
    ) == [(1,)]


async def test_the_seed_examples_are_ready_made_views_on_the_desktop(
    app: RetentionApp, booked_db: Path
) -> None:
    from retention_tui.tui.screens.views import ViewsScreen

    from .test_desktop import shown

    expected = {  # by hand, today 2026-11-23: see tests/tag_data.py
        "Tags: a test ride in the last six months": ["C003"],
        "Tags: bought a vehicle here, no workshop visit since": ["C004", "C006"],
        "Tags: customers with a complaint": ["C004"],
        "Tags: inspection customers not seen for a year": ["C002"],
    }
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for position, (name, numbers) in enumerate(expected.items()):
            await pilot.press("v")
            await settle(pilot)
            assert isinstance(app.screen, ViewsScreen)
            await pilot.press(*["down"] * position, "enter")
            await settle(pilot)
            assert "tags" in dict(app.screen.customer_query.filters)  # type: ignore[attr-defined]
            assert sorted(shown(pilot)) == numbers, name


async def test_the_tags_column_filters_from_its_box_and_explains_a_half_typed_tag(
    app: RetentionApp, booked_db: Path
) -> None:
    from retention_tui.customer_list import COLUMNS

    from .test_desktop import shown, table

    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        grid = table(pilot)
        target = [c.key for c in COLUMNS].index("tags")
        while grid.cursor_column != target:
            await pilot.press("right")
        await pilot.press("f")  # the box shows the tag forms as its example
        await settle(pilot)
        box = app.screen.query_one("#filter-input")
        assert "inspection" in str(box.placeholder)  # type: ignore[attr-defined]
        await pilot.press(*"inspe")
        await settle(pilot)
        error = text_of(app.screen.query_one("#filter-error", Static))
        assert "Did you mean: inspection" in error
        assert not [n for n in app._notifications if n.severity == "error"]
        await pilot.press(*"ction", "enter")
        await settle(pilot)
        assert sorted(shown(pilot)) == ["C001", "C002"]  # C003's has expired
