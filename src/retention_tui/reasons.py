"""Churn reasons: a self-learning list whose variants must not multiply.

This module owns the normalised form of a reason (the key that makes "Too expensive!" and
"too  expensive" one reason). Fuzzy suggestions and merging build on it.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_reason(text: str) -> str:
    """Fold case, accents, punctuation and repeated spaces: the reason's identity key."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", without_accents).replace("_", " ").split())
