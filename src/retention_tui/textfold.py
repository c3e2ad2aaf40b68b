"""Folded text: what search and filters compare, so ``jose`` finds ``José``, ``muller`` finds
``Müller`` and ``0612`` finds ``06-12``.

Pure functions without dependencies; the database registers them as SQL functions so that the
search index and a typed filter are folded by the same code.
"""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into a base letter and an accent.
_SPECIAL = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})


def fold(text: str | None) -> str:
    """Case-, accent- and space-insensitive form of ``text`` ('' for ``None``)."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def digits(*texts: str | None) -> str:
    """The digits of each text, one run per text: how phone numbers are compared."""
    return " ".join("".join(ch for ch in t if ch.isdigit()) for t in texts if t)
