"""Every main screen in every language at 80x24 (and the Dutch and Chinese snapshots): the
tests of tests/languages, run once per language in a fresh interpreter, because key labels are
translated when the screens are imported, as when the app starts in that language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retention_tui import i18n

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != "en"])
def test_the_screens_in_each_language(language: str) -> None:
    env = {**os.environ, "RETENTION_TUI_TEST_LANG": language}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(HERE / "languages")],
        capture_output=True, text=True, timeout=600, env=env, cwd=HERE.parent, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
