"""Messages on screen: the send form from the card and the desktop, the outbox, the templates
and their editor; a message sent from the card reaches a real SMTP server on loopback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static, TextArea

from message_data import add_contacts
from retention_tui import settings
from retention_tui.db import open_database
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.customer_card import CustomerCardScreen
from retention_tui.tui.screens.messages import (
    MessageView,
    OutboxScreen,
    SendForm,
    TemplateEditor,
    TemplatesScreen,
)
from servers import email_settings, smtp_server

from .test_app import text_of
from .test_tag_screens import SIZE, settle


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


@pytest.fixture
def contact_db(desk_db: Path) -> Path:
    conn = open_database(desk_db)
    add_contacts(conn)
    conn.close()
    return desk_db


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def until(pilot, done, seconds: float = 5.0) -> None:
    """Let the app's workers (the background sender) run until ``done()`` holds."""
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    assert done()


async def choose(pilot, form: SendForm, key: str) -> None:
    """Move the template list to the template with ``key``."""
    await settle(pilot)
    index = next(i for i, t in enumerate(form.found) if t.key == key)
    form.query_one("#send-template").highlighted = index
    await settle(pilot)


async def test_a_message_from_the_card_reaches_the_smtp_server(
    app: RetentionApp, contact_db: Path
) -> None:
    with smtp_server() as (inbox, port):
        conn = open_database(contact_db)
        settings.put(conn, "smtp", email_settings(port))
        conn.close()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("slash", *"C001", "escape", "enter")
            await settle(pilot)
            card = app.screen
            assert isinstance(card, CustomerCardScreen)
            await pilot.press("M")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, SendForm)
            await choose(pilot, form, "miss-you-email")
            who = text_of(form.query_one("#send-who", Static)).strip()
            assert who == "By email: 1 will get it."
            preview = text_of(form.query_one("#send-preview", Static))
            assert preview.startswith("Subject: We miss you and your Volkswagen Golf")
            assert "Dear José Müller," in preview
            form.query_one("#send-offer", Input).focus()
            await pilot.press(*"a free wash", "enter")
            await until(pilot, lambda: rows(contact_db, "SELECT status FROM outbox") == [("sent",)])
            await settle(pilot)
            assert app.screen is card
            assert len(inbox.received) == 1
            got = inbox.received[0]
            assert got["To"] == "jose@example.nl"
            assert "a free wash" in got.get_payload(decode=True).decode()
            (key, status) = rows(contact_db, "SELECT idempotency_key, status FROM outbox")[0]
            assert status == "sent" and got["Message-ID"].startswith(f"<{key}@")
            table = card.query_one("#table-messages", DataTable)
            assert table.row_count == 1
            assert str(table.get_row_at(0)[4]) == "sent"
        assert rows(contact_db, "SELECT count(*) FROM customer_tags ct JOIN tags t"
                    " ON t.id = ct.tag_id WHERE t.code = 'email-sent'") == [(1,)]  # fmt: skip


async def test_a_whole_list_by_sms_says_who_is_left_out(
    app: RetentionApp, contact_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SendForm)
        await choose(pilot, form, "mot-due-sms")
        who = text_of(form.query_one("#send-who", Static))
        assert who.startswith("By SMS: 2 will get it. 4 will not (")
        assert "do not contact: 1" in who and "deceased: 1" in who
        assert "1–1 SMS per customer, 2 in all" in text_of(form.query_one("#send-length", Static))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("not set up" in n.message for n in app._notifications))
        notes = [n.message for n in app._notifications]
        assert any(n.startswith("2 messages queued") for n in notes)
        assert any("SMS is not set up" in n for n in notes)  # they wait in the outbox
    assert rows(contact_db, "SELECT recipient, status FROM outbox ORDER BY id") == [
        ("+31612345678", "queued"), ("+31698765432", "queued")
    ]  # fmt: skip


async def test_the_outbox_filters_cancels_retries_and_shows(
    app: RetentionApp, contact_db: Path
) -> None:
    from retention_tui import messages

    conn = open_database(contact_db)
    messages.queue(conn, "mot-due-sms", range(1, 7))
    conn.execute("UPDATE outbox SET status = 'failed', last_error = 'gateway said 400'"
                 " WHERE customer_id = 2")  # fmt: skip
    conn.commit()
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        info = text_of(screen.query_one("#outbox-info", Static))
        assert info.startswith("queued 1, failed 1.")
        await pilot.press("f", "f", "f", "f")  # all → queued → sending → sent → failed
        await settle(pilot)
        assert [str(table.get_row_at(r)[1]) for r in range(table.row_count)] == ["failed"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageView)
        assert "Last error: gateway said 400" in text_of(
            app.screen.query_one("#message-head", Static)
        )
        await pilot.press("escape")
        await pilot.press("r")  # queued again; the sender says SMS is not set up
        await settle(pilot)
        await pilot.press("f", "f", "f")  # unknown → cancelled → all
        await settle(pilot)
        assert table.row_count == 2
        table.move_cursor(row=0)
        await pilot.press("c")
        await settle(pilot)
    assert rows(contact_db, "SELECT customer_id, status FROM outbox ORDER BY id") == [
        (1, "queued"), (2, "cancelled")
    ]  # fmt: skip


