"""Message templates, SMS length, who may get a message, the queue and letters."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from message_data import add_contacts
from retention_tui import messages, tags
from retention_tui.db import open_database
from retention_tui.errors import RetentionError


@pytest.fixture
def desk(desk_db: Path) -> Iterator[sqlite3.Connection]:
    conn = open_database(desk_db)
    add_contacts(conn)
    yield conn
    conn.close()


def test_the_built_in_templates_use_only_known_placeholders(conn: sqlite3.Connection) -> None:
    found = messages.templates(conn)
    assert {t.key for t in found} >= {
        "feedback-email", "feedback-sms", "miss-you-email", "miss-you-sms", "miss-you-letter",
        "mot-due-sms", "mot-due-email", "thank-you-sms", "thank-you-email",
    }  # fmt: skip
    assert {t.channel for t in found} == {"email", "sms", "letter"}
    for t in found:
        assert messages.unknown_placeholders(t.subject, t.body) == [], t.key
        assert t.channel != "email" or t.subject


def test_own_templates_are_checked_copied_and_retired(conn: sqlite3.Connection) -> None:
    with pytest.raises(RetentionError, match=r"\{nmae\} is not a placeholder"):
        messages.save_template(conn, name="Oops", channel="sms", subject=None, body="Hi {nmae}")
    with pytest.raises(RetentionError, match="needs a subject"):
        messages.save_template(conn, name="No subject", channel="email", subject="", body="Hi")
    builtin = messages.template(conn, "mot-due-sms")
    with pytest.raises(RetentionError, match="copy it"):
        messages.save_template(
            conn, name="x", channel="sms", subject=None, body="x", template_id=builtin.id
        )
    copy_id = messages.copy_template(conn, "mot-due-sms")
    assert messages.template(conn, copy_id).name == "MOT due (SMS) (copy)"
    assert messages.template(conn, messages.copy_template(conn, "mot-due-sms")).name == (
        "MOT due (SMS) (copy 2)"
    )
    messages.save_template(
        conn, name="APK", channel="sms", subject="ignored", body="APK {plate}", template_id=copy_id
    )
    changed = messages.template(conn, copy_id)
    assert (changed.name, changed.subject, changed.body) == ("APK", None, "APK {plate}")
    messages.retire_template(conn, "APK")
    assert "APK" not in {t.name for t in messages.templates(conn)}
    with pytest.raises(RetentionError, match="retired"):
        messages.queue(conn, "APK", [])
    with pytest.raises(RetentionError, match="no message template 'nope'"):
        messages.template(conn, "nope")


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Hello", "GSM-7", 5, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("Prezzo 10€ [sconto]", "GSM-7", 22, 1),  # € [ ] take two septets each
        ("Caffè è già pronto", "GSM-7", 18, 1),  # è and à are in the GSM alphabet
        ("Crème brûlée", "UCS-2", 12, 1),  # û is not
        ("你好" * 35, "UCS-2", 70, 1),
        ("你好" * 35 + "!", "UCS-2", 71, 2),
        ("Ciao 🚗", "UCS-2", 7, 1),  # the car is two UTF-16 units
    ],
)
def test_sms_length(text: str, encoding: str, units: int, segments: int) -> None:
    length = messages.sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


@given(st.text(max_size=700))
def test_sms_segments_hold_the_text_and_no_more(text: str) -> None:
    length = messages.sms_length(text)
    assert length.segments * length.per_segment >= length.units
    assert length.units == 0 or (length.segments - 1) * length.per_segment < length.units
    assert 0 <= length.left < length.per_segment or length.units == 0


def test_only_who_may_and_can_gets_a_message(desk: sqlite3.Connection) -> None:
    everyone = range(1, 7)
    email = messages.audience(desk, everyone, "email")
    assert email.ready == [(1, "jose@example.nl"), (5, "info@muller.de")]
    assert {k: v for k, v in email.skipped.items() if v} == {
        "no address": 2, "no consent": 1, "deceased": 1,
    }  # fmt: skip
    sms = messages.audience(desk, everyone, "sms")
    assert sms.ready == [(1, "+31612345678"), (2, "+31698765432")]
    assert {k: v for k, v in sms.skipped.items() if v} == {
        "do not contact": 1, "no address": 1, "no consent": 1, "deceased": 1,
    }  # fmt: skip
    letter = messages.audience(desk, everyone, "letter")
    assert [cid for cid, _to in letter.ready] == [1, 2, 3]  # C005 moved away: no address
    assert letter.ready[0][1] == "Oudegracht 1, 3511 AB Utrecht"
    assert "By email: 2 will get it. 4 will not (" in email.describe()
    # The do-not-contact tag blocks every channel.
    tags.add(desk, [1], tags.Tagging("do-not-contact"))
    assert [cid for cid, _to in messages.audience(desk, [1], "letter").ready] == []


def test_queueing_renders_each_message_once_per_batch(desk: sqlite3.Connection) -> None:
    done = messages.queue(desk, "miss-you-email", range(1, 7), offer="20% off")
    assert (done.queued, done.audience.skipped_total) == (2, 4)
    again = messages.queue(desk, "miss-you-email", range(1, 7), batch=done.batch, offer="x")
    assert again.queued == 0  # the same send asked twice adds nothing
    rows = desk.execute(
        "SELECT customer_id, recipient, subject, body, voucher, status, idempotency_key"
        " FROM outbox ORDER BY customer_id"
    ).fetchall()
    assert [r[:2] for r in rows] == [(1, "jose@example.nl"), (5, "info@muller.de")]
    _cid, _to, subject, body, voucher, status, key = rows[0]
    assert subject == "We miss you and your Volkswagen Golf" and status == "queued"
    assert body.startswith("Dear José Müller,\n\nYour last visit was on 2026-11-01, 0 months")
    assert "this voucher gives you 20% off" in body and f"Voucher code: {voucher}" in body
    assert body.endswith("Anke, Garage Oost") and key == f"rt-{done.batch}-1"
    assert voucher == messages.voucher_code(key) and len(voucher) == 9
    # Sent recently: a new send of the same template leaves them out.
    later = messages.queue(desk, "miss-you-email", [1, 5], offer="20% off")
    assert (later.queued, later.audience.skipped["sent recently"]) == (0, 2)
    (audited,) = desk.execute("SELECT new_value FROM audit WHERE action = 'queue messages'"
                              " ORDER BY id LIMIT 1").fetchone()  # fmt: skip
    assert '"queued": 2' in audited and '"no address": 2' in audited


def test_a_template_with_an_offer_needs_one(desk: sqlite3.Connection) -> None:
    with pytest.raises(RetentionError, match=r"speaks of \{offer\}"):
        messages.queue(desk, "miss-you-sms", [1])
    assert messages.queue(desk, "miss-you-sms", [1], offer="a free wash").queued == 1


def test_preview_with_a_real_customer(desk: sqlite3.Connection) -> None:
    subject, body = messages.preview(desk, "mot-due-sms", 4)
    assert subject is None
    assert body.startswith("Hello Giulia [bold]Bianchi[/], the MOT of your vehicle () is due")
    with pytest.raises(RetentionError, match="does not exist"):
        messages.preview(desk, "mot-due-sms", 99)


def test_months_away_in_a_message_is_what_the_card_says(desk: sqlite3.Connection) -> None:
    # Today is 2026-11-23: a visit on 2026-10-30 is 0 whole months ago (the calendar says 1),
    # one on 2026-10-23 is 1, one on 2025-11-24 is 11.
    for last_visit, months in (("2026-10-30", "0"), ("2026-10-23", "1"), ("2025-11-24", "11")):
        desk.execute("UPDATE customers SET last_visit = ? WHERE id = 4", (last_visit,))
        assert messages.customer_values(desk, [4])[4]["months_away"] == months


def test_letters_become_a_mail_merge_file(desk: sqlite3.Connection, tmp_path: Path) -> None:
    assert messages.export_letters(desk, tmp_path / "none.csv") == 0
    messages.queue(desk, "miss-you-letter", range(1, 7), offer="a free wash")
    with pytest.raises(RetentionError, match="does not exist"):
        messages.export_letters(desk, tmp_path / "missing" / "letters.csv")
    out = tmp_path / "letters.csv"
    assert messages.export_letters(desk, out) == 3
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["customer_no"] for r in rows] == ["C001", "C002", "C003"]
    assert rows[0]["street"] == "Oudegracht 1" and "a free wash" in rows[0]["body"]
    assert desk.execute("SELECT DISTINCT status FROM outbox").fetchall() == [("sent",)]
    assert messages.export_letters(desk, out) == 0  # nothing twice
    held = tags.of_customer(desk, 2)
    assert [t.code for t in held] == ["letter-sent"]


@pytest.mark.parametrize(
    ("mobile", "country", "expected"),
    [
        ("06-12345678", None, "+31612345678"),
        ("0151 1234567", "DE", "+491511234567"),
        ("320 1234567", "IT", "+393201234567"),
        ("06 6982 1234", "IT", "+390669821234"),  # Rome: the 0 stays
        ("+49 151 1234567", "IT", "+491511234567"),
        ("2612 3456", "LV", "+37126123456"),
    ],
)
def test_a_national_number_belongs_to_the_customers_country(
    mobile: str, country: str | None, expected: str
) -> None:
    assert messages.recipient("sms", None, mobile, None, country=country) == expected


def test_the_parts_a_bulk_sms_takes(desk: sqlite3.Connection) -> None:
    messages.save_template(conn=desk, name="Long", channel="sms", subject=None,
                           body="{name} " + "x" * 150)  # fmt: skip
    # "José Müller " + 150 = 162 (two parts); "Jan de Vries " + 150 = 163 (two parts)
    assert messages.sms_parts(desk, "Long", [1, 2]) == (2, 2, 4)
    assert messages.sms_parts(desk, "mot-due-sms", [1, 2]) == (1, 1, 2)
    assert messages.sms_parts(desk, "mot-due-sms", []) == (0, 0, 0)
