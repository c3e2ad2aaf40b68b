"""Message templates and who gets a message: placeholders, SMS length, consent, the queue.

A template is an email (subject and body), an SMS or a letter with the placeholders of the
call scripts ({name}, {vehicle}, {plate}, {last_visit}, {months_away}, {advisor}, {offer})
and two of its own: {voucher} (a code per message) and {workshop}. Sending to one customer
or a whole list first asks :func:`audience`: only customers whose consent for the channel is
on, who are not blocked for it (a do-not-contact on the channel or the do-not-contact tag),
not deceased, with an address for it and not sent the same template recently; everybody else
is counted by reason. :func:`queue` then writes every message to the outbox in one
transaction (:mod:`outbox` sends them). Letters become a mail-merge CSV
(:func:`export_letters`). Nothing here imports Textual.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import os
import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit, clock, i18n, settings, tags
from .campaigns import fill
from .customer_list import months_away
from .db import write
from .errors import RetentionError
from .i18n import _

CHANNELS = ("email", "sms", "letter")
PLACEHOLDERS = (
    "name", "vehicle", "plate", "last_visit", "months_away", "advisor", "offer", "voucher",
    "workshop",
)  # fmt: skip
# A customer who got the same template this recently is left out of a new send.
RECENT_DAYS = 30

# Why a customer does not get a message (keys stay English: CSV and CLI output).
NO_CONSENT = "no consent"
BLOCKED = "do not contact"
NO_ADDRESS = "no address"
GONE = "deceased"
RECENT = "sent recently"
SKIP_REASONS = (NO_CONSENT, BLOCKED, NO_ADDRESS, GONE, RECENT)


def skip_label(reason: str) -> str:
    """A skip reason as the advisor reads it."""
    return {
        NO_CONSENT: _("no consent for this channel"),
        BLOCKED: _("do not contact"),
        NO_ADDRESS: _("no address for this channel"),
        GONE: _("deceased"),
        RECENT: _("got this message in the last {days} days").format(days=RECENT_DAYS),
    }.get(reason, reason)


def channel_label(channel: str) -> str:
    return {"email": _("email"), "sms": _("SMS"), "letter": _("letter")}.get(channel, channel)


# -- templates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    id: int
    key: str | None
    name: str
    channel: str
    subject: str | None
    body: str
    builtin: bool
    retired: bool

    @property
    def shown_name(self) -> str:
        """The name as the advisor reads it: a built-in template's in their language."""
        return _(self.name) if self.builtin else self.name


_TEMPLATE_SQL = (
    "SELECT id, key, name, channel, subject, body, builtin, retired_at IS NOT NULL"
    " FROM message_templates"
)
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _template(row: Sequence[Any]) -> Template:
    return Template(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), bool(row[7]))


def templates(conn: sqlite3.Connection, *, include_retired: bool = False) -> list[Template]:
    """The templates, built-in first, then by channel and name."""
    where = "" if include_retired else " WHERE retired_at IS NULL"
    rows = conn.execute(f"{_TEMPLATE_SQL}{where} ORDER BY builtin DESC, channel, name")
    return [_template(row) for row in rows]


def template(conn: sqlite3.Connection, ref: str | int) -> Template:
    """A template by id, key or exact name."""
    text = str(ref).strip()
    row = conn.execute(
        f"{_TEMPLATE_SQL} WHERE id = ? OR key = ? OR name = ?",
        (int(text) if text.isdigit() else -1, text, text),
    ).fetchone()
    if row is None:
        keys = ", ".join(t.key or str(t.id) for t in templates(conn))
        raise RetentionError(
            _("There is no message template '{ref}'. Templates: {keys}.").format(
                ref=text, keys=keys
            )
        )
    return _template(row)


def unknown_placeholders(*texts: str | None) -> list[str]:
    """Placeholders in ``texts`` that no customer value fills (typos such as {nmae})."""
    found: list[str] = []
    for text in texts:
        for name in _PLACEHOLDER.findall(text or ""):
            if name not in PLACEHOLDERS and name not in found:
                found.append(name)
    return found


