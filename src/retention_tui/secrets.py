"""The credentials of the message channels, kept in the operating system's keyring.

This module is the only place a password or token is read or written. Values never go to the
database, a settings file, a log or an error message; errors here are raised ``from None`` so
that no traceback (which may show local variables) carries a value along.

The keyring backend is the ``keyring`` package's choice (macOS Keychain, Windows Credential
Locker, Secret Service/KWallet on Linux), or the one named by ``PYTHON_KEYRING_BACKEND``.
``keyring`` is imported on first use: it is slow to import and most commands never need it.
"""

from __future__ import annotations

from .errors import RetentionError
from .i18n import _

SERVICE = "retention-tui"
KINDS = ("smtp", "sms")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise RetentionError(
            _("'{kind}' is not a secret retention-tui keeps: smtp or sms.").format(kind=kind)
        )


def _no_backend() -> RetentionError:
    return RetentionError(
        _("No keyring is available to keep the password: install one (GNOME Keyring or KWallet "
          "on Linux; macOS and Windows have one built in), or on a machine without one install "
          "keyrings.alt and set PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring, "
          "which stores it unencrypted in your user folder."),
        title=_("No keyring"),
    )  # fmt: skip


def _failed(action: str, kind: str, error: Exception) -> RetentionError:
    # The backend's own text (never the value: we do not pass it to the message) helps the
    # user tell a locked keyring from a missing D-Bus session.
    reason = " ".join(str(error).split())[:200] or type(error).__name__
    sentence = {
        "store": _("The keyring ({backend}) could not store the {kind} secret: {reason}."),
        "read": _("The keyring ({backend}) could not read the {kind} secret: {reason}."),
        "remove": _("The keyring ({backend}) could not remove the {kind} secret: {reason}."),
    }[action]
    return RetentionError(
        sentence.format(backend=backend_name(), kind=kind, reason=reason), title=_("Keyring")
    )


def set_secret(kind: str, value: str) -> None:
    """Store ``value`` as the ``kind`` ("smtp" or "sms") secret, replacing any earlier one."""
    _check_kind(kind)
    import keyring
    import keyring.errors

    if not value:
        raise RetentionError(_("An empty {kind} secret cannot be stored.").format(kind=kind))
    try:
        keyring.set_password(SERVICE, kind, value)
    except keyring.errors.NoKeyringError:
        raise _no_backend() from None
    except Exception as error:  # backends raise their own types (D-Bus, Keychain, ...)
        raise _failed("store", kind, error) from None


def get_secret(kind: str) -> str | None:
    """The ``kind`` secret, or None when it has not been set."""
    _check_kind(kind)
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(SERVICE, kind)
    except keyring.errors.NoKeyringError:
        raise _no_backend() from None
    except Exception as error:
        raise _failed("read", kind, error) from None


def delete_secret(kind: str) -> bool:
    """Remove the ``kind`` secret; False when there was none."""
    _check_kind(kind)
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, kind)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.NoKeyringError:
        raise _no_backend() from None
    except Exception as error:
        raise _failed("remove", kind, error) from None
    return True


def backend_name() -> str:
    """The keyring backend in use, e.g. ``keyrings.alt.file.PlaintextKeyring``.

    For a chain of backends the members follow in brackets.
    """
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception as error:
        return f"? ({type(error).__name__})"
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    members = getattr(backend, "backends", None)
    if members:
        inner = ", ".join(f"{type(b).__module__}.{type(b).__qualname__}" for b in members)
        name = f"{name} ({inner})"
    return name
