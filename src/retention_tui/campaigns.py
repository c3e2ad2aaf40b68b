"""Campaigns and their call queues: templates, members, claims and outcomes.

A campaign is made by duplicating a template (built-in or saved by a user); its members come
from any list. A call session works the campaign's queue one customer at a time:

* due callbacks first, then members never called (oldest last visit first), then retries;
* taking the next member claims it in the database, in the same short write transaction
  that picked it, so two sessions (two advisors, two terminals, two processes) never get the
  same customer; a claim belongs to its session and expires after an idle timeout;
* every outcome is written the moment it is logged and moves the member on by its class:
  completed, follow-up (cool-down or callback, up to the campaign's maximum of attempts),
  no further action, or never again for this campaign.

The queue always explains itself (:func:`queue_state`): how many members are ready now, on
cool-down, waiting for a callback, claimed by another session, done, without a phone
number or not to be called.

The screens and the command line call these functions; nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import audit, clock, roles, settings
from .db import write
from .errors import RetentionError
from .i18n import _

KINDS = ("retention", "caring")
STATUSES = ("draft", "active", "closed")

# Outcomes as stored in ``calls.outcome``, and their one-word names on the command line.
OUTCOME_WORDS = {
    "reached": "reached",
    "no-answer": "no answer",
    "voicemail": "voicemail",
    "wrong-number": "wrong number",
    "callback": "callback",
    "not-interested": "not interested",
    "booked": "appointment booked",
    "already-booked": "already booked",
    "done-elsewhere": "done elsewhere",
    "vehicle-sold": "vehicle sold",
    "moved-away": "moved away",
    "do-not-call": "do not call",
}
OUTCOMES = tuple(OUTCOME_WORDS.values())

# The classes the best call centres sort outcomes into; each moves the member on its way.
COMPLETED = frozenset({"appointment booked", "reached"})
FOLLOW_UP = frozenset({"callback", "voicemail", "no answer"})
NO_FURTHER_ACTION = frozenset({"already booked", "done elsewhere", "not interested"})
NEVER_AGAIN = frozenset({"vehicle sold", "moved away", "wrong number", "do not call"})

_STATE_AFTER = {
    **dict.fromkeys(COMPLETED, "done"),
    **dict.fromkeys(NO_FURTHER_ACTION, "no further action"),
    **dict.fromkeys(NEVER_AGAIN, "never again"),
}
# What a "never again" outcome also records on the customer, for every campaign and list.
_RECORDED_STATUS = {"vehicle sold": "vehicle sold", "moved away": "moved away"}

CHANNELS = ("phone", "email", "sms", "letter")

DEFAULT_IDLE_MINUTES = 15

PLACEHOLDERS = ("name", "vehicle", "plate", "last_visit", "months_away", "advisor", "offer")

# Why a member is (not) in the queue now, in the order the session shows them.
QUEUE_STATES = (
    "ready now",
    "callback later",
    "on cool-down",
    "claimed by another advisor",
    "no phone number",
    "do not contact",
    "done",
)


def outcome_class(outcome: str) -> str:
    """'completed', 'follow-up', 'no further action' or 'never again'."""
    if outcome in COMPLETED:
        return "completed"
    if outcome in FOLLOW_UP:
        return "follow-up"
    if outcome in NO_FURTHER_ACTION:
        return "no further action"
    return "never again"


def outcome_from_word(word: str) -> str:
    """The stored outcome for a command-line word (``no-answer``) or a stored name."""
    key = word.strip().lower()
    if key in OUTCOME_WORDS:
        return OUTCOME_WORDS[key]
    if key in OUTCOMES:
        return key
    raise RetentionError(
        _("'{word}' is not a call outcome (one of: {known}).").format(
            word=word, known=", ".join(OUTCOME_WORDS)
        )
    )


# -- templates and campaigns ---------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    id: int
    key: str
    name: str
    kind: str
    offer: str
    script: str
    duration_days: int | None
    cooldown_days: int
    max_attempts: int
    builtin: bool

    @property
    def shown_name(self) -> str:
        """The name as the advisor reads it: a built-in template's in their language."""
        return _(self.name) if self.builtin else self.name


_TEMPLATE_COLUMNS = (
    "id, key, name, kind, coalesce(offer, ''), coalesce(script, ''), duration_days,"
    " cooldown_days, max_attempts, builtin"
)


def templates(conn: sqlite3.Connection) -> list[Template]:
    """Every template, the built-in ones first."""
    return [
        Template(*row[:9], bool(row[9]))
        for row in conn.execute(
            f"SELECT {_TEMPLATE_COLUMNS} FROM campaign_templates ORDER BY builtin DESC, id"
        )
    ]