def _check(name: str, channel: str, subject: str | None, body: str) -> None:
    if not name.strip():
        raise RetentionError(_("A template needs a name."))
    if channel not in CHANNELS:
        raise RetentionError(
            _("'{channel}' is not a channel: email, sms or letter.").format(channel=channel)
        )
    if not body.strip():
        raise RetentionError(_("A template needs a text."))
    if channel == "email" and not (subject or "").strip():
        raise RetentionError(_("An email template needs a subject."))
    wrong = unknown_placeholders(subject, body)
    if wrong:
        raise RetentionError(
            _("{{{wrong}}} is not a placeholder; use {known}.").format(
                wrong=wrong[0], known=", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            )
        )


def save_template(
    conn: sqlite3.Connection,
    *,
    name: str,
    channel: str,
    subject: str | None,
    body: str,
    template_id: int | None = None,
) -> int:
    """Add a template, or change one of the workshop's own (a built-in one is copied
    first: :func:`copy_template`); return its id."""
    _check(name, channel, subject, body)
    subject = ((subject or "").strip() or None) if channel != "sms" else None
    name = name.strip()
    with write(conn):
        clash = conn.execute(
            "SELECT id FROM message_templates WHERE name = ? AND id IS NOT ?", (name, template_id)
        ).fetchone()
        if clash:
            raise RetentionError(_("A template named '{name}' exists already.").format(name=name))
        if template_id is None:
            cursor = conn.execute(
                "INSERT INTO message_templates (name, channel, subject, body, builtin,"
                " created_by, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                (name, channel, subject, body, audit.current_operator(),
                 clock.now().isoformat(sep=" ")),
            )  # fmt: skip
            new_id = int(cursor.lastrowid or 0)
            audit.record(conn, "add message template", "message_templates", new_id, new=name)
            return new_id
        old = template(conn, template_id)
        if old.builtin:
            raise RetentionError(
                _("'{name}' is built in: copy it (c) and change the copy.").format(name=old.name)
            )
        conn.execute(
            "UPDATE message_templates SET name = ?, channel = ?, subject = ?, body = ?"
            " WHERE id = ?",
            (name, channel, subject, body, template_id),
        )
        audit.record(
            conn, "change message template", "message_templates", template_id,
            old={"name": old.name, "subject": old.subject, "body": old.body},
            new={"name": name, "subject": subject, "body": body},
        )  # fmt: skip
        return template_id


def copy_template(conn: sqlite3.Connection, ref: str | int) -> int:
    """A copy of a template to change, named "… (copy)" (or "(copy 2)" …)."""
    original = template(conn, ref)
    names = {t.name for t in templates(conn, include_retired=True)}
    name = _("{name} (copy)").format(name=original.name)
    number = 2
    while name in names:
        name = _("{name} (copy {n})").format(name=original.name, n=number)
        number += 1
    return save_template(
        conn, name=name, channel=original.channel, subject=original.subject, body=original.body
    )


def retire_template(conn: sqlite3.Connection, ref: str | int) -> None:
    """No longer offer a template (messages sent with it keep it)."""
    found = template(conn, ref)
    with write(conn):
        conn.execute(
            "UPDATE message_templates SET retired_at = ? WHERE id = ?",
            (clock.now().isoformat(sep=" "), found.id),
        )
        audit.record(conn, "retire message template", "message_templates", found.id)


# -- SMS length ------------------------------------------------------------------------------

# The GSM 03.38 default alphabet; the extension table's characters take two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int

    @property
    def left(self) -> int:
        """Characters left in the last segment."""
        return self.segments * self.per_segment - self.units


