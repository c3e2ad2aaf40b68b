"""CSV out: records end in ``\\n`` and every value comes back exactly as it went in.

Python's ``csv.writer`` quotes a value only for the characters of its own line terminator, so
with ``lineterminator="\\n"`` a value holding a lone carriage return is written bare and a
reader splits the record there. This writer quotes as for ``\\r\\n`` and ends records in
``\\n``.

Values are written exactly as stored, also those that begin with ``=``, ``+``, ``-`` or ``@``
(what a spreadsheet would take for a formula): an export is data for other systems and
re-imports, and an apostrophe in front would change it (every phone number written
``+31 6 ...`` first). Open such a file in a spreadsheet through its text import.
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

__all__ = ["writer"]


class _LineFeedOnly:
    """Passes each record on with its ``\\r\\n`` ending as ``\\n`` (csv writes a record with
    one call)."""

    def __init__(self, out: TextIO) -> None:
        self._write = out.write

    def write(self, record: str) -> Any:
        return self._write(record[:-2] + "\n")


def writer(out: TextIO) -> Any:
    """A ``csv.writer`` on ``out`` whose records end in ``\\n``."""
    return csv.writer(_LineFeedOnly(out), lineterminator="\r\n")