def template(conn: sqlite3.Connection, key: str) -> Template:
    row = conn.execute(
        f"SELECT {_TEMPLATE_COLUMNS} FROM campaign_templates WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        known = ", ".join(t.key for t in templates(conn))
        raise RetentionError(
            _("There is no template '{key}' (there are: {known}).").format(key=key, known=known)
        )
    return Template(*row[:9], bool(row[9]))


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    kind: str
    status: str
    offer: str
    script: str
    starts_on: str
    ends_on: str | None
    cooldown_days: int
    max_attempts: int
    template_id: int | None

    def is_running(self, today: dt.date) -> bool:
        """Active and inside its period: its members carry the Retention / Caring badge."""
        day = today.isoformat()
        return (
            self.status == "active"
            and self.starts_on <= day
            and (self.ends_on is None or self.ends_on >= day)
        )


_CAMPAIGN_COLUMNS = (
    "id, name, kind, status, coalesce(offer, ''), coalesce(script, ''), starts_on, ends_on,"
    " cooldown_days, max_attempts, template_id"
)


def campaign(conn: sqlite3.Connection, campaign_id: int) -> Campaign:
    row = conn.execute(
        f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)
    ).fetchone()
    if row is None:
        raise RetentionError(_("There is no campaign {id}.").format(id=campaign_id))
    return Campaign(*row)


def campaigns(conn: sqlite3.Connection, *, include_closed: bool = True) -> list[Campaign]:
    where = "" if include_closed else " WHERE status != 'closed'"
    return [
        Campaign(*row)
        for row in conn.execute(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns{where}"
            " ORDER BY status = 'closed', starts_on DESC, id DESC"
        )
    ]


def _check_numbers(cooldown_days: int | None, max_attempts: int | None) -> None:
    if cooldown_days is not None and not 0 <= cooldown_days <= 365:
        raise RetentionError(_("The cool-down is a number of days from 0 to 365."))
    if max_attempts is not None and not 1 <= max_attempts <= 50:
        raise RetentionError(_("The maximum of attempts is a number from 1 to 50."))


def new_campaign(
    conn: sqlite3.Connection,
    template_key: str,
    name: str,
    *,
    offer: str | None = None,
    script: str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    cooldown_days: int | None = None,
    max_attempts: int | None = None,
) -> int:
    """A draft campaign duplicated from a template, with the given changes; returns its id."""
    roles.require_manager(conn, _("Building and changing campaigns is a manager's task."))
    name = " ".join(name.split())
    if not name:
        raise RetentionError(_("A campaign needs a name."))
    _check_numbers(cooldown_days, max_attempts)
    base = template(conn, template_key)
    start = starts_on or clock.today()
    end = ends_on
    if end is None and base.duration_days:
        end = start + dt.timedelta(days=base.duration_days)
    if end is not None and end < start:
        raise RetentionError(_("The campaign ends before it starts."))
    with write(conn):
        cursor = conn.execute(
            "INSERT INTO campaigns (name, kind, template_id, offer, script, starts_on, ends_on,"
            " cooldown_days, max_attempts, status, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
            (
                name,
                base.kind,
                base.id,
                base.offer if offer is None else offer,
                base.script if script is None else script,
                start.isoformat(),
                end.isoformat() if end else None,
                base.cooldown_days if cooldown_days is None else cooldown_days,
                base.max_attempts if max_attempts is None else max_attempts,
                audit.current_operator(),
                clock.now().isoformat(sep=" ", timespec="seconds"),
            ),
        )
        campaign_id = int(cursor.lastrowid or 0)
        audit.record(
            conn, "new campaign", "campaigns", campaign_id, new={"name": name, "template": base.key}
        )
    return campaign_id


