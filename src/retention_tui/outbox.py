"""The outbox: every message is written here first and sent in the background.

A message is ``queued``; a sender claims it in its own short transaction (``sending``, who
and when) right before handing it to the SMTP server or the SMS gateway, and records the
result in another: ``sent``; back to ``queued`` with a later attempt time after a passing
error (backoff doubling from 30 seconds to an hour, at most :data:`MAX_ATTEMPTS` tries);
``failed`` after a lasting one; ``unknown`` when the message may or may not have gone out
(the gateway stopped answering after it had the message, or the sender died while sending).
An unknown message is never sent again by itself: the advisor checks and chooses retry (the
same Message-ID and client reference, so the receiving side can recognise it) or cancel.

A sender that is killed leaves at most the one message it was sending as ``sending``;
:func:`recover` turns that into ``unknown`` as soon as the process is gone (same host) or its
claim is older than the lease. Rate limits (messages per minute per channel) are counted in
the database, so several senders together keep to them. Nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import audit, clock, i18n, settings, tags
from . import messages as msg
from .db import write
from .errors import RetentionError
from .i18n import _

STATUSES = ("queued", "sending", "sent", "failed", "unknown", "cancelled")
SENDABLE = ("email", "sms")  # letters leave as a mail-merge file (messages.export_letters)
MAX_ATTEMPTS = 8
BACKOFF_FIRST = 30  # seconds; doubles per attempt
BACKOFF_MOST = 3600
LEASE_SECONDS = 300  # a claim older than this belongs to a sender that is gone
DEFAULT_RATES = {"email": 120, "sms": 30}  # messages per minute


def status_label(status: str) -> str:
    return {
        "queued": _("queued"),
        "sending": _("sending"),
        "sent": _("sent"),
        "failed": _("failed"),
        "unknown": _("unknown: may have gone out"),
        "cancelled": _("cancelled"),
    }.get(status, status)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


def sender_id() -> str:
    """Who is sending: host, process and a random part (one process may run two senders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _alive(claimed_by: str | None) -> bool | None:
    """Whether the sender that made a claim still runs (None: cannot tell, another host)."""
    host, _sep, rest = (claimed_by or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One row of the outbox as the screen, the card and ``outbox list`` show it."""

    id: int
    customer_id: int | None
    customer_no: str
    name: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    key: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    sent_at: str | None
    template: str
    operator: str


_MESSAGE_SQL = (
    "SELECT o.id, o.customer_id, coalesce(c.customer_no, ''), coalesce(c.name, ''), o.channel,"
    " o.recipient, o.subject, o.body, o.idempotency_key, o.status, o.attempts,"
    " o.next_attempt_at, o.last_error, o.created_at, o.sent_at, coalesce(t.name, ''),"
    " o.operator FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id"
    " LEFT JOIN message_templates t ON t.id = o.template_id"
)


def messages(
    conn: sqlite3.Connection,
    status: str | None = None,
    *,
    customer_id: int | None = None,
    limit: int = 1000,
) -> list[Message]:
    """The newest messages first, of one status or customer if asked."""
    where, params = [], []
    if status:
        if status not in STATUSES:
            raise RetentionError(
                _("'{status}' is not a state: {states}.").format(
                    status=status, states=", ".join(STATUSES)
                )
            )
        where.append("o.status = ?")
        params.append(status)
    if customer_id is not None:
        where.append("o.customer_id = ?")
        params.append(customer_id)
    sql = _MESSAGE_SQL + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = conn.execute(f"{sql} ORDER BY o.id DESC LIMIT ?", (*params, limit))
    return [Message(*row) for row in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many messages are in each state."""
    found = dict.fromkeys(STATUSES, 0)
    for status, n in conn.execute("SELECT status, count(*) FROM outbox GROUP BY status"):
        found[status] = n
    return found


# -- the advisor's choices -------------------------------------------------------------------


def _change(conn: sqlite3.Connection, ids: Iterable[int], allowed: Sequence[str], sets: str,
            action: str) -> int:  # fmt: skip
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    marks = ", ".join("?" * len(allowed))
    with write(conn):
        changed = 0
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            changed += conn.execute(
                f"UPDATE outbox SET {sets} WHERE status IN ({marks})"
                f" AND id IN ({', '.join('?' * len(chunk))})",
                (*allowed, *chunk),
            ).rowcount
        audit.record(conn, action, "outbox", None, new={"ids": wanted[:100], "changed": changed})
    return changed


def retry(conn: sqlite3.Connection, ids: Iterable[int]) -> int:
    """Queue failed, unknown or cancelled messages again (same Message-ID and reference);
    return how many."""
    return _change(
        conn, ids, ("failed", "unknown", "cancelled"),
        "status = 'queued', next_attempt_at = NULL, attempts = 0, claimed_by = NULL",
        "retry messages",
    )  # fmt: skip


def cancel(conn: sqlite3.Connection, ids: Iterable[int]) -> int:
    """Cancel messages not yet sent (queued, failed, unknown); return how many."""
    return _change(
        conn, ids, ("queued", "failed", "unknown"), "status = 'cancelled'", "cancel messages"
    )


def ids_in(conn: sqlite3.Connection, status: str) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM outbox WHERE status = ?", (status,))]


def recover(conn: sqlite3.Connection, lease_seconds: int = LEASE_SECONDS) -> int:
    """Mark ``unknown`` what a vanished sender was sending; return how many."""
    now = clock.now()
    old = _stamp(now - dt.timedelta(seconds=lease_seconds))
    stale = [
        row_id
        for row_id, claimed_by, claimed_at in conn.execute(
            "SELECT id, claimed_by, claimed_at FROM outbox WHERE status = 'sending'"
        )
        if _alive(claimed_by) is False or (claimed_at or "") < old
    ]
    if not stale:
        return 0
    with write(conn):
        changed = 0
        for row_id in stale:
            changed += conn.execute(
                "UPDATE outbox SET status = 'unknown', last_error = ? WHERE id = ?"
                " AND status = 'sending'",
                (_("The sender stopped while sending it: it may or may not have gone out. "
                   "Check with the customer, then retry or cancel."), row_id),
            ).rowcount  # fmt: skip
    return changed


# -- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    customer_id: int | None
    channel: str
    recipient: str
    subject: str | None
    body: str
    key: str
    attempts: int
    template: str


def rates(conn: sqlite3.Connection) -> dict[str, int]:
    """Messages per minute per channel (the setting ``rate_per_minute``)."""
    stored = settings.get(conn, "rate_per_minute") or {}
    return {channel: int(stored.get(channel, DEFAULT_RATES[channel])) for channel in SENDABLE}


def _open_slots(conn: sqlite3.Connection, channels: Sequence[str], now: dt.datetime
                ) -> tuple[list[str], float]:  # fmt: skip
    """The channels that may send now, and (when none) the seconds until one may."""
    limits = rates(conn)
    since = _stamp(now - dt.timedelta(seconds=60))
    open_now: list[str] = []
    wait = 60.0
    for channel in channels:
        limit = limits[channel]
        if limit <= 0:
            continue
        # The limit-th newest claim of the last minute, if there is one: the limit is
        # reached, and a slot frees when it is a minute old (reads at most ``limit`` rows).
        row = conn.execute(
            "SELECT claimed_at FROM outbox WHERE channel = ? AND claimed_at >= ?"
            " ORDER BY claimed_at DESC LIMIT 1 OFFSET ?",
            (channel, since, limit - 1),
        ).fetchone()
        if row is None:
            open_now.append(channel)
        else:
            freed = dt.datetime.fromisoformat(row[0]) + dt.timedelta(seconds=60) - now
            wait = min(wait, max(freed.total_seconds(), 0.05))
    return open_now, wait


_CLAIM_SQL = (
    "SELECT o.id, o.customer_id, o.channel, o.recipient, o.subject, o.body,"
    " o.idempotency_key, o.attempts, coalesce(t.name, '') FROM outbox o"
    " LEFT JOIN message_templates t ON t.id = o.template_id"
)


def _next_due(conn: sqlite3.Connection, channels: Sequence[str], stamp: str) -> Any:
    """The next message to send on ``channels``: retries that are due first (oldest due
    first), then new ones in queue order; each a lookup in the index, however long the
    queue."""
    found = []
    for channel in channels:
        for where in (
            "o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?"
            " ORDER BY o.next_attempt_at, o.id",
            "o.next_attempt_at IS NULL AND ? IS NOT NULL ORDER BY o.id",
        ):
            row = conn.execute(
                f"{_CLAIM_SQL} WHERE o.status = 'queued' AND o.channel = ? AND {where} LIMIT 1",
                (channel, stamp),
            ).fetchone()
            if row is not None:
                found.append(row)
                break
    return min(found, key=lambda r: r[0]) if found else None


def claim(conn: sqlite3.Connection, sender: str, channels: Sequence[str] = SENDABLE
          ) -> Claim | float | None:  # fmt: skip
    """Claim the next due message for ``sender``, atomically. None when nothing is due; a
    number of seconds to wait when the rate limit holds the due messages back."""
    now = clock.now()
    stamp = _stamp(now)
    with write(conn):
        open_now, wait = _open_slots(conn, channels, now)
        held = [c for c in channels if c not in open_now]

        def nothing_now() -> float | None:
            # Messages held back by a rate limit: wait; otherwise nothing is due.
            if held and _next_due(conn, held, stamp) is not None:
                return wait
            return None

        while True:
            row = _next_due(conn, open_now, stamp) if open_now else None
            if row is None:
                return nothing_now()
            # Consent withdrawn or a block set since it was queued: it is not sent.
            refused = msg.refusal(conn, row[1], row[2]) if row[1] is not None else None
            if refused is None:
                break
            conn.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ?",
                (_("Not sent: {reason} since it was queued.").format(
                    reason=msg.skip_label(refused)), row[0]),
            )  # fmt: skip
        conn.execute(
            "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?,"
            " attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
            (sender, stamp, row[0]),
        )
    return Claim(*row[:7], row[7] + 1, row[8])  # type: ignore[misc]


def backoff(attempts: int, first: int = BACKOFF_FIRST) -> int:
    """Seconds before try ``attempts + 1``: ``first``, doubling, at most an hour."""
    return min(first * 2 ** max(attempts - 1, 0), BACKOFF_MOST)


def mark_sent(conn: sqlite3.Connection, claimed: Claim, sender: str, provider_id: str) -> None:
    """Record a message as sent and book the channel's "sent" tag on the customer."""
    with write(conn):
        done = conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, provider_id = ?, last_error = NULL"
            " WHERE id = ? AND status = 'sending' AND claimed_by = ?",
            (_stamp(clock.now()), provider_id, claimed.id, sender),
        ).rowcount
        if done and claimed.customer_id is not None:
            tags.book_automatic(
                conn, [claimed.customer_id], tags.SENT_TAGS[claimed.channel], claimed.template
            )


