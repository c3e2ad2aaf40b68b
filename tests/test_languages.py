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


LANGUAGES = [code for code in i18n.LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[int, str]]:
    """One run per language, two at a time (the machine's cores): exit code and output."""
    started: dict[str, subprocess.Popen] = {}
    done: dict[str, tuple[int, str]] = {}
    pending = list(LANGUAGES)
    while pending or started:
        while pending and len(started) < 2:
            language = pending.pop(0)
            started[language] = subprocess.Popen(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "-p", "no:randomly", str(HERE / "languages")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parent,
                env={**os.environ, "RETENTION_TUI_TEST_LANG": language},
            )  # fmt: skip
        language = next(iter(started))
        process = started.pop(language)
        output, _ = process.communicate(timeout=600)
        done[language] = (process.returncode, output)
    return done


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_screens_in_each_language(runs: dict[str, tuple[int, str]], language: str) -> None:
    code, output = runs[language]
    assert code == 0, output[-5000:]