def update_campaign(
    conn: sqlite3.Connection,
    campaign_id: int,
    *,
    name: str,
    offer: str,
    script: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    cooldown_days: int,
    max_attempts: int,
) -> None:
    """Change a campaign's name, offer, script, period and queue rules (audited)."""
    roles.require_manager(conn, _("Building and changing campaigns is a manager's task."))
    name = " ".join(name.split())
    if not name:
        raise RetentionError(_("A campaign needs a name."))
    _check_numbers(cooldown_days, max_attempts)
    if ends_on is not None and ends_on < starts_on:
        raise RetentionError(_("The campaign ends before it starts."))
    new = {
        "name": name, "offer": offer.strip(), "script": script.strip(),
        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat() if ends_on else None,
        "cooldown_days": cooldown_days, "max_attempts": max_attempts,
    }  # fmt: skip
    with write(conn):
        old = campaign(conn, campaign_id)
        conn.execute(
            "UPDATE campaigns SET name = :name, offer = :offer, script = :script,"
            " starts_on = :starts_on, ends_on = :ends_on, cooldown_days = :cooldown_days,"
            " max_attempts = :max_attempts WHERE id = :id",
            {**new, "id": campaign_id},
        )
        changed = {k: v for k, v in new.items() if getattr(old, k) != v}
        if changed:
            audit.record(
                conn, "edit campaign", "campaigns", campaign_id,
                old={k: getattr(old, k) for k in changed}, new=changed,
            )  # fmt: skip


def set_status(conn: sqlite3.Connection, campaign_id: int, status: str) -> None:
    """Activate (draft → active), close, or reopen a campaign."""
    roles.require_manager(conn, _("Building and changing campaigns is a manager's task."))
    if status not in STATUSES:
        raise RetentionError(_("'{status}' is not a campaign status.").format(status=status))
    with write(conn):
        old = campaign(conn, campaign_id).status
        if old == status:
            return
        conn.execute("UPDATE campaigns SET status = ? WHERE id = ?", (status, campaign_id))
        if status == "closed":
            conn.execute("DELETE FROM call_claims WHERE campaign_id = ?", (campaign_id,))
        audit.record(conn, "campaign status", "campaigns", campaign_id, old=old, new=status)


def save_as_template(conn: sqlite3.Connection, campaign_id: int, name: str) -> str:
    """Save a campaign's kind, offer, script and queue rules as a template; returns its key."""
    roles.require_manager(conn, _("Building and changing campaigns is a manager's task."))
    name = " ".join(name.split())
    if not name:
        raise RetentionError(_("A template needs a name."))
    source = campaign(conn, campaign_id)
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "template"
    with write(conn):
        if conn.execute("SELECT 1 FROM campaign_templates WHERE name = ?", (name,)).fetchone():
            raise RetentionError(_("A template named '{name}' exists already.").format(name=name))
        key, n = base, 1
        while conn.execute("SELECT 1 FROM campaign_templates WHERE key = ?", (key,)).fetchone():
            n += 1
            key = f"{base}-{n}"
        duration = None
        if source.ends_on:
            duration = (
                dt.date.fromisoformat(source.ends_on) - dt.date.fromisoformat(source.starts_on)
            ).days
        cursor = conn.execute(
            "INSERT INTO campaign_templates (key, builtin, name, kind, offer, script,"
            " duration_days, cooldown_days, max_attempts) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                name,
                source.kind,
                source.offer or None,
                source.script or None,
                duration,
                source.cooldown_days,
                source.max_attempts,
            ),
        )
        audit.record(
            conn, "save template", "campaign_templates", cursor.lastrowid, new={"key": key}
        )
    return key


# -- members ---------------------------------------------------------------------------------


def add_members(
    conn: sqlite3.Connection, campaign_id: int, customer_ids: Iterable[int], source: str
) -> int:
    """Add customers to a campaign (those already in it are left as they are); returns how
    many were added."""
    roles.require_manager(conn, _("Building and changing campaigns is a manager's task."))
    ids = list(dict.fromkeys(customer_ids))
    stamp = clock.now().isoformat(sep=" ", timespec="seconds")
    operator = audit.current_operator()
    with write(conn):
        found = campaign(conn, campaign_id)
        if found.status == "closed":
            raise RetentionError(
                _("The campaign '{name}' is closed; reopen it to add members.").format(
                    name=found.name
                )
            )
        before = conn.total_changes
        conn.executemany(
            "INSERT INTO campaign_members (campaign_id, customer_id, source, added_by, added_at,"
            " queue_rank) SELECT ?, id, ?, ?, ?, '1' || coalesce(last_visit, '') FROM customers"
            " WHERE id = ?"
            " ON CONFLICT (campaign_id, customer_id) DO NOTHING",
            ((campaign_id, source, operator, stamp, cid) for cid in ids),
        )
        added = conn.total_changes - before
        if added:
            audit.record(
                conn,
                "add members",
                "campaigns",
                campaign_id,
                new={"added": added, "source": source},
            )
    return added


