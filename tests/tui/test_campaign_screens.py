"""Campaigns and the call session driven by keys alone, checked in the database."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static

from retention_tui import campaigns, clock
from retention_tui.db import open_database, write
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.call_session import CallbackForm, CallSessionScreen, NoteForm
from retention_tui.tui.screens.campaigns import (
    CampaignMembersScreen,
    CampaignPicker,
    CampaignsScreen,
    NewCampaignForm,
)
from retention_tui.tui.screens.card_forms import ConfirmForm, NpsForm
from retention_tui.tui.widgets.customer_table import CustomerTable

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


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


def campaign_with(db: Path, members: list[int], **rules: int) -> int:
    conn = open_database(db)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Calls today", **rules)
    campaigns.add_members(conn, campaign_id, members, "test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    return campaign_id


async def open_session(pilot: Pilot) -> CallSessionScreen:
    """From the desktop: K, then enter on the first campaign (the newest)."""
    await settle(pilot)
    await pilot.press("K")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CampaignsScreen)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallSessionScreen)
    return screen


async def test_new_campaign_from_a_template_then_activate(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, NewCampaignForm)
        await pilot.press("down", "enter")  # the second template: short-term lapsed
        await pilot.press("ctrl+u", *"Check-in November", "enter")
        await pilot.press("enter", "ctrl+u", "4", "enter", "enter")  # cool-down 4 days
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        found = rows(desk_db, "SELECT name, status, cooldown_days, max_attempts, kind FROM"
                     " campaigns WHERE name = 'Check-in November'")  # fmt: skip
        assert found == [("Check-in November", "draft", 4, 3, "retention")]
        await pilot.press("enter")  # a draft has no queue yet
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        await pilot.press("a")
        await settle(pilot)
        assert rows(desk_db, "SELECT status FROM campaigns WHERE name = 'Check-in November'") == [
            ("active",)
        ]
        await pilot.press("t", *"My check-in", "enter")  # saved as a template of our own
        await settle(pilot)
    assert rows(desk_db, "SELECT key, cooldown_days FROM campaign_templates WHERE builtin = 0"
                " AND name = 'My check-in'") == [("my-check-in", 4)]  # fmt: skip


async def test_add_the_desktop_list_and_a_single_customer(app: RetentionApp, desk_db: Path) -> None:
    conn = open_database(desk_db)
    campaign_id = campaigns.new_campaign(conn, "mot-due", "MOT soon")
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"Utrecht", "escape")  # two customers in Utrecht
        await settle(pilot)
        await pilot.press("plus")
        assert isinstance(app.screen, CampaignPicker)
        await settle(pilot)
        await pilot.press("enter")  # the only open campaign besides the desk's own ones
        await settle(pilot)
        members = rows(desk_db, "SELECT customer_id FROM campaign_members WHERE campaign_id = ?",
                       campaign_id)  # fmt: skip
        assert sorted(m[0] for m in members) == [1, 3]
        await pilot.press("plus")  # the same list again: nobody twice
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
    assert rows(desk_db, "SELECT count(*) FROM campaign_members WHERE campaign_id = ?",
                campaign_id) == [(2,)]  # fmt: skip


async def test_a_whole_call_session_by_keys(app: RetentionApp, desk_db: Path) -> None:
    campaign_id = campaign_with(desk_db, [1, 2, 3, 5, 6], max_attempts=2, cooldown_days=3)
    async with app.run_test(size=SIZE) as pilot:
        session = await open_session(pilot)
        seen = []
        # 1: no answer, with a note typed first.
        first = session.current
        assert first is not None and first.claim.why == "first call"
        seen.append(first.claim.customer_id)
        assert "Calls today" in (session.sub_title or "")
        assert first.card.details["name"] in text_of(session.query_one("#session-name", Static))
        await pilot.press("o")
        assert isinstance(app.screen, NoteForm)
        await pilot.press(*"rang 8 times", "enter", "n")
        await settle(pilot)
        await pilot.press("b")  # a second outcome for the same customer is refused
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        # 2: a callback tomorrow, then an NPS.
        second = session.current
        assert second is not None and second.claim.customer_id not in seen
        seen.append(second.claim.customer_id)
        await pilot.press("c")
        assert isinstance(app.screen, CallbackForm)
        await pilot.press("t", "enter", *"after 5", "enter")
        await settle(pilot)
        await pilot.press("p")
        assert isinstance(app.screen, NpsForm)
        await pilot.press("9", "enter")
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        # 3: do not call; 4: a departure after "moved away". (C005 was recorded as moved
        # away before: nobody to call.)
        for key in ("x", "m"):
            current = session.current
            assert current is not None
            seen.append(current.claim.customer_id)
            await pilot.press(key)
            await settle(pilot)
            if key == "m":
                await pilot.press("d", *"Moved to another town", "ctrl+n", "ctrl+n",
                                  "enter", "enter")  # fmt: skip
                await settle(pilot)
            await pilot.press("space")
            await settle(pilot)
        assert session.current is None  # everybody had a call
        queue = text_of(session.query_one("#session-queue", Static))
        assert "callback later 1" in queue and "done 2" in queue and "on cool-down 1" in queue
        assert "do not contact 1" in queue
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        # The list's figures are those after the session, not those from before it.
        listed = app.screen.query_one(DataTable).get_row_at(0)
        # members, ready, callbacks, cool-down, done (ready was 5 when the session began)
        assert [str(c) for c in listed[2:7]] == ["5", "0", "1", "1", "2"]
    calls = rows(desk_db, "SELECT customer_id, outcome, note, callback_at FROM calls"
                 " WHERE campaign_id = ? ORDER BY id", campaign_id)  # fmt: skip
    assert [c[:2] for c in calls] == list(zip(seen, ["no answer", "callback", "do not call",
        "moved away"], strict=True))  # fmt: skip
    assert calls[0][2] == "rang 8 times"
    assert calls[1][2] == "after 5" and calls[1][3] == "2026-11-24 09:00"
    assert rows(desk_db, "SELECT nps FROM customers WHERE id = ?", seen[1]) == [(9,)]
    assert rows(desk_db, "SELECT channel FROM contact_blocks WHERE customer_id = ?",
                seen[2]) == [("phone",)]  # fmt: skip
    assert rows(desk_db, "SELECT count(*) FROM departures WHERE customer_id = ?", seen[3]) == [(1,)]
    assert rows(desk_db, "SELECT count(*) FROM call_claims") == [(0,)]  # given back on exit


async def test_a_due_callback_comes_first_and_a_crashed_session_resumes(
    desk_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(desk_db.parent)
    campaign_id = campaign_with(desk_db, [1, 3, 5, 6])
    conn = open_database(desk_db)
    session = campaigns.new_session()
    claim = campaigns.claim_next(conn, campaign_id, session)
    assert claim is not None
    callback = dt.datetime.combine(clock.today() + dt.timedelta(days=1), dt.time(0, 5))
    campaigns.log_outcome(conn, campaign_id, 6, "callback", session=session, callback_at=callback)
    conn.close()
    clock.set_today(clock.today() + dt.timedelta(days=2))
    async with RetentionApp(db_path=Path("desk.db")).run_test(size=SIZE) as pilot:
        screen = await open_session(pilot)
        assert screen.current is not None
        assert (screen.current.claim.customer_id, screen.current.claim.why) == (6, "callback due")
        taken = screen.current.claim.customer_id
        session_id = screen.session
    # The app "crashed" (its claim and session file stay); a dead process owned the file.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    from retention_tui.tui.screens.call_session import _session_file

    path = _session_file(Path("desk.db"), campaign_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"session": session_id, "pid": int(dead.stdout)}))
    with write(conn := open_database(desk_db)):
        conn.execute("UPDATE call_claims SET session = ?", (session_id,))
    conn.close()
    async with RetentionApp(db_path=Path("desk.db")).run_test(size=SIZE) as pilot:
        screen = await open_session(pilot)
        assert screen.session == session_id
        assert screen.current is not None and screen.current.claim.customer_id == taken


async def test_the_card_shows_the_campaign_history_and_adds_to_a_campaign(
    app: RetentionApp, desk_db: Path
) -> None:
    from textual.widgets import DataTable

    from retention_tui.tui.screens.customer_card import CustomerCardScreen

    campaign_id = campaign_with(desk_db, [1])
    conn = open_database(desk_db)
    other = campaigns.new_campaign(conn, "mot-due", "MOT soon")
    session = campaigns.new_session()
    campaigns.claim_next(conn, campaign_id, session)
    campaigns.log_outcome(conn, campaign_id, 1, "booked", session=session)
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"C001", "escape", "enter")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, CustomerCardScreen)
        table = card.query_one("#table-campaigns", DataTable)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[:6] == ["Calls today", "retention", "active", "done", "1",
                             "appointment booked"]  # fmt: skip
        await pilot.press("plus")
        await settle(pilot)
        assert isinstance(app.screen, CampaignPicker)
        await pilot.press("enter")  # the newest open campaign first: MOT soon
        await settle(pilot)
        assert app.screen is card
        assert table.row_count == 3  # Calls today, MOT soon, and the desk's own Win back
    assert rows(desk_db, "SELECT customer_id FROM campaign_members WHERE campaign_id = ?",
                other) == [(1,)]  # fmt: skip


async def test_callbacks_due_today_on_the_home_screen(app: RetentionApp, desk_db: Path) -> None:
    campaign_id = campaign_with(desk_db, [1, 3])
    conn = open_database(desk_db)
    session = campaigns.new_session()
    for days in (0, 3):
        claim = campaigns.claim_next(conn, campaign_id, session)
        assert claim is not None
        when = dt.datetime.combine(clock.today() + dt.timedelta(days=days), dt.time(23, 58))
        campaigns.log_outcome(conn, campaign_id, claim.customer_id, "callback",
                              session=session, callback_at=when)  # fmt: skip
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        agenda = app.screen.query_one("#home-agenda", DataTable)
        assert agenda.row_count == 1  # the other is due in three days
        when, what = (str(cell) for cell in agenda.get_row_at(0)[:2])
        assert (when, what) == ("2026-11-23 23:58", "Callback: Calls today")


async def test_do_not_contact_from_the_card_keeps_the_customer_out_of_every_queue(
    app: RetentionApp, desk_db: Path
) -> None:
    from retention_tui.tui.screens.card_forms import ContactBlockForm
    from retention_tui.tui.screens.customer_card import CustomerCardScreen

    campaign_id = campaign_with(desk_db, [1])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"C001", "escape", "enter")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, CustomerCardScreen)
        await pilot.press("x")
        assert isinstance(app.screen, ContactBlockForm)
        await pilot.press("enter", "enter")  # phone, no reason: refused
        assert isinstance(app.screen, ContactBlockForm)
        await pilot.press(*"asked by letter", "enter")
        await settle(pilot)
        assert app.screen is card
        assert "do not contact" in text_of(card.query_one("#card-contact", Static))
        conn = open_database(desk_db)
        assert campaigns.queue_state(conn, campaign_id)["do not contact"] == 1
        conn.close()
        await pilot.press("x", "enter", "enter")  # enter with no reason lifts it
        await settle(pilot)
    assert rows(desk_db, "SELECT count(*) FROM contact_blocks WHERE customer_id = 1") == [(0,)]
    assert [r[0] for r in rows(desk_db, "SELECT action FROM audit WHERE action LIKE"
                               " 'do not contact%' ORDER BY id")] == [
        "do not contact: phone", "do not contact: phone"]  # fmt: skip


async def test_the_last_allowed_attempt_ends_the_member(app: RetentionApp, desk_db: Path) -> None:
    campaign_id = campaign_with(desk_db, [1, 3], max_attempts=1)
    async with app.run_test(size=SIZE) as pilot:
        session = await open_session(pilot)
        await pilot.press("v", "space")  # voicemail on the only allowed attempt
        await settle(pilot)
        await pilot.press("n", "space")
        await settle(pilot)
        assert session.current is None
        queue = text_of(session.query_one("#session-queue", Static))
        assert "done 2" in queue and "cool-down" not in queue
    members = rows(desk_db, "SELECT state, attempts, next_call_after FROM campaign_members"
                   " WHERE campaign_id = ?", campaign_id)  # fmt: skip
    assert members == [("no further action", 1, None)] * 2


async def test_edit_a_campaign_offer_period_and_script(app: RetentionApp, desk_db: Path) -> None:
    from retention_tui.tui.screens.campaigns import EditCampaignForm

    campaign_id = campaign_with(desk_db, [1])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        await pilot.press("E")
        form = app.screen
        assert isinstance(form, EditCampaignForm)
        await pilot.press("enter", "ctrl+u", *"a free wash", "enter")  # the offer
        await pilot.press("enter", "ctrl+u", *"2026-13-01", "ctrl+s")  # a bad end date
        assert app.screen is form
        assert "2026-13-01" in text_of(form.query_one(".form-error", Static))
        await pilot.press("ctrl+u", *"2026-12-31", "enter", "enter", "enter")
        await pilot.press(*"Hi {name}, {offer}! ", "ctrl+s")  # typed before the script
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
    ((offer, ends_on, script),) = rows(
        desk_db, "SELECT offer, ends_on, script FROM campaigns WHERE id = ?", campaign_id
    )
    assert (offer, ends_on) == ("a free wash", "2026-12-31")
    assert script.startswith("Hi {name}, {offer}! Good morning {name}")
    assert rows(desk_db, "SELECT count(*) FROM audit WHERE action = 'edit campaign'") == [(1,)]


async def test_members_listed_and_removed_one_or_a_whole_list(
    app: RetentionApp, desk_db: Path
) -> None:
    campaign_id = campaign_with(desk_db, [1, 2, 3, 4])
    conn = open_database(desk_db)
    campaigns.log_outcome(conn, campaign_id, 2, "no-answer", session="test")
    conn.close()

    def members() -> list[int]:
        found = rows(desk_db, "SELECT customer_id FROM campaign_members WHERE campaign_id = ?"
                     " ORDER BY 1", campaign_id)  # fmt: skip
        return [m for (m,) in found]

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignMembersScreen)
        assert "Calls today" in str(screen.sub_title)
        assert screen.query_one(CustomerTable).row_count == 4
        await pilot.press("delete")  # the first row, sorted by name
        await settle(pilot)
        first_gone = {1, 2, 3, 4} - set(members())
        assert len(first_gone) == 1
        assert screen.query_one(CustomerTable).row_count == 3
        await pilot.press("slash", *"Utrecht", "escape")  # customers 1 and 3 live there
        await settle(pilot)
        utrecht = len({1, 3} - first_gone)
        count_line = str(screen.query_one("#desktop-count", Static).content)
        assert count_line.startswith(f"{utrecht} of 3 customers")  # of the members, not of all
        await pilot.press("X")
        assert isinstance(app.screen, ConfirmForm)
        question = str(app.screen.query_one(".form-title", Label).render())
        assert question.endswith(
            ("the 1 customer of this list", "all 2 customers of this list")[utrecht - 1]
        )
        await pilot.press("escape")  # no: nothing changes
        await settle(pilot)
        assert len(members()) == 3
        await pilot.press("X", "y")
        await settle(pilot)
        assert set(members()) == {2, 4} - first_gone
        await pilot.press("X")  # the filtered list is empty now: nothing to ask
        await settle(pilot)
        assert app.screen is screen
        assert list(app._notifications)[-1].message == "The list is empty: nobody to take out."
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
    # the calls stay in the history
    assert rows(desk_db, "SELECT customer_id, outcome FROM calls") == [(2, "no answer")]
