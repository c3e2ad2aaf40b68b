"""SVG snapshots of the main screens (fixed today, a database at a stable path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retention_tui.tui.app import RetentionApp

SIZE = (120, 36)


async def _settle(pilot) -> None:
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)


@pytest.fixture
def desk(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(desk_db.parent)
    return Path("desk.db")


def test_desktop(snap_compare, desk: Path) -> None:
    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=_settle)


def test_desktop_filtered(snap_compare, desk: Path) -> None:
    async def filtered(pilot) -> None:
        await _settle(pilot)
        await pilot.press("slash", *"utrecht", "enter")
        await pilot.press("right", "right", "right", "right", "right", "right")
        await pilot.press("f", *">3", "enter")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=filtered)


def test_desktop_narrow(snap_compare, desk: Path) -> None:
    assert snap_compare(RetentionApp(db_path=desk), terminal_size=(80, 24), run_before=_settle)


def test_card(snap_compare, desk: Path) -> None:
    async def card(pilot) -> None:
        await _settle(pilot)
        await pilot.press("down", "down", "enter")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=card)


def test_overview(snap_compare, small_db: Path) -> None:
    async def overview(pilot) -> None:
        await _settle(pilot)
        await pilot.press("o")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=small_db), terminal_size=SIZE, run_before=overview)


def test_desktop_empty(snap_compare, empty_db: Path) -> None:
    assert snap_compare(RetentionApp(db_path=empty_db), terminal_size=SIZE, run_before=_settle)


def test_help(snap_compare, small_db: Path) -> None:
    async def open_help(pilot) -> None:
        await _settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(RetentionApp(db_path=small_db), terminal_size=SIZE, run_before=open_help)


def test_loyalty(snap_compare, desk: Path) -> None:
    async def loyalty(pilot) -> None:
        await _settle(pilot)
        await pilot.press("m")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=loyalty)


def test_drilldown(snap_compare, desk: Path) -> None:
    async def drilldown(pilot) -> None:
        await _settle(pilot)
        await pilot.press("m")
        await _settle(pilot)
        await pilot.press(*["down"] * 5, "right", "right", "right", "enter")  # 2026-06 lapsed
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=drilldown)


def test_reasons_duplicates(snap_compare, desk: Path) -> None:
    import datetime as dt

    from retention_tui import churn
    from retention_tui.db import open_database

    conn = open_database(desk)
    for cid, reason in [(1, "Too expensive"), (2, "too expensiv"), (3, "Moved away")]:
        churn.record_departure(conn, cid, dt.date(2026, 11, cid), reason)
    conn.close()

    async def duplicates(pilot) -> None:
        await _settle(pilot)
        await pilot.press("R")
        await _settle(pilot)
        await pilot.press("c")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=duplicates)


def test_departed(snap_compare, desk: Path) -> None:
    import datetime as dt

    from retention_tui import churn
    from retention_tui.db import open_database

    conn = open_database(desk)
    for cid, reason in [(1, "Too expensive"), (2, "too expensive!"), (3, "Moved away")]:
        churn.record_departure(conn, cid, dt.date(2026, 11, cid), reason)
    conn.close()

    async def departed(pilot) -> None:
        await _settle(pilot)
        await pilot.press("D")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=departed)


def test_churn_statistics(snap_compare, desk: Path) -> None:
    async def churn(pilot) -> None:
        await _settle(pilot)
        await pilot.press("L")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=churn)


def test_departure_form(snap_compare, desk: Path) -> None:
    import datetime as dt

    from retention_tui import churn
    from retention_tui.db import open_database

    conn = open_database(desk)
    for cid, reason in [(1, "Too expensive"), (3, "Moved away")]:
        churn.record_departure(conn, cid, dt.date(2026, 11, cid), reason)
    conn.close()

    async def form(pilot) -> None:
        await _settle(pilot)
        await pilot.press("down", "down", "enter")
        await _settle(pilot)
        await pilot.press("d", *"too expnsive")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=form)


def test_retention(snap_compare, desk: Path) -> None:
    async def retention(pilot) -> None:
        await _settle(pilot)
        await pilot.press("A")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=retention)


def _campaign(desk: Path) -> None:
    from retention_tui import campaigns
    from retention_tui.db import open_database

    conn = open_database(desk)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Away a year")
    campaigns.add_members(conn, campaign_id, [1, 2, 3, 4, 5, 6], "test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()


def test_campaigns(snap_compare, desk: Path) -> None:
    _campaign(desk)

    async def listed(pilot) -> None:
        await _settle(pilot)
        await pilot.press("K")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=listed)


def test_call_session(snap_compare, desk: Path) -> None:
    _campaign(desk)

    async def session(pilot) -> None:
        await _settle(pilot)
        await pilot.press("K")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=session)


def test_campaign_report(snap_compare, desk: Path) -> None:
    async def report(pilot) -> None:
        await _settle(pilot)
        await pilot.press("K")
        await _settle(pilot)
        await pilot.press("e")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=report)


@pytest.fixture
def booked(desk: Path) -> Path:
    from retention_tui import trade_ins
    from retention_tui.db import open_database
    from tag_data import book

    conn = open_database(desk)
    book(conn)
    wish = trade_ins.Wishes("BMW", "R 1250 GS", max_price=16000, text="Adventure, any colour")
    trade_ins.record_interest(conn, 1, wish, grade=2)
    trade_ins.record_interest(conn, 2, trade_ins.Wishes("bmw", "R1250"))
    trade_ins.record_interest(conn, 6, trade_ins.Wishes("BMW", max_mileage=10000))
    conn.close()
    return desk


def test_tag_catalogue(snap_compare, booked: Path) -> None:
    async def catalogue(pilot) -> None:
        await _settle(pilot)
        await pilot.press("T")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=booked), terminal_size=SIZE, run_before=catalogue)


def test_card_tags(snap_compare, booked: Path) -> None:
    async def card_tags(pilot) -> None:
        await _settle(pilot)
        await pilot.press("slash", *"C003", "escape", "enter")
        await _settle(pilot)
        await pilot.press(*["right"] * 7)
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=booked), terminal_size=SIZE, run_before=card_tags)


def test_trade_in_matches(snap_compare, booked: Path) -> None:
    async def trade_in(pilot) -> None:
        await _settle(pilot)
        await pilot.press("I")
        await _settle(pilot)
        await pilot.press(*"BMW", "enter", *"R 1250 GS", "enter", *"2021", "enter")
        await pilot.press(*"23000", "enter", *"15500", "enter")
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=booked), terminal_size=SIZE, run_before=trade_in)


@pytest.fixture
def reachable(desk: Path) -> Path:
    from message_data import add_contacts
    from retention_tui import messages
    from retention_tui.db import open_database

    conn = open_database(desk)
    add_contacts(conn)
    messages.queue(conn, "mot-due-sms", range(1, 7), batch="snap")
    conn.execute("UPDATE outbox SET created_at = '2026-11-23 09:30:00'")  # a stable time
    conn.execute("UPDATE outbox SET status = 'failed', attempts = 8,"
                 " last_error = 'The gateway refused it (400): unknown number.'"
                 " WHERE customer_id = 2")  # fmt: skip
    conn.commit()
    conn.close()
    return desk


def test_send_form(snap_compare, reachable: Path) -> None:
    async def send_form(pilot) -> None:
        await _settle(pilot)
        await pilot.press("M")
        await _settle(pilot)
        form = pilot.app.screen
        form.query_one("#send-template").highlighted = next(
            i for i, t in enumerate(form.found) if t.key == "miss-you-email"
        )
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=reachable), terminal_size=SIZE, run_before=send_form)


def test_outbox(snap_compare, reachable: Path) -> None:
    async def outbox_screen(pilot) -> None:
        await _settle(pilot)
        await pilot.press("O")
        await _settle(pilot)

    assert snap_compare(
        RetentionApp(db_path=reachable), terminal_size=SIZE, run_before=outbox_screen
    )


def test_template_editor(snap_compare, reachable: Path) -> None:
    async def editor(pilot) -> None:
        from textual.widgets import Input, TextArea

        await _settle(pilot)
        await pilot.press("O", "t", "n")
        await _settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#editor-name", Input).value = "Winter check (SMS)"
        screen.query_one("#editor-channel", Input).value = "sms"
        screen.query_one("#editor-body", TextArea).text = (
            "Hello {name}, winter is coming: shall we check the tyres and battery of your "
            "{vehicle} ({plate})? With code {voucher} the check is free. {workshop}"
        )
        screen.set_focus(None)  # the form at rest, no box picked
        await _settle(pilot)

    assert snap_compare(RetentionApp(db_path=reachable), terminal_size=SIZE, run_before=editor)
