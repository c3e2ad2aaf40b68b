"""Command palette providers: open any customer by name, number, phone or plate."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from rich.text import Text
from textual.command import Hit, Hits, Provider

from .. import customer_list
from ..cells import printable
from ..customer_list import CustomerQuery, ListContext, ListRow
from ..db import connect
from ..i18n import _
from ..textfold import fold

PREFIX = "customer:"


def find_customers(db_path: Path, words: str, limit: int = 8) -> list[ListRow]:
    """The first customers the desktop's search finds for ``words`` (runs in a thread)."""
    conn = connect(db_path, readonly=True)
    try:
        ctx = ListContext.load(conn)
        ids = customer_list.first_page(conn, CustomerQuery(search=words), ctx, limit)
        return customer_list.fetch_rows(conn, ids, ctx)
    finally:
        conn.close()


class CustomerCommands(Provider):
    """'customer: Open …' for the customers matching what is typed (three letters or more)."""

    async def search(self, query: str) -> Hits:
        words = query.strip()
        if words.lower().startswith(PREFIX):
            words = words[len(PREFIX) :].strip()
        if len(fold(words)) < 3:
            return
        db_path = getattr(self.app, "db_path", None)
        if db_path is None:
            return
        # The search reads SQLite: off the UI thread.
        rows = await asyncio.to_thread(find_customers, db_path, words)
        for rank, row in enumerate(rows):
            values = row.values
            label = Text(_("customer: Open "), style="dim")
            label.append(printable(str(values["name"])), style="bold")
            details = "  ".join(
                printable(str(v))
                for v in (values["customer_no"], values.get("city"), values.get("vehicle"))
                if v
            )
            label.append(f"  {details}")
            yield Hit(
                max(0.1, 0.99 - rank * 0.05),
                label,
                partial(self.app.open_customer, row.id),  # type: ignore[attr-defined]
                text=label.plain,
                help=_("Open the customer card"),
            )
