"""A real keyring backend for tests: keyrings.alt's plain-text file inside a temporary folder.

``use_file_keyring`` activates it in this process (restored when the test ends);
``keyring_env`` is the environment that makes a subprocess pick the same backend and file.
Nothing touches the real home folder or the desktop's keyring.
"""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring

BACKEND = "keyrings.alt.file.PlaintextKeyring"


def keyring_env(data_home: Path) -> dict[str, str]:
    """Environment variables that select the file keyring under ``data_home`` (for subprocesses).

    keyrings.alt keeps its file at ``$XDG_DATA_HOME/python_keyring/keyring_pass.cfg``.
    """
    return {"PYTHON_KEYRING_BACKEND": BACKEND, "XDG_DATA_HOME": str(data_home)}


def use_file_keyring(monkeypatch: pytest.MonkeyPatch, data_home: Path) -> PlaintextKeyring:
    """Make ``keyring`` use a plain-text file under ``data_home`` for the rest of the test."""
    for name, value in keyring_env(data_home).items():
        monkeypatch.setenv(name, value)
    # Remember whatever backend was active (possibly none yet) so the test leaves it as found.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    backend = PlaintextKeyring()
    assert Path(backend.file_path).is_relative_to(data_home), backend.file_path
    keyring.set_keyring(backend)
    return backend


def subprocess_env(data_home: Path) -> dict[str, str]:
    """This process's environment plus :func:`keyring_env`."""
    return {**os.environ, **keyring_env(data_home)}
