"""The loyalty table: active, new and lapsed customers month by month (DESIGN.md).

For a window of N months and a calendar month M:

* ``active(M)``: customers with a visit in months M-N+1 … M;
* ``new(M)``: customers with a visit in M and none in the N months before;
* ``lapsed(M)``: customers whose visit in month M-N was their last one through M;
* ``visits(M)``, ``mot(M)``, ``mot_samples(M)``: visit rows in M and those flagged.

``active(M) - active(M-1) == new(M) - lapsed(M)`` always holds, so ``active`` is the running
sum of the net change. Everything is read from the customer-months tables
(``customer_months.py``), never from the visits, so any window answers in milliseconds and
the values are open: they follow every import at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from . import clock, settings
from .errors import RetentionError
from .i18n import _
from .months import Month

KINDS = ("new", "lapsed")


@dataclass(frozen=True, slots=True)
class LoyaltyMonth:
    """One month of the loyalty table."""

    month: Month
    active: int
    new: int
    lapsed: int
    visits: int
    mot: int
    mot_samples: int
    came_back: int
    """Of the month's lapsed customers, how many visited again later."""
    in_window: bool
    """The month lies inside the window of today: its customers may still come back."""

    @property
    def net(self) -> int:
        return self.new - self.lapsed


@dataclass(frozen=True, slots=True)
class LapseFollowUp:
    """What became of a month's lapsed customers after they lapsed."""

    contacted: int
    """Called at least once after their last visit."""
    confirmed_lost: int
    """A departure recorded, or the status 'confirmed lost'."""


def check_window(window: int) -> int:
    if not isinstance(window, int) or not 1 <= window <= 120:
        raise RetentionError(
            _("The loyalty window is a number of months from 1 to 120, not {window}.").format(
                window=window
            )
        )
    return window


def default_window(conn: sqlite3.Connection) -> int:
    """The workshop's loyalty window (setting ``loyalty_window_months``)."""
    return int(settings.get(conn, "loyalty_window_months"))


def _sums(conn: sqlite3.Connection, sql: str, params: tuple) -> dict[int, int]:
    return {int(m): int(n) for m, n in conn.execute(sql, params)}


def loyalty_table(
    conn: sqlite3.Connection,
    window: int,
    first: Month | None = None,
    last: Month | None = None,
) -> list[LoyaltyMonth]:
    """The loyalty table, oldest month first, from ``first`` (default: the first month with
    a visit) to ``last`` (default: this month)."""
    window = check_window(window)
    totals = {
        int(m): (int(v), int(t), int(s))
        for m, v, t, s in conn.execute("SELECT month, visits, mots, mot_samples FROM month_totals")
    }
    current = Month.of(clock.today())
    end = (last or current).index
    start = (first or current).index if not totals else min(totals)
    new = _sums(
        conn,
        "SELECT month, sum(customers) FROM loyalty_counts WHERE kind = 'prev'"
        " AND (gap = 0 OR gap > ?) GROUP BY month",
        (window,),
    )
    lapsed = _sums(
        conn,
        "SELECT month + ?, sum(customers) FROM loyalty_counts WHERE kind = 'next'"
        " AND (gap = 0 OR gap > ?) GROUP BY month",
        (window, window),
    )
    came_back = _sums(
        conn,
        "SELECT month + ?, sum(customers) FROM loyalty_counts WHERE kind = 'next'"
        " AND gap > ? GROUP BY month",
        (window, window),
    )
    shown_from = first.index if first else start
    rows: list[LoyaltyMonth] = []
    active = 0
    for index in range(min(start, shown_from), end + 1):
        active += new.get(index, 0) - lapsed.get(index, 0)
        if index < shown_from:
            continue
        visits, mots, samples = totals.get(index, (0, 0, 0))
        rows.append(
            LoyaltyMonth(
                month=Month.from_index(index),
                active=active,
                new=new.get(index, 0),
                lapsed=lapsed.get(index, 0),
                visits=visits,
                mot=mots,
                mot_samples=samples,
                came_back=came_back.get(index, 0),
                in_window=index > current.index - window,
            )
        )
    return rows


def _first_day_sql(month_sql: str) -> str:
    """SQL for the ISO first day of an integer month."""
    return f"printf('%04d-%02d-01', ({month_sql}) / 12, ({month_sql}) % 12 + 1)"


def lapse_follow_up(conn: sqlite3.Connection, window: int) -> dict[Month, LapseFollowUp]:
    """Per month: of the customers who lapsed then, how many were contacted afterwards and
    how many are confirmed lost. Reads only the customers with calls or departures."""
    window = check_window(window)
    lapse = "(cm.next_gap IS NULL OR cm.next_gap > ?)"
    after = _first_day_sql("cm.month + 1")
    contacted = _sums(
        conn,
        f"SELECT cm.month + ?, count(*) FROM customer_months cm"
        f" WHERE cm.customer_id IN (SELECT customer_id FROM calls) AND {lapse}"
        f" AND EXISTS (SELECT 1 FROM calls k WHERE k.customer_id = cm.customer_id"
        f" AND k.called_at >= {after}) GROUP BY cm.month",
        (window, window),
    )
    lost = _sums(
        conn,
        f"SELECT cm.month + ?, count(*) FROM customer_months cm"
        f" WHERE cm.customer_id IN (SELECT customer_id FROM departures"
        f" UNION SELECT id FROM customers WHERE recorded_status = 'confirmed lost')"
        f" AND {lapse} GROUP BY cm.month",
        (window, window),
    )
    months = set(contacted) | set(lost)
    return {Month.from_index(m): LapseFollowUp(contacted.get(m, 0), lost.get(m, 0)) for m in months}