def sms_length(text: str) -> SmsLength:
    """How a gateway counts ``text``: GSM-7 when every character is in the GSM alphabet
    (160 in one message, 153 per part when split), else UCS-2 (70, or 67 per part)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single)
    return SmsLength(encoding, units, -(-units // part), part)


# -- values ----------------------------------------------------------------------------------


def voucher_code(key: str) -> str:
    """A voucher code for one message, stable for its key: ``XXXX-XXXX``."""
    digest = hashlib.sha256(key.encode()).digest()
    code = base64.b32encode(digest).decode()[:8]
    return f"{code[:4]}-{code[4:]}"


def _chunks(items: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def customer_values(
    conn: sqlite3.Connection, customer_ids: Sequence[int], offer: str = ""
) -> dict[int, dict[str, str]]:
    """Every placeholder value but the voucher, per customer, read in a few queries."""
    today = clock.today()
    workshop = settings.get(conn, "workshop_name") or ""
    operator = audit.current_operator()
    values: dict[int, dict[str, str]] = {}
    for chunk in _chunks(list(customer_ids)):
        rows = conn.execute(
            "SELECT c.id, c.name, c.advisor, c.last_visit, v.brand, v.model, v.plate"
            " FROM customers c LEFT JOIN vehicles v ON v.id = c.main_vehicle_id"
            f" WHERE c.id IN ({', '.join('?' * len(chunk))})",
            list(chunk),
        )
        for cid, name, advisor, last_visit, brand, model, plate in rows:
            months = ""
            if last_visit:  # whole months, as the desktop and the card count them
                months = str(months_away(dt.date.fromisoformat(last_visit), today))
            values[cid] = {
                "name": name,
                "vehicle": " ".join(p for p in (brand, model) if p) or _("vehicle"),
                "plate": plate or "",
                "last_visit": last_visit or _("(no visit yet)"),
                "months_away": months,
                "advisor": advisor or operator,
                "offer": offer,
                "workshop": workshop,
            }
    return values


def render(found: Template, values: dict[str, str]) -> tuple[str | None, str]:
    """The subject and text of ``found`` for one customer's values."""
    subject = fill(found.subject, values) if found.subject else None
    return subject, fill(found.body, values)


# -- who gets it -----------------------------------------------------------------------------


@dataclass
class Audience:
    """Who gets a message on a channel, and who does not, by reason."""

    channel: str
    ready: list[tuple[int, str]] = field(default_factory=list)  # (customer id, recipient)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def describe(self) -> str:
        """How many get it and how many not, and why."""
        text = _("By {channel}: {ready:,} will get it.").format(
            ready=len(self.ready), channel=channel_label(self.channel)
        )
        if not self.skipped_total:
            return text
        reasons = ", ".join(
            f"{skip_label(reason)}: {i18n.number(count)}"
            for reason, count in self.skipped.items()
            if count
        )
        return (
            text
            + " "
            + _("{skipped:,} will not ({reasons}).").format(
                skipped=self.skipped_total, reasons=reasons
            )
        )


def _letter_address(street: str | None, postcode: str | None, city: str | None,
                    country: str | None) -> str | None:  # fmt: skip
    if not (street and street.strip() and city and city.strip()):
        return None
    line = " ".join(p.strip() for p in (postcode, city) if p and p.strip())
    return ", ".join(p for p in (street.strip(), line, (country or "").strip()) if p)


# The calling code a national number (without one) belongs to, by the customer's country;
# a customer without a country is taken to live where the workshop is (the Netherlands).
COUNTRY_CODES = {
    "NL": "+31", "BE": "+32", "DE": "+49", "AT": "+43", "CH": "+41", "FR": "+33", "LU": "+352",
    "IT": "+39", "SM": "+378", "ES": "+34", "GB": "+44", "LV": "+371", "LT": "+370",
    "EE": "+372", "PL": "+48", "CN": "+86",
}  # fmt: skip


# Whether customer ``c`` is blocked on a channel (parameters: channel, no-end date, today):
# a do-not-contact on the channel, or the do-not-contact tag, valid, for every channel.
_BLOCKED = (
    "(EXISTS (SELECT 1 FROM contact_blocks b WHERE b.customer_id = c.id AND b.channel = ?)"
    " OR EXISTS (SELECT 1 FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id"
    " WHERE ct.customer_id = c.id AND t.code = 'do-not-contact'"
    " AND coalesce(ct.valid_until, ?) >= ?))"
)


def recipient(channel: str, email: str | None, mobile: str | None, phone: str | None,
              street: str | None = None, postcode: str | None = None, city: str | None = None,
              country: str | None = None) -> str | None:  # fmt: skip
    """Where a message on ``channel`` goes, or None when the customer has no address for it."""
    from .channels import is_email, normalise_phone

    if channel == "email":
        return email.strip() if email and is_email(email.strip()) else None
    if channel == "sms":
        prefix = COUNTRY_CODES.get((country or "").strip().upper(), "+31")
        for number in (mobile, phone):
            if number and (normal := normalise_phone(number, prefix)):
                return normal
        return None
    return _letter_address(street, postcode, city, country)