def customer_ids_by_number(conn: sqlite3.Connection, numbers: Sequence[str]) -> list[int]:
    """The ids of the customers with these DMS numbers; unknown numbers are refused by name."""
    found: dict[str, int] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(
            conn.execute(
                f"SELECT customer_no, id FROM customers WHERE customer_no IN ({marks})", chunk
            ).fetchall()
        )
    unknown = [n for n in numbers if n not in found]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise RetentionError(
            _("{count} customer numbers are not known: {numbers}.").format(
                count=len(unknown), numbers=shown
            )
        )
    return [found[n] for n in numbers]


def remove_members(conn: sqlite3.Connection, campaign_id: int, customer_ids: Iterable[int]) -> int:
    """Take customers out of a campaign (their calls stay in the history)."""
    roles.require_manager(conn, _("Building and changing campaigns is a manager's task."))
    ids = list(customer_ids)
    with write(conn):
        before = conn.total_changes
        conn.executemany(
            "DELETE FROM campaign_members WHERE campaign_id = ? AND customer_id = ?",
            ((campaign_id, cid) for cid in ids),
        )
        removed = conn.total_changes - before
        conn.executemany(
            "DELETE FROM call_claims WHERE campaign_id = ? AND customer_id = ?",
            ((campaign_id, cid) for cid in ids),
        )
        if removed:
            audit.record(conn, "remove members", "campaigns", campaign_id, new={"removed": ids})
    return removed


def members_scope(campaign_id: int) -> tuple[str, list[int]]:
    """SQL (on ``customers c``) for the members of a campaign, for the desktop's list."""
    return (
        "c.id IN (SELECT customer_id FROM campaign_members WHERE campaign_id = ?)",
        [campaign_id],
    )


# -- do not contact ------------------------------------------------------------------------------


def set_do_not_contact(
    conn: sqlite3.Connection, customer_id: int, channel: str, reason: str | None
) -> None:
    """Block a channel for a customer, with the reason (``None`` lifts the block)."""
    if channel not in CHANNELS:
        raise RetentionError(_("'{channel}' is not a channel.").format(channel=channel))
    with write(conn):
        _block(conn, customer_id, channel, reason)


def _block(conn: sqlite3.Connection, customer_id: int, channel: str, reason: str | None) -> None:
    old = conn.execute(
        "SELECT reason FROM contact_blocks WHERE customer_id = ? AND channel = ?",
        (customer_id, channel),
    ).fetchone()
    if reason is None:
        conn.execute(
            "DELETE FROM contact_blocks WHERE customer_id = ? AND channel = ?",
            (customer_id, channel),
        )
    else:
        reason = " ".join(reason.split())
        if not reason:
            raise RetentionError(_("Say why the customer is not to be contacted."))
        conn.execute(
            "INSERT INTO contact_blocks (customer_id, channel, reason, operator, set_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, channel) DO UPDATE"
            " SET reason = excluded.reason, operator = excluded.operator,"
            " set_at = excluded.set_at",
            (
                customer_id,
                channel,
                reason,
                audit.current_operator(),
                clock.now().isoformat(sep=" ", timespec="seconds"),
            ),
        )
    audit.record(
        conn,
        f"do not contact: {channel}",
        "customers",
        customer_id,
        customer_id=customer_id,
        old=old[0] if old else None,
        new=reason,
    )


def blocked_channels(conn: sqlite3.Connection, customer_id: int) -> dict[str, str]:
    """The customer's blocked channels and why."""
    return dict(
        conn.execute(
            "SELECT channel, reason FROM contact_blocks WHERE customer_id = ?", (customer_id,)
        ).fetchall()
    )


# -- the queue -----------------------------------------------------------------------------------


def new_session(kind: str = "tui") -> str:
    """A session id: a claim belongs to it, not to the login name."""
    return f"{kind}:{uuid.uuid4().hex}"


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


_HAS_PHONE = "(coalesce(c.phone, '') != '' OR coalesce(c.mobile, '') != '')"
# Not to be called: the phone is blocked, or a recorded status says there is nobody to call.
_PHONE_BLOCKED = (
    "(coalesce(c.recorded_status, '') IN ('deceased', 'moved away', 'not our customer')"
    " OR EXISTS (SELECT 1 FROM contact_blocks d WHERE d.customer_id = m.customer_id"
    " AND d.channel = 'phone'))"
)
_CLAIMED_ELSEWHERE = (
    "EXISTS (SELECT 1 FROM call_claims k WHERE k.campaign_id = m.campaign_id"
    " AND k.customer_id = m.customer_id AND k.expires_at > :now AND k.session != :session)"
)

