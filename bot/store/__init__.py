"""Durable state: linked Rescue accounts, the audit trail, pacing and places in line, watched
PINs, installs and each workspace's settings, in PostgreSQL or SQLite.

Knows SQLAlchemy and Alembic; nothing of Slack or zeep. Nothing touches a database on import:
build a Store with Store.from_url(url, Keyring.from_setting(...)), then check_schema().
"""

# Whatever SQLAlchemy raises that the store does not turn into StoreUnavailable (a malformed
# DATABASE_URL, a driver that is not installed): named here, so callers need not import it.
from sqlalchemy.exc import SQLAlchemyError as DatabaseError

from bot.store.crypto import Keyring, generate_key
from bot.store.db import make_engine, normalize_url
from bot.store.pacer import DatabasePacer
from bot.store.schema import SchemaOutdated
from bot.store.seats import DatabaseSeats
from bot.store.store import Store

__all__ = [
    "DatabaseError",
    "DatabasePacer",
    "DatabaseSeats",
    "Keyring",
    "SchemaOutdated",
    "Store",
    "generate_key",
    "make_engine",
    "normalize_url",
]
