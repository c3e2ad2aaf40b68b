"""Terminal cells: user text shown safely and cut to a column width.

Used by the screens and the command line alike; imports no Textual.
"""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len, set_cell_size

__all__ = ["fit", "printable"]


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with control characters (escape sequences, newlines) shown as symbols; with
    ``keep_newlines`` line breaks stay (for a whole message).

    The one rule for user data on a terminal: a C0 control shows as its Control Pictures
    symbol (ESC as ␛, NUL as ␀), tab, carriage return and line breaks as a space, and every
    other control, format (bidi overrides, zero-width joiners), private-use or unassigned
    character as U+FFFD; markup characters stay as typed (they are never parsed).
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\n\r\t" or ch in "\u2028\u2029":  # line and paragraph separators too
            out.append(" ")
        elif unicodedata.category(ch)[0] == "C":
            out.append(chr(0x2400 + ord(ch)) if ord(ch) < 0x20 else "�")
        else:
            out.append(ch)
    return "".join(out)


def fit(text: str, width: int, align: str = "left") -> str:
    """``text`` cut or padded to exactly ``width`` cells (wide characters counted as two)."""
    text = printable(text)
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = width - length
    if align == "right":
        return " " * pad + text
    if align == "center":
        return " " * (pad // 2) + text + " " * (pad - pad // 2)
    return text + " " * pad
