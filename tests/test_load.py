"""Twenty advisors' processes writing to one file at once: nothing lost, no error.

A small round of bench/bench_load.py (the full one, 20 x 2,000 writes, is run by hand and its
figures are in the README): each process logs calls with NPS, NPS scores, tags and departures
through the functions the screens call, all starting at the same instant; afterwards every
write is looked for in the database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_load.py"


def test_twenty_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--processes", "20", "--writes", "60",
         "--customers", "1000", "--dir", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["exit_codes"] == [0] * 20
    assert figures["writes"] == 20 * 60
    assert figures["errors"] == 0, figures["first_errors"]
    assert figures["lost"] == {"call": 0, "nps": 0, "tag": 0, "departure": 0}
    assert figures["kept"] == {"call": 300, "nps": 600, "tag": 300, "departure": 300}
    # Every call, score, tag and departure is audited (a call with a score twice).
    assert figures["audit_rows"] >= 300 * 2 + 300 + 300 + 300