def audience(
    conn: sqlite3.Connection,
    customer_ids: Iterable[int],
    channel: str,
    template_id: int | None = None,
) -> Audience:
    """Sort customers into those who get a message on ``channel`` and those who do not."""
    if channel not in CHANNELS:
        raise RetentionError(
            _("'{channel}' is not a channel: email, sms or letter.").format(channel=channel)
        )
    ids = list(dict.fromkeys(customer_ids))
    result = Audience(channel, skipped=dict.fromkeys(SKIP_REASONS, 0))
    consent = {"email": "c.consent_email", "sms": "c.consent_sms", "letter": "1"}[channel]
    since = (clock.now() - dt.timedelta(days=RECENT_DAYS)).isoformat(sep=" ")
    today = clock.today().isoformat()
    for chunk in _chunks(ids):
        rows = conn.execute(
            f"SELECT c.id, {consent}, c.recorded_status, {_BLOCKED},"
            " EXISTS (SELECT 1 FROM outbox o WHERE o.customer_id = c.id AND o.template_id = ?"
            "         AND o.status NOT IN ('cancelled', 'failed') AND o.created_at >= ?),"
            " c.email, c.mobile, c.phone, c.street, c.postcode, c.city, c.country"
            f" FROM customers c WHERE c.id IN ({', '.join('?' * len(chunk))})",
            [channel, tags.NO_END, today, template_id, since, *chunk],
        )
        for cid, consented, status, blocked, recent, *address in rows:
            if status == "deceased":
                reason = GONE
            elif blocked:
                reason = BLOCKED
            elif not consented:
                reason = NO_CONSENT
            elif recent:
                reason = RECENT
            elif channel == "letter" and status == "moved away":
                reason = NO_ADDRESS  # the postal address on file is an old one
            else:
                to = recipient(channel, *address)
                if to is None:
                    reason = NO_ADDRESS
                else:
                    result.ready.append((cid, to))
                    continue
            result.skipped[reason] += 1
    return result


def refusal(conn: sqlite3.Connection, customer_id: int, channel: str) -> str | None:
    """Why ``customer_id`` may not get a message on ``channel`` now (None: they may); the
    sender asks again right before sending, so consent withdrawn after queueing holds."""
    if channel == "letter":
        return None
    consent = {"email": "consent_email", "sms": "consent_sms"}[channel]
    row = conn.execute(
        f"SELECT {consent}, recorded_status, {_BLOCKED} FROM customers c WHERE c.id = ?",
        (channel, tags.NO_END, clock.today().isoformat(), customer_id),
    ).fetchone()
    if row is None:
        return None
    consented, status, blocked = row
    if status == "deceased":
        return GONE
    if blocked:
        return BLOCKED
    return None if consented else NO_CONSENT


# -- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queued:
    batch: str
    queued: int
    audience: Audience


def new_batch() -> str:
    """The id of one send: messages of a batch are queued once however often it is asked."""
    return uuid.uuid4().hex[:12]


def message_key(batch: str, customer_id: int) -> str:
    return f"rt-{batch}-{customer_id}"


