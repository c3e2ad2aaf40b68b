"""Gettext for every user-facing string.

Catalogues live in ``retention_tui/locale/<lang>/LC_MESSAGES/retention_tui.mo``; until a
language has one, the English source strings are shown.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "retention_tui"

_translation: gettext.NullTranslations = gettext.translation(DOMAIN, LOCALE_DIR, fallback=True)


def set_language(language: str | None) -> None:
    """Switch the catalogue used by ``_``; ``None`` follows the environment's locale."""
    global _translation
    languages = [language] if language else None
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=languages, fallback=True)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on ``n``."""
    return _translation.ngettext(singular, plural, n)