def scope_condition(kind: str, month: Month, window: int) -> tuple[str, list[Any]]:
    """SQL (on ``customers c``) for the month's new or lapsed customers, or both."""
    window = check_window(window)
    if kind not in (*KINDS, "both"):
        raise RetentionError(_("'{kind}' is not new, lapsed or both.").format(kind=kind))
    parts: list[str] = []
    params: list[Any] = []
    if kind in ("new", "both"):
        parts.append(
            "SELECT customer_id FROM customer_months WHERE month = ?"
            " AND (prev_gap IS NULL OR prev_gap > ?)"
        )
        params += [month.index, window]
    if kind in ("lapsed", "both"):
        parts.append(
            "SELECT customer_id FROM customer_months WHERE month = ?"
            " AND (next_gap IS NULL OR next_gap > ?)"
        )
        params += [month.index - window, window]
    return f"c.id IN ({' UNION ALL '.join(parts)})", params


@dataclass(frozen=True, slots=True)
class LoyaltyCustomer:
    """A customer behind a loyalty figure."""

    customer_id: int
    customer_no: str
    name: str
    kind: str
    phone: str | None
    email: str | None
    last_visit: str | None
    visits_in_window: int
    contact: str
    """For a lapsed customer: what happened since (came back, departure, called, nothing)."""


def loyalty_customers(
    conn: sqlite3.Connection, month: Month, window: int, kind: str = "both"
) -> list[LoyaltyCustomer]:
    """The month's new and/or lapsed customers: exactly those the table counts."""
    where, params = scope_condition(kind, month, window)
    ids = [row[0] for row in conn.execute(f"SELECT c.id FROM customers c WHERE {where}", params)]
    return customer_details(conn, ids, month, window)


def customer_details(
    conn: sqlite3.Connection, ids: list[int], month: Month, window: int
) -> list[LoyaltyCustomer]:
    """Kind, visits in the window and contact state of the month's customers ``ids``."""
    out: list[LoyaltyCustomer] = []
    lapse_month = month.index - window
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"""
            SELECT c.id, c.customer_no, c.name, coalesce(c.phone, c.mobile), c.email,
                   c.last_visit,
                   (SELECT CASE WHEN cm.month = ? THEN 'new' ELSE 'lapsed' END
                    FROM customer_months cm WHERE cm.customer_id = c.id
                      AND ((cm.month = ? AND (cm.prev_gap IS NULL OR cm.prev_gap > ?))
                        OR (cm.month = ? AND (cm.next_gap IS NULL OR cm.next_gap > ?)))
                    ORDER BY cm.month DESC LIMIT 1) AS kind,
                   (SELECT next_gap FROM customer_months cm WHERE cm.customer_id = c.id
                      AND cm.month = ?) AS next_gap,
                   (SELECT max(departed_on) FROM departures d WHERE d.customer_id = c.id),
                   (SELECT max(called_at) FROM calls k WHERE k.customer_id = c.id
                      AND k.called_at >= ?),
                   c.recorded_status,
                   (SELECT coalesce(sum(visits), 0) FROM customer_months cm
                    WHERE cm.customer_id = c.id AND cm.month BETWEEN ? AND ?) AS visits_new,
                   (SELECT coalesce(sum(visits), 0) FROM customer_months cm
                    WHERE cm.customer_id = c.id AND cm.month BETWEEN ? AND ?) AS visits_lapsed
            FROM customers c WHERE c.id IN ({marks})
            """,
            (
                month.index,
                month.index,
                window,
                lapse_month,
                window,
                lapse_month,
                Month.from_index(lapse_month + 1).first_day.isoformat(),
                # Visits in the window ending with the month (new) or the lapse month.
                month.index - window + 1,
                month.index,
                lapse_month - window + 1,
                lapse_month,
                *chunk,
            ),
        ).fetchall()
        for (cid, number, name, phone, email, last, kind, next_gap, departed, called, status,
             visits_new, visits_lapsed) in rows:  # fmt: skip
            visits = visits_new if kind == "new" else visits_lapsed
            contact = ""
            if kind == "lapsed":
                if next_gap is not None:
                    contact = _("came back {month}").format(
                        month=Month.from_index(lapse_month + next_gap)
                    )
                elif departed or status == "confirmed lost":
                    contact = _("confirmed lost {date}").format(date=departed or "")
                elif called:
                    contact = _("called {date}").format(date=called[:10])
                else:
                    contact = _("not contacted")
            out.append(
                LoyaltyCustomer(
                    cid, number, name, kind or "", phone, email, last, int(visits), contact
                )
            )
    order = {cid: i for i, cid in enumerate(ids)}
    out.sort(key=lambda c: order[c.customer_id])
    return out
