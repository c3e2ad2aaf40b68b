"""The customer card driven by Pilot: what it shows, and NPS, traffic light and call entries
checked in the database and the audit trail."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from retention_tui import settings
from retention_tui.db import open_database
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.card_forms import CallForm, NpsForm, TrafficLightForm
from retention_tui.tui.screens.customer_card import CustomerCardScreen

from .test_app import text_of

SIZE = (120, 40)


async def settle(pilot: Pilot) -> None:
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_card(pilot: Pilot, row: int) -> CustomerCardScreen:
    await settle(pilot)
    await pilot.press(*["down"] * row, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomerCardScreen)
    return screen


def audit(db: Path, action: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT operator, customer_id, old_value, new_value FROM audit WHERE action = ?",
            (action,),
        ).fetchall()
    finally:
        conn.close()


def one(db: Path, sql: str) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()
    finally:
        conn.close()


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


async def test_card_shows_contact_badges_and_history(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)  # Jan de Vries
        assert str(card.query_one("#card-title", Static).content).startswith("Jan de Vries")
        contact = text_of(card.query_one("#card-contact", Static))
        assert "+31 6 9876 5432" in contact and "Houten" in contact
        assert "phone yes" in contact and "email no" in contact
        state = text_of(card.query_one("#card-state", Static))
        assert "long-term lapsed" in state
        assert "2025-06-15, 17 months ago" in state
        assert "●R" in state and "3" in state
        visits = card.query_one("#table-visits", DataTable)
        assert visits.row_count == 1
        assert str(visits.get_row_at(0)[0]) == "2025-06-15"
        vehicles = card.query_one("#table-vehicles", DataTable)
        assert str(vehicles.get_row_at(0)[0]) == "XY-99-ZZ"


async def test_digits_show_the_cards_tabs(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        tabs = card.query_one("#card-tabs", TabbedContent)
        assert tabs.active == "tab-visits"
        await pilot.press("8")
        await settle(pilot)
        assert tabs.active == "tab-tags"
        assert card.focused is card.query_one("#table-tags", DataTable)
        await pilot.press("2")
        await settle(pilot)
        assert tabs.active == "tab-vehicles"
        assert card.focused is card.query_one("#table-vehicles", DataTable)
        await pilot.press("down", "9")
        await settle(pilot)
        assert tabs.active == "tab-messages"
        await pilot.press("1")
        await settle(pilot)
        assert tabs.active == "tab-visits"
        await pilot.press("question_mark")
        await settle(pilot)
        keys = text_of(app.screen.query_one("#help-keys", Static))
        assert "Tags" in keys and "Show this tab of the card" in keys
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is card


async def test_markup_in_a_name_stays_text_on_the_card(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 1)  # Giulia [bold]Bianchi[/]
        assert str(card.query_one("#card-title", Static).content).startswith(
            "Giulia [bold]Bianchi[/]"
        )


async def test_nps_is_saved_at_once_and_audited(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        await pilot.press("n")
        assert isinstance(app.screen, NpsForm)
        await pilot.press(*"11", "enter")
        assert "0 to 10" in str(app.screen.query_one(".form-error", Static).content)
        await pilot.press("backspace", "backspace", "8", "enter")
        await settle(pilot)
        assert app.screen is card
        assert one(desk_db, "SELECT nps FROM customers WHERE id = 2") == (8,)
        assert one(desk_db, "SELECT score, operator FROM nps_scores WHERE customer_id = 2") == (
            8,
            "tester",
        )
        assert audit(desk_db, "set NPS") == [("tester", 2, "3", "8")]
        nps = card.query_one("#table-nps", DataTable)
        assert str(nps.get_row_at(0)[0]) == "8"
        await pilot.press("n", "escape")
        assert app.screen is card


async def test_traffic_light_needs_a_reason_and_is_audited(
    app: RetentionApp, desk_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 3)  # José Müller, green
        await pilot.press("t")
        assert isinstance(app.screen, TrafficLightForm)
        await pilot.press("down", "down", "enter")  # green -> yellow -> red
        await pilot.press("enter")
        assert "reason is required" in str(app.screen.query_one(".form-error", Static).content)
        await pilot.press(*"Two unpaid invoices", "enter")
        await settle(pilot)
        assert app.screen is card
        assert one(desk_db, "SELECT traffic_light, traffic_light_reason FROM customers"
                   " WHERE id = 1") == ("red", "Two unpaid invoices")  # fmt: skip
        assert one(
            desk_db,
            "SELECT light, reason, source, operator FROM traffic_light_history"
            " WHERE customer_id = 1",
        ) == ("red", "Two unpaid invoices", "manual", "tester")
        assert audit(desk_db, "set traffic light") == [("tester", 1, "green", "red")]


async def test_only_managers_set_the_traffic_light(app: RetentionApp, desk_db: Path) -> None:
    conn = open_database(desk_db)
    settings.put(conn, "managers", ["boss"])
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 3)
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is card
        assert any("is a manager's task" in n.message for n in app._notifications)


async def test_log_a_call_with_a_callback(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        await pilot.press("c")
        assert isinstance(app.screen, CallForm)
        await pilot.press("5")  # callback
        await pilot.press(*"Calls back after holiday", "enter")
        await pilot.press(*"2026-11-30 10:30", "enter")
        await settle(pilot)
        assert app.screen is card
        row = one(
            desk_db,
            "SELECT outcome, note, callback_at, operator FROM calls WHERE customer_id = 2",
        )
        assert row == ("callback", "Calls back after holiday", "2026-11-30 10:30", "tester")
        (entry,) = audit(desk_db, "log call")
        assert entry[:2] == ("tester", 2) and json.loads(entry[3])["outcome"] == "callback"
        calls = card.query_one("#table-calls", DataTable)
        assert str(calls.get_row_at(0)[1]) == "callback"


async def test_a_callback_without_a_time_is_refused(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_card(pilot, 2)
        await pilot.press("c", "5", "enter", "enter")
        assert isinstance(app.screen, CallForm)
        assert "needs a date" in str(app.screen.query_one(".form-error", Static).content)
        await pilot.press(*"friday", "enter")
        assert "not a callback time" in str(app.screen.query_one(".form-error", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        assert one(desk_db, "SELECT count(*) FROM calls") == (0,)


async def test_a_callback_in_days_as_in_the_call_session(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_card(pilot, 2)
        await pilot.press("c", "5", "enter", *"+2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen)
    assert one(desk_db, "SELECT outcome, callback_at FROM calls") == (
        "callback", "2026-11-25 09:00"
    )  # fmt: skip


async def test_a_quick_no_answer(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_card(pilot, 0)
        await pilot.press("c", "2", "enter")
        await settle(pilot)
        assert one(desk_db, "SELECT outcome, note FROM calls") == ("no answer", None)


async def test_a_customer_deleted_meanwhile_is_a_sentence(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        conn = sqlite3.connect(desk_db)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM customers WHERE id = 2")
        conn.commit()
        conn.close()
        await pilot.press("n", "7", "enter")
        await settle(pilot)
        assert app.screen is card
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "does not exist" in errors[-1].message
        assert "Traceback" not in errors[-1].message


@pytest.fixture
def with_reasons(desk_db: Path) -> Path:
    from retention_tui.churn import reason_id
    from retention_tui.db import write

    conn = open_database(desk_db)
    with write(conn):
        for label in ("Too expensive", "Moved away", "Unhappy with the repair"):
            reason_id(conn, label)
    conn.close()
    return desk_db


async def test_departure_steers_to_an_existing_reason(
    app: RetentionApp, with_reasons: Path
) -> None:
    from retention_tui.tui.screens.departure import DepartureForm

    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        await pilot.press("d")
        form = app.screen
        assert isinstance(form, DepartureForm)
        await pilot.press(*"too exp")  # suggestions follow every keystroke
        await settle(pilot)
        assert form.suggestions and form.suggestions[0].label == "Too expensive"
        await pilot.press(*"nsive!")  # a typo and punctuation
        await settle(pilot)
        assert form.suggestions[0].label == "Too expensive" and form.suggestions[0].takes
        await pilot.press("enter")  # takes it
        assert form.chosen == "Too expensive"
        await pilot.press(*"Found a cheaper offer", "enter", "enter")  # note, confirmed lost
        await settle(pilot)
        assert app.screen is card
    conn = sqlite3.connect(with_reasons)
    assert conn.execute("SELECT count(*) FROM churn_reasons").fetchone() == (3,)
    assert conn.execute(
        "SELECT r.label, d.note FROM departures d JOIN churn_reasons r ON r.id = d.reason_id"
    ).fetchall() == [("Too expensive", "Found a cheaper offer")]
    conn.close()


async def test_a_new_reason_needs_the_key_twice_when_one_is_close(
    app: RetentionApp, with_reasons: Path
) -> None:
    from retention_tui.tui.screens.departure import DepartureForm

    async with app.run_test(size=SIZE) as pilot:
        await open_card(pilot, 2)
        await pilot.press("d")
        form = app.screen
        assert isinstance(form, DepartureForm)
        await pilot.press(*"Unhappy with the advice")
        await settle(pilot)
        assert form.suggestions and not form.suggestions[0].takes
        await pilot.press("enter")
        assert form.chosen is None  # enter never creates a reason
        await pilot.press("ctrl+n")
        state = str(form.query_one("#reason-state", Static).content)
        assert "Did you mean 'Unhappy with the repair'" in state
        assert form.chosen is None
        await pilot.press("ctrl+n")
        assert form.chosen == "Unhappy with the advice"
        await pilot.press("enter", "enter")
        await settle(pilot)
    conn = sqlite3.connect(with_reasons)
    labels = {label for (label,) in conn.execute("SELECT label FROM churn_reasons")}
    assert "Unhappy with the advice" in labels and len(labels) == 4
    conn.close()


async def test_a_box_with_the_focus_shows_a_steady_cursor(app: RetentionApp) -> None:
    """No box blinks: a still screen repaints nothing (nothing sent over SSH) and a picture of
    it does not depend on the half-second it was taken in."""
    from textual.widgets import Input

    async with app.run_test(size=SIZE) as pilot:
        await open_card(pilot, 2)
        await pilot.press("d", *"too exp")
        await settle(pilot)
        box = app.screen.query_one("#departure-reason", Input)
        assert box.has_focus
        looks = [list(box.render_line(0))]
        for _ in range(4):  # Textual's own cursor would have blinked twice by now
            await pilot.pause(0.3)
            looks.append(list(box.render_line(0)))
        assert all(look == looks[0] for look in looks)
        cursor_style = box.get_component_rich_style("input--cursor")
        assert any(segment.style == cursor_style for segment in looks[0])


def test_every_box_in_the_app_is_a_steady_one() -> None:
    """Screens take their boxes from ``tui.widgets.inputs``, never Textual's blinking ones."""
    import re

    import retention_tui.tui as tui

    root = Path(tui.__file__).parent
    blinking = re.compile(r"from textual\.widgets import [^\n]*\b(Input|TextArea)\b")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "inputs.py" and blinking.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
