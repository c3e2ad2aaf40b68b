"""One error type for everything a user should read as a sentence, not a traceback."""

from __future__ import annotations


class RetentionError(Exception):
    """A problem the user can act on: the message says what is wrong and what to do next."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.title = title

    def __str__(self) -> str:
        return self.message


class NewerDatabaseError(RetentionError):
    """The database was written by a newer version of retention-tui."""


class DatabaseBusyError(RetentionError):
    """Another process held the write lock for longer than the busy timeout."""


class StorageFullError(RetentionError):
    """The disk (or the database's size limit) is full; the transaction was rolled back."""


# Nothing was written and the same change may simply be tried again later.
RETRYABLE = (DatabaseBusyError, StorageFullError)
