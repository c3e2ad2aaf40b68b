"""Tags: a catalogue of customer properties, and tags on customers.

A catalogue entry (``tags``) has a code, a label, a group, a default validity in days (a
purchase interest lives about half a year) and says whether it takes a school grade (1–6) and
whether the app books it by itself (SMS sent, dunned, complaint). Entries in use are retired,
not deleted: they are no longer offered, and what was booked stays and still filters.

A tag on a customer (``customer_tags``) applies from a day (``set_on``), may carry a grade, a
valid-until day (inclusive: it counts on that day and not after), a follow-up day (it then
shows on the agenda) and a note. Expired tags stay on the card, greyed; no filter counts them.
A customer holds a code once while it is valid: tagging again refreshes it.

The filter language for tags lives with the rest of the filter language in ``customer_list``;
purchase interests and vehicles taken in trade are in ``trade_ins``. Nothing here imports
Textual.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process

from . import audit, clock, roles
from .db import write
from .db.connection import rows_at_once
from .errors import RetentionError
from .i18n import _
from .textfold import fold

GROUPS = ("service", "interest", "relationship", "account", "contact", "other")
GRADES = range(1, 7)
# A valid-until day for tags without an end, so one comparison tests validity.
NO_END = "9999-12-31"
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")

# The automatic tags, booked by the app itself.
SENT_TAGS = {"sms": "sms-sent", "email": "email-sent", "letter": "letter-sent"}
DUNNED = "dunned"
COMPLAINT = "complaint"

# Words in a traffic light's reason that mean money is owed, or a complaint is open
# (folded: no accents, lower case), in the workshops' languages.
_PAYMENT_WORDS = (
    "invoice", "overdue", "unpaid", "payment", "dunning", "reminder sent", "debt", "owes",
    "factuur", "betaling", "aanmaning", "achterstand", "rechnung", "mahnung",
    "zahlung", "fattura", "pagamento", "sollecito", "insoluto", "rekins", "parads",
    "maksajums", "发票", "欠款", "付款", "催款",
)  # fmt: skip
_COMPLAINT_WORDS = (
    "complaint", "complain", "klacht", "reklamation", "beschwerde", "reclamo", "lamentela",
    "sudziba", "投诉", "抱怨",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tag:
    """A catalogue entry."""

    id: int
    code: str
    label: str
    group: str
    graded: bool
    automatic: bool
    builtin: bool
    valid_days: int | None
    retired: bool
    uses: int = 0


@dataclass(frozen=True, slots=True)
class CustomerTag:
    """A tag on a customer, valid or expired."""

    id: int
    customer_id: int
    code: str
    label: str
    grade: int | None
    set_on: str
    valid_until: str | None
    follow_up_on: str | None
    note: str
    wishes: dict[str, Any] | None
    operator: str
    created_at: str

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_until or NO_END) >= day.isoformat()


def today_text() -> str:
    return clock.today().isoformat()


# -- the catalogue ----------------------------------------------------------------------------


_TAG_SQL = (
    "SELECT t.id, t.code, t.label, t.grp, t.graded, t.automatic, t.builtin, t.valid_days,"
    " t.retired_at IS NOT NULL{uses} FROM tags t"
)


def catalogue(
    conn: sqlite3.Connection, *, include_retired: bool = True, with_uses: bool = False
) -> list[Tag]:
    """The catalogue in group order, then label; ``with_uses`` counts the valid uses."""
    uses = ""
    params: list[Any] = []
    if with_uses:
        uses = (
            ", (SELECT count(*) FROM customer_tags ct WHERE ct.tag_id = t.id"
            " AND coalesce(ct.valid_until, ?) >= ?)"
        )
        params = [NO_END, today_text()]
    sql = _TAG_SQL.format(uses=uses)
    if not include_retired:
        sql += " WHERE t.retired_at IS NULL"
    order = {group: i for i, group in enumerate(GROUPS)}
    found = [
        Tag(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), bool(r[6]), r[7], bool(r[8]),
            r[9] if with_uses else 0)
        for r in conn.execute(sql, params)
    ]  # fmt: skip
    return sorted(found, key=lambda t: (order.get(t.group, len(GROUPS)), fold(_(t.label))))


def codes(conn: sqlite3.Connection) -> tuple[tuple[str, str], ...]:
    """Every (code, label) of the catalogue, retired ones too: what the filter accepts."""
    return tuple((r[0], r[1]) for r in conn.execute("SELECT code, label FROM tags ORDER BY code"))


def resolve(known: Sequence[tuple[str, str]], text: str) -> str:
    """The code a typed code or label stands for, or an error naming the closest codes."""
    word = fold(text.strip())
    for code, label in known:
        if word in (code, fold(label), fold(_(label))):
            return code
    closest = process.extract(word, [c for c, _label in known], limit=3, score_cutoff=50)
    hint = ", ".join(c for c, _score, _i in closest) or ", ".join(c for c, _l in known[:8])
    raise RetentionError(
        _("There is no tag '{text}'. Did you mean: {codes}? (retention-tui tags list)").format(
            text=text.strip(), codes=hint
        )
    )


def tag(conn: sqlite3.Connection, text: str) -> Tag:
    """The catalogue entry for a typed code or label."""
    code = resolve(codes(conn), text)
    row = conn.execute(_TAG_SQL.format(uses="") + " WHERE t.code = ?", (code,)).fetchone()
    return Tag(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), bool(row[6]),
               row[7], bool(row[8]))  # fmt: skip


def _check_group(group: str) -> str:
    group = fold(group) or "other"
    if group not in GROUPS:
        raise RetentionError(
            _("'{group}' is not a tag group; groups: {groups}.").format(
                group=group, groups=", ".join(GROUPS)
            )
        )
    return group


def _check_days(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= 36_500:
        raise RetentionError(_("A validity is a number of days from 1 to 36500, or none."))
    return days


def _managers_only(conn: sqlite3.Connection) -> None:
    """The catalogue is the managers' (:mod:`roles`)."""
    roles.require_manager(conn, _("Changing the tag catalogue is a manager's task."))