def mark_failed(conn: sqlite3.Connection, claimed: Claim, sender: str, kind: str,
                error: str) -> str:  # fmt: skip
    """Record what went wrong; return the new state."""
    if kind == "unknown":
        status, next_at = "unknown", None
    elif kind == "transient" and claimed.attempts < MAX_ATTEMPTS:
        status = "queued"
        stored = settings.get(conn, "outbox_retry_seconds")
        first = BACKOFF_FIRST if stored is None else int(stored)
        wait = backoff(claimed.attempts, first)
        next_at = _stamp(clock.now() + dt.timedelta(seconds=wait))
    else:
        status, next_at = "failed", None
    with write(conn):
        conn.execute(
            "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ?"
            " WHERE id = ? AND status = 'sending' AND claimed_by = ?",
            (status, next_at, error, claimed.id, sender),
        )
    return status


def give_back(conn: sqlite3.Connection, claimed: Claim, sender: str, error: str) -> None:
    """Return a claimed message to the queue untried (its channel cannot send now)."""
    with write(conn):
        conn.execute(
            "UPDATE outbox SET status = 'queued', attempts = attempts - 1, last_error = ?"
            " WHERE id = ? AND status = 'sending' AND claimed_by = ?",
            (error, claimed.id, sender),
        )


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    not_set_up: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [
            text.format(n=i18n.number(n))
            for n, text in (
                (self.sent, _("{n} sent")),
                (self.retrying, _("{n} to try again later")),
                (self.failed, _("{n} failed")),
                (self.unknown, _("{n} of unknown fate (see the outbox)")),
            )
            if n
        ]
        text = (", ".join(parts) + ".") if parts else _("Nothing was sent.")
        for problem in self.not_set_up.values():
            text += " " + problem
        return text