async def test_templates_new_with_live_preview_and_length(
    app: RetentionApp, contact_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O", "t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await pilot.press("enter")  # a built-in one: copy it first
        assert "is built in" in list(app._notifications)[-1].message
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TemplateEditor)
        await pilot.press(*"Winter check", "enter")
        editor.query_one("#editor-channel", Input).value = "sms"
        editor.query_one(
            "#editor-body", TextArea
        ).text = "Hi {name}, winter check for {plate}? {nmae}"
        await settle(pilot)
        preview = text_of(editor.query_one("#editor-preview", Static))
        assert preview.strip() == "Hi José Müller, winter check for 12-AB-34? {nmae}"
        assert "{nmae} is not a placeholder" in text_of(editor.query_one("#editor-error", Static))
        assert "GSM-7: 1 SMS" in text_of(editor.query_one("#editor-length", Static))
        editor.query_one("#editor-customer", Input).value = "C003"
        editor.query_one("#editor-customer", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(editor.query_one("#editor-preview", Static)).startswith("Hi Anna Jansen,")
        await pilot.press("ctrl+s")  # the wrong placeholder is refused
        await settle(pilot)
        assert "is not a placeholder" in list(app._notifications)[-1].message
        assert rows(contact_db, "SELECT count(*) FROM message_templates WHERE builtin = 0") == [
            (0,)
        ]
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TemplateEditor)
        await pilot.press(*"Winter check", "enter")
        editor.query_one("#editor-channel", Input).value = "sms"
        editor.query_one("#editor-body", TextArea).text = "Hi {name}, winter check? 你好"
        await settle(pilot)
        assert "UCS-2: 1 SMS" in text_of(editor.query_one("#editor-length", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    assert rows(
        contact_db, "SELECT name, channel, body FROM message_templates WHERE builtin = 0"
    ) == [("Winter check", "sms", "Hi {name}, winter check? 你好")]


async def test_outbox_retry_all_letters_and_the_call_sessions_message_key(
    app: RetentionApp, contact_db: Path, tmp_path: Path
) -> None:
    from retention_tui import campaigns, messages
    from retention_tui.tui.screens.call_session import CallSessionScreen
    from retention_tui.tui.screens.messages import LettersForm

    conn = open_database(contact_db)
    messages.queue(conn, "mot-due-sms", [1, 2])
    conn.execute("UPDATE outbox SET status = 'failed'")
    conn.commit()
    messages.queue(conn, "miss-you-letter", [1, 2, 3], offer="a free wash")
    campaign_id = campaigns.new_campaign(conn, "win-back", "Calls today")
    campaigns.add_members(conn, campaign_id, [2], "test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("R")  # every failed one queued again
        await settle(pilot)
        await pilot.press("l")
        assert isinstance(app.screen, LettersForm)
        field = app.screen.query_one(Input)
        field.value = str(tmp_path / "letters.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert any("3 letters written" in n.message for n in app._notifications)
        await pilot.press("escape", "K")
        await settle(pilot)
        await pilot.press("enter")  # the call session of the new campaign
        await settle(pilot)
        assert isinstance(app.screen, CallSessionScreen)
        await pilot.press("M")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SendForm)
        assert form.what == "Jan de Vries"
        await pilot.press("escape")
    assert (tmp_path / "letters.csv").exists()
    by_state = "SELECT channel, status, count(*) FROM outbox GROUP BY 1, 2 ORDER BY 1"
    assert rows(contact_db, by_state) == [("letter", "sent", 3), ("sms", "queued", 2)]


async def test_templates_copy_change_and_retire(app: RetentionApp, contact_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O", "t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        table = screen.query_one(DataTable)
        row = next(i for i, t in enumerate(screen.rows) if t.key == "mot-due-sms")
        table.move_cursor(row=row)
        await pilot.press("c")
        await settle(pilot)
        copy = next(i for i, t in enumerate(screen.rows) if t.name == "MOT due (SMS) (copy)")
        table.move_cursor(row=copy)
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TemplateEditor)
        assert editor.query_one("#editor-body", TextArea).text.startswith("Hello {name}")
        editor.query_one("#editor-name", Input).value = "APK binnenkort"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        mine = next(i for i, t in enumerate(screen.rows) if t.name == "APK binnenkort")
        table.move_cursor(row=mine)
        await pilot.press("delete")
        await settle(pilot)
        assert "APK binnenkort" not in [t.name for t in screen.rows]
    assert rows(contact_db, "SELECT name, retired_at IS NOT NULL FROM message_templates"
                " WHERE builtin = 0") == [("APK binnenkort", 1)]  # fmt: skip
