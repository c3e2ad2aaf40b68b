"""Every word the code shows through ``_(value)`` with a value from data or a constant (a
status, an outcome, a built-in tag's label, a column heading, ...): the catalogues must hold
them all, so src/retention_tui/words.py marks each for extraction."""

from __future__ import annotations

from pathlib import Path


def vocabulary(tmp: Path) -> set[str]:
    from retention_tui import calls, campaigns, churn, customer_list, customers
    from retention_tui.db import open_database
    from retention_tui.tui.screens import drilldown, loyalty

    words: set[str] = set()
    words |= set(customers.LIGHTS) | set(customers.RECORDED_STATUSES)
    words |= set(customer_list.STATUSES)
    columns = [*customer_list.COLUMNS, *customer_list.DRILLDOWN_COLUMNS,
               *customer_list.COLUMN_BY_KEY.values(), customer_list.TAG_SET,
               customer_list.TAG_GRADE, customer_list.TAG_FOLLOW_UP]  # fmt: skip
    words |= {c.label for c in columns} | {c.title for c in columns}
    words |= set(calls.OUTCOMES) | set(campaigns.OUTCOMES) | set(campaigns.KINDS)
    words |= set(campaigns.STATUSES) | set(campaigns.CHANNELS) | set(campaigns.QUEUE_STATES)
    words |= {"open", "done", "no further action", "never again", "completed", "follow-up"}
    words |= {"first call", "retry", "callback due", "manual", "import", "not called yet"}
    words |= {"new", "lapsed"}  # the drilldown's Kind column
    words |= set(churn.DEPARTED_BY) | set(churn.CHURN_BY) | set(churn.INVOICE_PERIODS)
    words |= {k for k in churn.INVOICE_SEGMENTS if k}
    words |= set(drilldown.KIND_TITLES.values()) | {h for _k, h, _w in loyalty.COLUMNS}
    conn = open_database(tmp / "vocabulary.db")
    try:
        for sql in (
            "SELECT label FROM tags", "SELECT grp FROM tags",
            "SELECT name FROM campaign_templates", "SELECT name FROM message_templates",
        ):  # fmt: skip
            words |= {row[0] for row in conn.execute(sql) if row[0]}
    finally:
        conn.close()
    return {w for w in words if w}