# Due callbacks first (by their time), then members never called (oldest last visit first),
# then retries whose cool-down is over (longest waiting first): the order of ``queue_rank``,
# which the index campaign_members_queue keeps, so the first member that may be called now
# is found without sorting the campaign.
_NEXT = f"""
SELECT m.customer_id,
       CASE WHEN m.last_outcome = 'callback' THEN 'callback due'
            WHEN m.attempts = 0 THEN 'first call' ELSE 'retry' END AS why
FROM campaign_members m JOIN customers c ON c.id = m.customer_id
WHERE m.campaign_id = :campaign AND m.state = 'open'
  AND (m.next_call_after IS NULL OR m.next_call_after <= :now)
  AND {_HAS_PHONE} AND NOT {_PHONE_BLOCKED} AND NOT {_CLAIMED_ELSEWHERE}
ORDER BY m.queue_rank, m.id
LIMIT 1
"""


@dataclass(frozen=True)
class Claim:
    campaign_id: int
    customer_id: int
    why: str  # 'callback due', 'first call' or 'retry'
    expires_at: str


def _idle(conn: sqlite3.Connection) -> dt.timedelta:
    minutes = settings.get(conn, "claim_idle_minutes")
    return dt.timedelta(minutes=int(DEFAULT_IDLE_MINUTES if minutes is None else minutes))


def _running(conn: sqlite3.Connection, campaign_id: int) -> Campaign:
    found = campaign(conn, campaign_id)
    if found.status == "draft":
        raise RetentionError(
            _("The campaign '{name}' is a draft: activate it first.").format(name=found.name)
        )
    if found.status == "closed":
        raise RetentionError(_("The campaign '{name}' is closed.").format(name=found.name))
    return found


def claim_next(conn: sqlite3.Connection, campaign_id: int, session: str) -> Claim | None:
    """Take the next member of the queue for ``session``, atomically; ``None`` when nothing
    is ready now (:func:`queue_state` says why). The session's earlier claim on this
    campaign is given up: a session works one customer at a time."""
    now = clock.now()
    with write(conn):
        _running(conn, campaign_id)
        expires = _stamp(now + _idle(conn))
        conn.execute(
            "DELETE FROM call_claims WHERE campaign_id = ? AND (session = ? OR expires_at <= ?)",
            (campaign_id, session, _stamp(now)),
        )
        row = conn.execute(
            _NEXT, {"campaign": campaign_id, "now": _stamp(now), "session": session}
        ).fetchone()
        if row is None:
            return None
        customer_id, why = row
        conn.execute(
            "INSERT INTO call_claims (campaign_id, customer_id, operator, claimed_at,"
            " expires_at, session) VALUES (?, ?, ?, ?, ?, ?)",
            (campaign_id, customer_id, audit.current_operator(), _stamp(now), expires, session),
        )
    return Claim(campaign_id, customer_id, why, expires)


def current_claim(conn: sqlite3.Connection, campaign_id: int, session: str) -> Claim | None:
    """The member ``session`` holds now, if its claim is still alive (a session that
    resumes after a crash finds its customer again)."""
    row = conn.execute(
        """
        SELECT k.customer_id,
               CASE WHEN m.last_outcome = 'callback' THEN 'callback due'
                    WHEN m.attempts = 0 THEN 'first call' ELSE 'retry' END, k.expires_at
        FROM call_claims k JOIN campaign_members m
          ON m.campaign_id = k.campaign_id AND m.customer_id = k.customer_id
        WHERE k.campaign_id = ? AND k.session = ? AND k.expires_at > ? AND m.state = 'open'
        """,
        (campaign_id, session, _stamp(clock.now())),
    ).fetchone()
    return Claim(campaign_id, row[0], row[1], row[2]) if row else None


def keep_alive(conn: sqlite3.Connection, session: str) -> None:
    """The session is busy: its claims start their idle timeout again."""
    with write(conn):
        conn.execute(
            "UPDATE call_claims SET expires_at = ? WHERE session = ?",
            (_stamp(clock.now() + _idle(conn)), session),
        )


def release(conn: sqlite3.Connection, session: str) -> None:
    """Give up every claim of a session (it ends)."""
    with write(conn):
        conn.execute("DELETE FROM call_claims WHERE session = ?", (session,))