def add_to_catalogue(
    conn: sqlite3.Connection,
    code: str,
    label: str,
    *,
    group: str = "other",
    valid_days: int | None = None,
    graded: bool = False,
    automatic: bool = False,
) -> int:
    """A new catalogue entry; the code is a short lower-case word with hyphens."""
    _managers_only(conn)
    code = code.strip().lower()
    if not CODE.match(code):
        raise RetentionError(
            _("'{code}' cannot be a tag code: use up to 32 lower-case letters, digits and "
              "hyphens, e.g. track-day.").format(code=code)
        )  # fmt: skip
    if not label.strip():
        raise RetentionError(_("A tag needs a label."))
    group = _check_group(group)
    with write(conn):
        if conn.execute("SELECT 1 FROM tags WHERE code = ?", (code,)).fetchone():
            raise RetentionError(_("The tag code '{code}' is taken.").format(code=code))
        cursor = conn.execute(
            "INSERT INTO tags (code, label, grp, graded, automatic, builtin, valid_days)"
            " VALUES (?, ?, ?, ?, ?, 0, ?)",
            (code, label.strip(), group, int(graded), int(automatic), _check_days(valid_days)),
        )
        tag_id = int(cursor.lastrowid or 0)
        audit.record(conn, "add tag", "tags", tag_id, new={"code": code, "label": label.strip()})
    return tag_id


def change_in_catalogue(
    conn: sqlite3.Connection,
    code: str,
    *,
    label: str | None = None,
    group: str | None = None,
    valid_days: int | str | None = "keep",
) -> None:
    """Rename an entry, move it to another group or change its default validity."""
    _managers_only(conn)
    found = tag(conn, code)
    changes: dict[str, Any] = {}
    if label is not None:
        if not label.strip():
            raise RetentionError(_("A tag needs a label."))
        changes["label"] = label.strip()
    if group is not None:
        changes["grp"] = _check_group(group)
    if valid_days != "keep":
        changes["valid_days"] = _check_days(valid_days)  # type: ignore[arg-type]
    if not changes:
        return
    with write(conn):
        sets = ", ".join(f"{name} = ?" for name in changes)
        conn.execute(f"UPDATE tags SET {sets} WHERE id = ?", (*changes.values(), found.id))
        audit.record(
            conn, "change tag", "tags", found.id,
            old={"label": found.label, "group": found.group, "valid_days": found.valid_days},
            new=changes,
        )  # fmt: skip