def queue(
    conn: sqlite3.Connection,
    ref: str | int,
    customer_ids: Iterable[int],
    *,
    batch: str | None = None,
    offer: str = "",
    operator: str | None = None,
) -> Queued:
    """Write a message for every customer who may get it to the outbox, in one transaction;
    queueing the same ``batch`` again adds nothing."""
    found = template(conn, ref)
    if found.retired:
        raise RetentionError(_("The template '{name}' is retired.").format(name=found.name))
    if needs_offer(found, offer):
        raise RetentionError(
            _("The template '{name}' speaks of {{offer}}: say what the offer is.").format(
                name=found.name
            )
        )
    batch = batch or new_batch()
    operator = operator or audit.current_operator()
    now = clock.now().isoformat(sep=" ")
    with write(conn):
        who = audience(conn, customer_ids, found.channel, found.id)
        values = customer_values(conn, [cid for cid, _to in who.ready], offer)
        rows = []
        for cid, to in who.ready:
            key = message_key(batch, cid)
            voucher = voucher_code(key)
            subject, body = render(found, {**values[cid], "voucher": voucher})
            rows.append((cid, found.channel, to, subject, body, found.id, key, operator, now,
                         batch, voucher))  # fmt: skip
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO outbox (customer_id, channel, recipient, subject, body,"
            " template_id, idempotency_key, operator, created_at, batch, voucher)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        queued = conn.total_changes - before
        audit.record(
            conn, "queue messages", "outbox", None, operator=operator,
            new={"template": found.name, "channel": found.channel, "batch": batch,
                 "queued": queued, "skipped": {k: v for k, v in who.skipped.items() if v}},
        )  # fmt: skip
    return Queued(batch, queued, who)


def sms_parts(conn: sqlite3.Connection, ref: str | int, customer_ids: Sequence[int],
              offer: str = "") -> tuple[int, int, int]:  # fmt: skip
    """Fewest and most SMS parts one customer's message takes, and all parts together (what
    the gateway will bill), for a send of template ``ref``."""
    found = template(conn, ref)
    values = customer_values(conn, customer_ids, offer)
    sizes = [
        sms_length(render(found, {**v, "voucher": "XXXX-XXXX"})[1]).segments
        for v in values.values()
    ]
    return (min(sizes), max(sizes), sum(sizes)) if sizes else (0, 0, 0)


def needs_offer(found: Template, offer: str) -> bool:
    """True when the template speaks of {offer} and none was given."""
    return not offer.strip() and "{offer}" in f"{found.subject or ''}{found.body}"


def preview(conn: sqlite3.Connection, ref: str | int, customer_id: int,
            offer: str = "") -> tuple[str | None, str]:  # fmt: skip
    """What ``customer_id`` would read (the voucher code is an example)."""
    found = template(conn, ref)
    values = customer_values(conn, [customer_id], offer)
    if customer_id not in values:
        raise RetentionError(_("Customer {id} does not exist.").format(id=customer_id))
    return render(found, {**values[customer_id], "voucher": voucher_code(f"preview-{customer_id}")})


# -- letters ---------------------------------------------------------------------------------

LETTER_COLUMNS = (
    "customer_no", "name", "street", "postcode", "city", "country", "subject", "body",
    "voucher", "message_key",
)  # fmt: skip


def export_letters(conn: sqlite3.Connection, path: Path) -> int:
    """Write every queued letter to a mail-merge CSV (written whole or not at all), then mark
    them sent and book "letter sent"; return how many."""
    path = Path(path).expanduser()
    if not path.parent.is_dir():
        raise RetentionError(_("The folder {folder} does not exist.").format(folder=path.parent))
    with write(conn):
        rows = conn.execute(
            "SELECT o.id, o.customer_id, c.customer_no, c.name, c.street, c.postcode, c.city,"
            " c.country, o.subject, o.body, o.voucher, o.idempotency_key FROM outbox o"
            " LEFT JOIN customers c ON c.id = o.customer_id"
            " WHERE o.channel = 'letter' AND o.status = 'queued' ORDER BY o.id"
        ).fetchall()
        if not rows:
            return 0
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            with partial.open("w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(LETTER_COLUMNS)
                for row in rows:
                    writer.writerow(["" if v is None else v for v in row[2:]])
            partial.replace(path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise RetentionError(
                _("Cannot write {path}: {error}").format(path=path, error=error.strerror or error)
            ) from None
        now = clock.now().isoformat(sep=" ")
        conn.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, provider_id = ? WHERE id = ?",
            [(now, str(path), row[0]) for row in rows],
        )
        customers = [row[1] for row in rows if row[1] is not None]
        if customers:
            tags.book_automatic(conn, customers, tags.SENT_TAGS["letter"], path.name)
        audit.record(conn, "letters to mail merge", "outbox", None,
                     new={"file": str(path), "letters": len(rows)})  # fmt: skip
    return len(rows)