def queue_state(conn: sqlite3.Connection, campaign_id: int, session: str = "") -> dict[str, int]:
    """How many members are in each of :data:`QUEUE_STATES` now, for ``session``."""
    now = _stamp(clock.now())
    counts = dict.fromkeys(QUEUE_STATES, 0)
    for state, n in conn.execute(
        f"""
        SELECT CASE
            WHEN m.state != 'open' THEN 'done'
            WHEN NOT {_HAS_PHONE} THEN 'no phone number'
            WHEN {_PHONE_BLOCKED} THEN 'do not contact'
            WHEN {_CLAIMED_ELSEWHERE} THEN 'claimed by another advisor'
            WHEN m.next_call_after > :now AND m.last_outcome = 'callback' THEN 'callback later'
            WHEN m.next_call_after > :now THEN 'on cool-down'
            ELSE 'ready now' END AS bucket, count(*)
        FROM campaign_members m JOIN customers c ON c.id = m.customer_id
        WHERE m.campaign_id = :campaign
        GROUP BY bucket
        """,
        {"campaign": campaign_id, "now": now, "session": session},
    ):
        counts[state] = n
    return counts


# -- outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    call_id: int
    state: str  # the member's state afterwards
    next_call_after: str | None


def log_outcome(
    conn: sqlite3.Connection,
    campaign_id: int,
    customer_id: int,
    outcome: str,
    *,
    session: str,
    note: str = "",
    callback_at: dt.datetime | None = None,
    nps: int | None = None,
    allow_claims_of: str | None = None,
) -> Logged:
    """Log a campaign call the moment it is made and move the member on by its class.

    Refused when another session holds the member's claim (unless that session's id starts
    with ``allow_claims_of``: the command line may log what the command line claimed). The
    session's claim on the member is released.
    """
    outcome = outcome_from_word(outcome)
    if outcome == "callback" and callback_at is None:
        raise RetentionError(_("A callback needs a date and time to call back."))
    now = clock.now()
    if callback_at is not None and callback_at <= now:
        raise RetentionError(
            _("The callback time {when} has passed.").format(when=_stamp(callback_at)[:16])
        )
    if nps is not None and not 0 <= nps <= 10:
        raise RetentionError(_("An NPS score is a whole number from 0 to 10."))
    operator = audit.current_operator()
    with write(conn):
        found = _running(conn, campaign_id)
        member = conn.execute(
            "SELECT attempts, state FROM campaign_members"
            " WHERE campaign_id = ? AND customer_id = ?",
            (campaign_id, customer_id),
        ).fetchone()
        if member is None:
            raise RetentionError(
                _("Customer {customer} is not a member of the campaign '{name}'.").format(
                    customer=_customer_no(conn, customer_id), name=found.name
                )
            )
        holder = conn.execute(
            "SELECT session, operator FROM call_claims WHERE campaign_id = ? AND customer_id = ?"
            " AND expires_at > ?",
            (campaign_id, customer_id, _stamp(now)),
        ).fetchone()
        if (
            holder is not None
            and holder[0] != session
            and not (allow_claims_of and holder[0].startswith(allow_claims_of))
        ):
            raise RetentionError(
                _(
                    "Customer {customer} is being called by {operator} in another session; "
                    "nothing was logged."
                ).format(customer=_customer_no(conn, customer_id), operator=holder[1])
            )
        attempts = member[0] + 1
        state = _STATE_AFTER.get(outcome, "open")
        next_call_after = None
        if outcome == "callback":
            assert callback_at is not None
            next_call_after = _stamp(callback_at)
        elif outcome in FOLLOW_UP:
            if attempts >= found.max_attempts:
                state = "no further action"  # the attempts are used up
            else:
                next_call_after = _stamp(now + dt.timedelta(days=found.cooldown_days))
        cursor = conn.execute(
            "INSERT INTO calls (customer_id, campaign_id, operator, called_at, outcome, note,"
            " callback_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id,
                campaign_id,
                operator,
                _stamp(now),
                outcome,
                note.strip() or None,
                _stamp(callback_at)[:16] if callback_at else None,
            ),
        )
        call_id = int(cursor.lastrowid or 0)
        conn.execute(
            "UPDATE campaign_members SET attempts = ?, state = ?, next_call_after = ?,"
            " last_outcome = ?, last_called_at = ?, queue_rank = ?"
            " WHERE campaign_id = ? AND customer_id = ?",
            (
                attempts, state, next_call_after, outcome, _stamp(now),
                ("0" if outcome == "callback" else "2") + (next_call_after or ""),
                campaign_id, customer_id,
            ),
        )  # fmt: skip
        conn.execute(
            "DELETE FROM call_claims WHERE campaign_id = ? AND customer_id = ?",
            (campaign_id, customer_id),
        )
        audit.record(
            conn,
            "log call",
            "calls",
            call_id,
            customer_id=customer_id,
            new={"campaign": campaign_id, "outcome": outcome, "note": note.strip() or None},
        )
        if outcome == "do not call":
            _block(conn, customer_id, "phone", _("asked not to be called"))
        if outcome in _RECORDED_STATUS:
            from .customers import record_status_in

            record_status_in(conn, customer_id, _RECORDED_STATUS[outcome])
        if nps is not None:
            from .customers import record_nps_in

            record_nps_in(conn, customer_id, nps, call_id)
    return Logged(call_id, state, next_call_after)