def retire(conn: sqlite3.Connection, code: str, retired: bool = True) -> str:
    """Retire an entry (``deleted`` when it was never used, else ``retired``); with
    ``retired=False`` offer it again (``restored``)."""
    _managers_only(conn)
    found = tag(conn, code)
    with write(conn):
        if not retired:
            conn.execute("UPDATE tags SET retired_at = NULL WHERE id = ?", (found.id,))
            audit.record(conn, "restore tag", "tags", found.id, new=found.code)
            return "restored"
        used = conn.execute(
            "SELECT 1 FROM customer_tags WHERE tag_id = ? LIMIT 1", (found.id,)
        ).fetchone()
        if used is None and not found.builtin:
            conn.execute("DELETE FROM tags WHERE id = ?", (found.id,))
            audit.record(conn, "delete tag", "tags", found.id, old=found.code)
            return "deleted"
        conn.execute(
            "UPDATE tags SET retired_at = ? WHERE id = ?",
            (clock.now().isoformat(sep=" "), found.id),
        )
        audit.record(conn, "retire tag", "tags", found.id, old=found.code)
        return "retired"


# -- tags on customers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tagging:
    """What to book: the catalogue entry and the optional details."""

    code: str
    grade: int | None = None
    valid_until: dt.date | None = None
    """None: the catalogue's default validity from ``set_on`` (or no end)."""
    follow_up_on: dt.date | None = None
    note: str = ""
    set_on: dt.date | None = None
    """None: today."""
    wishes: dict[str, Any] | None = None


def bookable(conn: sqlite3.Connection, code: str) -> Tag:
    """The catalogue entry for ``code``, refused when it is retired."""
    found = tag(conn, code)
    if found.retired:
        raise RetentionError(
            _("The tag '{code}' is retired; a manager can restore it (tags restore).").format(
                code=found.code
            )
        )
    return found


