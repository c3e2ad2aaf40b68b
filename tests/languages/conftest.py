"""The screens in one language, chosen before any screen is imported (key labels are
translated when their screen's class is made), as the app chooses it when it starts.

The language is RETENTION_TUI_TEST_LANG (English without it): tests/test_languages.py runs
this folder once per language, each in a fresh interpreter.
"""

from __future__ import annotations

import os

from retention_tui import i18n

LANGUAGE = os.environ.get("RETENTION_TUI_TEST_LANG") or "en"
i18n.set_language(LANGUAGE)