def add_note(conn: sqlite3.Connection, call_id: int, text: str) -> None:
    """Add a note to a call already logged (the advisor thought of it after the outcome)."""
    text = " ".join(text.split())
    if not text:
        return
    with write(conn):
        row = conn.execute("SELECT note, customer_id FROM calls WHERE id = ?", (call_id,))
        found = row.fetchone()
        if found is None:
            raise RetentionError(_("That call is not there any more."))
        note = f"{found[0]} · {text}" if found[0] else text
        conn.execute("UPDATE calls SET note = ? WHERE id = ?", (note, call_id))
        audit.record(
            conn, "call note", "calls", call_id, customer_id=found[1], old=found[0], new=note
        )


@dataclass(frozen=True)
class Membership:
    """A customer's part in one campaign, for the card and the call session."""

    campaign: str
    kind: str
    status: str
    state: str
    attempts: int
    last_outcome: str | None
    last_called_at: str | None
    came_back_on: str | None  # the first visit after the first call


def customer_history(conn: sqlite3.Connection, customer_id: int) -> list[Membership]:
    """Every campaign the customer was a member of, the newest first, with its result."""
    return [
        Membership(*row)
        for row in conn.execute(
            """
            SELECT k.name, k.kind, k.status, m.state, m.attempts, m.last_outcome,
                   m.last_called_at,
                   (SELECT min(v.date) FROM visits v WHERE v.customer_id = m.customer_id
                    AND v.date > (SELECT substr(min(c.called_at), 1, 10) FROM calls c
                                  WHERE c.campaign_id = m.campaign_id
                                  AND c.customer_id = m.customer_id))
            FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id
            WHERE m.customer_id = ?
            ORDER BY k.starts_on DESC, k.id DESC
            """,
            (customer_id,),
        )
    ]


def _customer_no(conn: sqlite3.Connection, customer_id: int) -> str:
    row = conn.execute("SELECT customer_no FROM customers WHERE id = ?", (customer_id,)).fetchone()
    return row[0] if row else str(customer_id)


# -- the script ------------------------------------------------------------------------------


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Put the customer's values into a script or offer; unknown placeholders stay as typed
    (a value is never read as a placeholder itself)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def script_values(conn: sqlite3.Connection, campaign_id: int, customer_id: int) -> dict[str, str]:
    """The placeholder values of a customer in a campaign (those of a message, without the
    voucher and the workshop)."""
    from .messages import customer_values  # messages fills its texts with fill() from here

    found = campaign(conn, campaign_id)
    values = customer_values(conn, [customer_id], found.offer).get(customer_id)
    if values is None:
        raise RetentionError(_("Customer {id} does not exist.").format(id=customer_id))
    del values["workshop"]
    return values


# -- effectiveness ---------------------------------------------------------------------------

# A contact was made: everything but the attempts that reached nobody.
REACHED = frozenset(OUTCOMES) - {"no answer", "voicemail", "wrong number"}
CAME_BACK_DAYS = (30, 60, 90)


@dataclass(frozen=True)
class EffectRow:
    """One line of a campaign's effectiveness: the campaign, an outcome, an advisor, or the
    comparable customers nobody called."""

    section: str  # 'campaign', 'outcome', 'advisor' or 'comparable'
    name: str
    members: int
    called: int
    reached: int
    appointments: int
    came_back: tuple[int, int, int]  # within 30 / 60 / 90 days of the (first) call

    @property
    def conversion(self) -> float | None:
        """The share of the called (all, for the comparable) who came back within 90 days."""
        base = self.members if self.section == "comparable" else self.called
        return self.came_back[2] / base if base else None


EFFECT_HEADER = [
    "section", "name", "members", "called", "reached", "appointments",
    "came_back_30", "came_back_60", "came_back_90", "conversion",
]  # fmt: skip


