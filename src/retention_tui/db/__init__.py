"""The SQLite file: connections with the right pragmas, short write transactions, schema."""

from .connection import connect, open_database, read_only, write
from .schema import SCHEMA_VERSION, migrate

__all__ = ["SCHEMA_VERSION", "connect", "migrate", "open_database", "read_only", "write"]
