"""The advisor's agenda: callbacks due by tonight and tag follow-ups due today, the advisor's
own first (their customers, or the calls and tags they booked), then everybody else's."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from .tags import NO_END

CALLBACK = "callback"
FOLLOW_UP = "follow-up"


@dataclass(frozen=True, slots=True)
class AgendaItem:
    kind: str  # CALLBACK or FOLLOW_UP
    when: str  # YYYY-MM-DD HH:MM for a callback, YYYY-MM-DD for a follow-up
    customer_id: int
    customer_no: str
    name: str
    phone: str
    what: str  # the campaign's name, or the tag's label
    note: str
    mine: bool
    campaign_id: int | None = None
    customer_tag_id: int | None = None

    def overdue(self, today: dt.date) -> bool:
        return self.when[:10] < today.isoformat()


def agenda(
    conn: sqlite3.Connection, today: dt.date, operator: str, limit: int = 500
) -> list[AgendaItem]:
    """What is due for ``operator``: their own items first, each part earliest first."""
    day = today.isoformat()
    callbacks = conn.execute(
        """
        SELECT substr(m.next_call_after, 1, 16), c.id, c.customer_no, c.name,
               coalesce(c.phone, c.mobile, ''), k.name,
               coalesce((SELECT x.note FROM calls x WHERE x.customer_id = m.customer_id
                         AND x.campaign_id = m.campaign_id
                         ORDER BY x.called_at DESC, x.id DESC LIMIT 1), ''),
               coalesce(c.advisor, '') = :me OR EXISTS (
                   SELECT 1 FROM calls x WHERE x.customer_id = m.customer_id
                   AND x.campaign_id = m.campaign_id AND x.operator = :me),
               k.id
        FROM campaign_members m
        JOIN campaigns k ON k.id = m.campaign_id AND k.status = 'active'
        JOIN customers c ON c.id = m.customer_id
        WHERE m.state = 'open' AND m.last_outcome = 'callback'
          AND m.next_call_after <= :tonight
        ORDER BY m.next_call_after LIMIT :limit
        """,
        {"me": operator, "tonight": f"{day} 23:59:59", "limit": limit},
    ).fetchall()
    follow_ups = conn.execute(
        """
        SELECT ct.follow_up_on, c.id, c.customer_no, c.name, coalesce(c.phone, c.mobile, ''),
               t.label, coalesce(ct.note, ''),
               coalesce(c.advisor, '') = :me OR ct.operator = :me, ct.id
        FROM customer_tags ct
        JOIN tags t ON t.id = ct.tag_id
        JOIN customers c ON c.id = ct.customer_id
        WHERE ct.follow_up_on IS NOT NULL AND ct.follow_up_on <= :today
          AND coalesce(ct.valid_until, :no_end) >= :today
        ORDER BY ct.follow_up_on, c.name LIMIT :limit
        """,
        {"me": operator, "today": day, "no_end": NO_END, "limit": limit},
    ).fetchall()
    items = [
        AgendaItem(CALLBACK, when, cid, no, name, phone, what, note, bool(mine), campaign_id=key)
        for when, cid, no, name, phone, what, note, mine, key in callbacks
    ] + [
        AgendaItem(
            FOLLOW_UP, when, cid, no, name, phone, what, note, bool(mine), customer_tag_id=key
        )
        for when, cid, no, name, phone, what, note, mine, key in follow_ups
    ]
    items.sort(key=lambda i: (not i.mine, i.when[:10], i.kind != CALLBACK, i.when, i.name))
    return items