def details(
    found: Tag,
    grade: int | None = None,
    set_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    follow_up_on: dt.date | None = None,
    note: str = "",
    wishes: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    """One booking's stored values (grade, set_on, valid_until, follow_up_on, note, wishes),
    checked; the valid-until day defaults to the catalogue's validity from ``set_on``."""
    if grade is not None:
        if not found.graded:
            raise RetentionError(_("The tag '{code}' takes no grade.").format(code=found.code))
        if grade not in GRADES:
            raise RetentionError(_("A grade is a school grade from 1 (best) to 6."))
    set_on = set_on or clock.today()
    until = valid_until
    if until is None and found.valid_days:
        until = set_on + dt.timedelta(days=found.valid_days)
    if until is not None and until < set_on:
        raise RetentionError(
            _("A tag cannot end ({until}) before it applies ({set_on}).").format(
                until=until.isoformat(), set_on=set_on.isoformat()
            )
        )
    return (
        grade,
        set_on.isoformat(),
        until.isoformat() if until else None,
        follow_up_on.isoformat() if follow_up_on else None,
        note.strip() or None,
        json.dumps(wishes, ensure_ascii=False, sort_keys=True) if wishes else None,
    )


# Up to this many customers a booking looks each one up; more, one pass over the tag's rows.
FEW = 2000


def book_rows(
    conn: sqlite3.Connection,
    found: Tag,
    rows: Iterable[tuple[int, tuple[Any, ...]]],
    *,
    operator: str | None = None,
) -> tuple[int, int]:
    """Book ``found`` on each (customer id, :func:`details`) inside the caller's write
    transaction; return (booked anew, refreshed). A customer who holds the code, valid, has
    that tag refreshed: its day, validity and the details given replace the old ones."""
    operator = operator or audit.current_operator()
    now = clock.now().isoformat(sep=" ")
    conn.execute("DROP TABLE IF EXISTS temp.tagging")
    conn.execute(
        "CREATE TEMP TABLE tagging (customer_id INTEGER PRIMARY KEY, grade, set_on,"
        " valid_until, follow_up_on, note, wishes, held INTEGER)"
    )
    conn.executemany(
        "INSERT OR REPLACE INTO temp.tagging (customer_id, grade, set_on, valid_until,"
        " follow_up_on, note, wishes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((customer_id, *values) for customer_id, values in rows),
    )
    (size,) = conn.execute("SELECT count(*) FROM temp.tagging").fetchone()
    if size <= FEW:
        # A few customers (a card, a sent message): each one's own rows, by the index.
        conn.execute(
            "UPDATE temp.tagging SET held = (SELECT max(id) FROM customer_tags ct"
            " WHERE ct.customer_id = tagging.customer_id AND ct.tag_id = ?"
            " AND coalesce(ct.valid_until, ?) >= ?)",
            (found.id, NO_END, today_text()),
        )
    else:
        # One pass over the tag's rows (a bulk import may have dropped the per-customer
        # index).
        conn.execute(
            "UPDATE temp.tagging SET held = x.id FROM (SELECT customer_id, max(id) AS id"
            " FROM customer_tags WHERE tag_id = ? AND coalesce(valid_until, ?) >= ?"
            " GROUP BY customer_id) x WHERE x.customer_id = tagging.customer_id",
            (found.id, NO_END, today_text()),
        )
    refreshed = conn.execute(
        "UPDATE customer_tags SET grade = coalesce(g.grade, customer_tags.grade),"
        " set_on = g.set_on, valid_until = g.valid_until,"
        " follow_up_on = coalesce(g.follow_up_on, customer_tags.follow_up_on),"
        " note = coalesce(g.note, customer_tags.note),"
        " wishes = coalesce(g.wishes, customer_tags.wishes), operator = ?"
        " FROM temp.tagging g WHERE customer_tags.id = g.held",
        (operator,),
    ).rowcount
    added = conn.execute(
        "INSERT INTO customer_tags (customer_id, tag_id, grade, set_on, valid_until,"
        " follow_up_on, note, wishes, operator, created_at)"
        " SELECT customer_id, ?, grade, set_on, valid_until, follow_up_on, note, wishes, ?, ?"
        " FROM temp.tagging WHERE held IS NULL",
        (found.id, operator, now),
    ).rowcount
    conn.execute(
        "INSERT INTO audit (at, operator, action, entity, entity_id, customer_id, old_value,"
        " new_value) SELECT ?, ?, CASE WHEN held IS NULL THEN 'add tag' ELSE 'refresh tag' END,"
        " 'tags', ?, customer_id, NULL, json_object('code', ?, 'grade', grade,"
        " 'set_on', set_on, 'valid_until', valid_until, 'follow_up_on', follow_up_on,"
        " 'note', note) FROM temp.tagging",
        (now, operator, found.id, found.code),
    )
    conn.execute("DROP TABLE temp.tagging")
    return added, refreshed


def book_in(
    conn: sqlite3.Connection,
    customer_ids: Iterable[int],
    tagging: Tagging,
    *,
    operator: str | None = None,
) -> int:
    """Book one tagging on customers inside the caller's write transaction; return how
    many were tagged anew (see :func:`book_rows`)."""
    found = bookable(conn, tagging.code)
    values = details(
        found, tagging.grade, tagging.set_on, tagging.valid_until, tagging.follow_up_on,
        tagging.note, tagging.wishes,
    )  # fmt: skip
    added, _refreshed = book_rows(
        conn, found, ((i, values) for i in customer_ids), operator=operator
    )
    return added


def add(conn: sqlite3.Connection, customer_ids: Iterable[int], tagging: Tagging) -> int:
    """Tag one customer or a whole list in one transaction; see :func:`book_in`."""
    with write(conn):
        return book_in(conn, customer_ids, tagging)


def book_automatic(conn: sqlite3.Connection, customer_ids: Iterable[int], code: str,
                   note: str = "") -> int:  # fmt: skip
    """The hook for automatic tags (SMS / email / letter sent, dunned, complaint), called
    inside the caller's write transaction by whatever did the thing the tag records."""
    return book_in(conn, customer_ids, Tagging(code, note=note))


def _row(conn: sqlite3.Connection, customer_tag_id: int) -> tuple[int, str, str | None]:
    row = conn.execute(
        "SELECT ct.customer_id, t.code, ct.follow_up_on FROM customer_tags ct"
        " JOIN tags t ON t.id = ct.tag_id WHERE ct.id = ?",
        (customer_tag_id,),
    ).fetchone()
    if row is None:
        raise RetentionError(_("That tag is no longer on the customer (someone removed it)."))
    return row[0], row[1], row[2]


def end(conn: sqlite3.Connection, customer_tag_id: int) -> None:
    """The tag no longer holds from today on: it stays on the card as expired."""
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    with write(conn):
        customer_id, code, _follow = _row(conn, customer_tag_id)
        conn.execute(
            "UPDATE customer_tags SET valid_until = ?, follow_up_on = NULL WHERE id = ?",
            (yesterday, customer_tag_id),
        )
        audit.record(
            conn, "end tag", "customer_tags", customer_tag_id, customer_id=customer_id,
            new={"code": code, "valid_until": yesterday},
        )  # fmt: skip


def remove(conn: sqlite3.Connection, customer_tag_id: int) -> None:
    """Delete a tag booked by mistake (audited)."""
    with write(conn):
        customer_id, code, _follow = _row(conn, customer_tag_id)
        conn.execute("DELETE FROM customer_tags WHERE id = ?", (customer_tag_id,))
        audit.record(conn, "remove tag", "customer_tags", customer_tag_id,
                     customer_id=customer_id, old=code)  # fmt: skip


def set_follow_up(conn: sqlite3.Connection, customer_tag_id: int, day: dt.date | None) -> None:
    """Move a tag's follow-up to another day, or (None) mark it done."""
    with write(conn):
        customer_id, code, old = _row(conn, customer_tag_id)
        conn.execute(
            "UPDATE customer_tags SET follow_up_on = ? WHERE id = ?",
            (day.isoformat() if day else None, customer_tag_id),
        )
        audit.record(
            conn, "follow up tag" if day is None else "move tag follow-up", "customer_tags",
            customer_tag_id, customer_id=customer_id, old={"code": code, "follow_up_on": old},
            new={"code": code, "follow_up_on": day.isoformat() if day else None},
        )  # fmt: skip


_CUSTOMER_TAG_SQL = (
    "SELECT ct.id, ct.customer_id, t.code, t.label, ct.grade, ct.set_on, ct.valid_until,"
    " ct.follow_up_on, coalesce(ct.note, ''), ct.wishes, ct.operator, ct.created_at"
    " FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id"
)


def _customer_tag(row: Sequence[Any]) -> CustomerTag:
    wishes = json.loads(row[9]) if row[9] else None
    return CustomerTag(*row[:9], wishes, row[10], row[11])  # type: ignore[arg-type]


def of_customer(conn: sqlite3.Connection, customer_id: int) -> list[CustomerTag]:
    """Every tag of a customer, valid ones first, then newest first."""
    rows = conn.execute(
        _CUSTOMER_TAG_SQL + " WHERE ct.customer_id = ?"
        " ORDER BY coalesce(ct.valid_until, ?) >= ? DESC, ct.set_on DESC, ct.id DESC",
        (customer_id, NO_END, today_text()),
    )
    return [_customer_tag(r) for r in rows]


def valid_codes(conn: sqlite3.Connection, customer_ids: Sequence[int]) -> dict[int, str]:
    """The codes each customer holds today, space-separated (for the list's Tags column)."""
    found: dict[int, str] = {}
    for start in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[start : start + 500])
        rows = rows_at_once(
            conn,
            "SELECT ct.customer_id, group_concat(t.code, ' ') AS codes FROM customer_tags ct"
            " JOIN tags t ON t.id = ct.tag_id"
            f" WHERE ct.customer_id IN ({', '.join('?' * len(chunk))})"
            " AND coalesce(ct.valid_until, ?) >= ? GROUP BY ct.customer_id",
            (*chunk, NO_END, today_text()),
            columns="json_array(customer_id, codes)",
        )
        found.update((cid, text) for cid, text in rows)
    return found


# -- automatic tags from reasons ---------------------------------------------------------------


def _mentions(text: str | None, words: Sequence[str]) -> bool:
    folded = fold(text)
    return bool(folded) and any(word in folded for word in words)


def automatic_for_reason(reason: str | None) -> list[str]:
    """The automatic tags a traffic light's reason books: dunned for money owed, complaint
    for an open complaint."""
    found = []
    if _mentions(reason, _PAYMENT_WORDS):
        found.append(DUNNED)
    if _mentions(reason, _COMPLAINT_WORDS):
        found.append(COMPLAINT)
    return found


def parse_day(text: str, what: str) -> dt.date | None:
    """A typed day: YYYY-MM-DD, or +N for N days from today; empty is None."""
    value = text.strip()
    if not value:
        return None
    if re.fullmatch(r"\+\d{1,4}", value):
        return clock.today() + dt.timedelta(days=int(value[1:]))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RetentionError(
            _("{what}: '{value}' is not a day; type YYYY-MM-DD or +days (+14).").format(
                what=what, value=value
            )
        ) from None