def open_channels(conn: sqlite3.Connection, report: SendReport) -> dict[str, Any]:
    """The channels that are set up (the others are named in ``report``)."""
    from .channels import open_channel

    opened: dict[str, Any] = {}
    for name, key in (("email", "smtp"), ("sms", "sms_gateway")):
        config = settings.get(conn, key)
        waiting = conn.execute(
            "SELECT 1 FROM outbox WHERE status = 'queued' AND channel = ? LIMIT 1", (name,)
        ).fetchone()
        if not config and not waiting:
            continue  # not set up, and nothing waits for it
        if not config:
            report.not_set_up[name] = _(
                "{channel} is not set up, so those messages wait: retention-tui messages "
                "setup {name} …"
            ).format(channel=_("Email") if name == "email" else _("SMS"), name=name)
            continue
        try:
            opened[name] = open_channel(name, config)
        except RetentionError as problem:
            report.not_set_up[name] = problem.message
    return opened


def send_due(
    conn: sqlite3.Connection,
    channels: dict[str, Any],
    *,
    sender: str | None = None,
    report: SendReport | None = None,
    limit: int | None = None,
    stop: Callable[[], bool] | None = None,
    wait_for_rate: bool = True,
    progress: Callable[[SendReport], None] | None = None,
) -> SendReport:
    """Send what is due on ``channels`` until nothing is (or ``limit`` messages, or
    ``stop()``); the rate limit is waited out unless ``wait_for_rate`` is False."""
    from .channels import SendError

    sender = sender or sender_id()
    report = report or SendReport()
    names = [n for n in SENDABLE if n in channels]
    handled = 0
    while names and (limit is None or handled < limit) and not (stop and stop()):
        claimed = claim(conn, sender, names)
        if claimed is None:
            break
        if isinstance(claimed, float):
            if not wait_for_rate:
                break
            time.sleep(min(claimed, 1.0))
            continue
        handled += 1
        try:
            provider_id = channels[claimed.channel].send(_outgoing(claimed))
        except SendError as error:
            if error.channel_wide:
                # The setup is at fault (a wrong password …): every message would fail the
                # same way. This one goes back as it was; the channel waits for its fix.
                give_back(conn, claimed, sender, error.message)
                report.not_set_up[claimed.channel] = error.message
                names.remove(claimed.channel)
                continue
            state = mark_failed(conn, claimed, sender, error.kind, error.message)
            if state == "queued":
                report.retrying += 1
            elif state == "unknown":
                report.unknown += 1
            else:
                report.failed += 1
        else:
            mark_sent(conn, claimed, sender, provider_id)
            report.sent += 1
        if progress:
            progress(report)
    return report


def _outgoing(claimed: Claim) -> Any:
    from .channels import Outgoing

    return Outgoing(claimed.key, claimed.recipient, claimed.subject, claimed.body)


def next_due_in(conn: sqlite3.Connection) -> float | None:
    """Seconds until the next queued message is due (None: nothing queued)."""
    row = conn.execute(
        "SELECT min(coalesce(next_attempt_at, '')) FROM outbox WHERE status = 'queued'"
        " AND channel IN ('email', 'sms')"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    if not row[0]:
        return 0.0
    return max((dt.datetime.fromisoformat(row[0]) - clock.now()).total_seconds(), 0.0)
