"""Reason suggestions: latency per keystroke with 100, 1,000 and 10,000 reasons.

Types a dozen reasons (variants, typos, other languages) one key at a time and times
``reasons.suggest`` for every keystroke, as the departure form calls it (a fresh connection
each time, as the form's worker does).

    python bench/bench_reasons.py
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from retention_tui import reasons
from retention_tui.churn import reason_id
from retention_tui.db import connect, open_database, write

_VOCABULARY = (
    "te duur verhuisd auto verkocht niet tevreden reparatie wachttijd lang dealer onderhoud "
    "prijs apk hoog zu teuer umgezogen fahrzeug verkauft unzufrieden werkstatt preise wartezeit "
    "troppo caro trasferito citta venduta insoddisfatto servizio tempi attesa lunghi too "
    "expensive moved away vehicle sold unhappy service cheaper garage company car ended parak "
    "dargi parcelas pilsetu automasina pardota neapmierinats servisu advice opening hours "
    "lease stopped driving independent warranty tyres storage winter brakes clutch noise"
)
WORDS = _VOCABULARY.split()
TYPED = [
    "too expnsive", "te duur!", "Verhuist", "auto is verkocht", "zu teur", "unzufrieden",
    "troppo caro", "insodisfatto del servizio", "moved awya", "parak dargi", "价格太贵了",
    "company car ended",
]  # fmt: skip


def build(path: Path, count: int) -> None:
    rng = random.Random(count)
    conn = open_database(path)
    with write(conn):
        for label in ("Too expensive", "Te duur", "Verhuisd", "Auto verkocht", "Zu teuer",
                      "Unzufrieden mit der Reparatur", "Troppo caro", "Insoddisfatto del servizio",
                      "Moved away", "Pārāk dārgi", "价格太贵", "Company car ended"):  # fmt: skip
            reason_id(conn, label)
        made = conn.execute("SELECT count(*) FROM churn_reasons").fetchone()[0]
        while made < count:
            label = " ".join(rng.sample(WORDS, rng.randint(2, 5)))
            before = conn.total_changes
            reason_id(conn, label)
            made += conn.total_changes > before
    conn.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-reasons-") as tmp:
        for count in (100, 1_000, 10_000):
            path = Path(tmp) / f"reasons-{count}.db"
            build(path, count)
            times: list[float] = []
            for text in TYPED:
                for end in range(1, len(text) + 1):
                    started = time.perf_counter()
                    conn = connect(path, readonly=True)
                    reasons.suggest(conn, text[:end], 5, typing=True)
                    conn.close()
                    times.append(time.perf_counter() - started)
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(
                f"{count:>6,} reasons: per keystroke median {statistics.median(times) * 1000:5.2f}"
                f" ms, p95 {p95 * 1000:5.2f} ms, worst {times[-1] * 1000:5.2f} ms"
                f" ({len(times)} keystrokes)"
            )


if __name__ == "__main__":
    main()