def _effect(section: str, name: str, members: list[tuple]) -> EffectRow:
    """``members``: (customer_id, first call, outcomes, operators, visit after the call)."""
    called = [m for m in members if m[1]]

    def back_within(days: int, member: tuple) -> bool:
        first_call, returned = member[1], member[4]
        if not returned:
            return False
        limit = dt.date.fromisoformat(first_call[:10]) + dt.timedelta(days=days)
        return returned <= limit.isoformat()

    return EffectRow(
        section,
        name,
        len(members),
        len(called),
        sum(1 for m in called if m[2] & REACHED),
        sum(1 for m in called if "appointment booked" in m[2]),
        tuple(sum(back_within(d, m) for m in called) for d in CAME_BACK_DAYS),  # type: ignore[arg-type]
    )


def effectiveness(conn: sqlite3.Connection, campaign_id: int) -> list[EffectRow]:
    """Members, called, reached, appointments and who came back after the call, for the whole
    campaign, per last outcome and per advisor; and, beside it, how many comparable customers
    nobody called came back (last seen in the same months before the campaign started, in no
    campaign at all, counted from the campaign's start)."""
    found = campaign(conn, campaign_id)
    members: list[tuple] = []
    # One statement: each member's calls folded, then the first visit after the first call
    # looked up through the visits' customer index (not a query per member from Python).
    for customer_id, first_call, outcomes, operators, last_outcome, returned in conn.execute(
        """
        WITH called AS (
            SELECT m.customer_id, min(k.called_at) AS first_call,
                   group_concat(k.outcome, '|') AS outcomes,
                   group_concat(k.operator, '|') AS operators, m.last_outcome
            FROM campaign_members m
            LEFT JOIN calls k ON k.campaign_id = m.campaign_id AND k.customer_id = m.customer_id
            WHERE m.campaign_id = ?
            GROUP BY m.customer_id
        )
        SELECT called.*,
               CASE WHEN first_call IS NOT NULL THEN
                   (SELECT min(v.date) FROM visits v WHERE v.customer_id = called.customer_id
                    AND v.date > substr(first_call, 1, 10)) END
        FROM called
        """,
        (campaign_id,),
    ):
        members.append(
            (
                customer_id,
                first_call,
                set((outcomes or "").split("|")) - {""},
                set((operators or "").split("|")) - {""},
                returned,
                last_outcome,
            )
        )
    rows = [_effect("campaign", found.name, members)]
    for outcome in OUTCOMES:
        group = [m for m in members if m[5] == outcome]
        if group:
            rows.append(_effect("outcome", outcome, group))
    not_called = [m for m in members if not m[1]]
    if not_called:
        rows.append(_effect("outcome", "not called yet", not_called))
    for operator in sorted({o for m in members for o in m[3]}):
        rows.append(_effect("advisor", operator, [m for m in members if operator in m[3]]))
    rows.append(_comparable(conn, found))
    return rows


def _comparable(conn: sqlite3.Connection, found: Campaign) -> EffectRow:
    start = found.starts_on
    limits = [
        (dt.date.fromisoformat(start) + dt.timedelta(days=d)).isoformat() for d in CAME_BACK_DAYS
    ]
    # Each member's last visit month before the start; the comparable were last seen in one of
    # those months too, and are in no campaign at all.
    row = conn.execute(
        f"""
        WITH last_seen AS (
            SELECT c.id, (SELECT substr(max(v.date), 1, 7) FROM visits v
                          WHERE v.customer_id = c.id AND v.date < :start) AS month
            FROM customers c
        ),
        member_months AS (
            SELECT DISTINCT l.month FROM last_seen l
            JOIN campaign_members m ON m.customer_id = l.id AND m.campaign_id = :campaign
            WHERE l.month IS NOT NULL
        ),
        comparable AS (
            SELECT l.id FROM last_seen l JOIN member_months USING (month)
            WHERE NOT EXISTS (SELECT 1 FROM campaign_members m WHERE m.customer_id = l.id)
        ),
        returned AS (
            SELECT c.id, (SELECT min(v.date) FROM visits v
                          WHERE v.customer_id = c.id AND v.date >= :start) AS back
            FROM comparable c
        )
        SELECT count(*), {
            ", ".join(f"sum(back IS NOT NULL AND back <= :limit{i})" for i in range(len(limits)))
        }
        FROM returned
        """,
        {"start": start, "campaign": found.id, **{f"limit{i}": v for i, v in enumerate(limits)}},
    ).fetchone()
    total, *back = (value or 0 for value in row)
    return EffectRow(
        "comparable", _("not called, seen in the same months"), total, 0, 0, 0,
        tuple(back),  # type: ignore[arg-type]
    )  # fmt: skip
