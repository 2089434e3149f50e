"""Alembic environment: runs on the connection Store.migrate() hands over, never a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.store.models import VERSION_TABLE, Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "lenspin's migrations run through `python -m bot migrate` (Store.migrate), "
        "which passes the database connection in; there is no alembic.ini"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things: autogenerate then writes copy-and-move batch operations.
    render_as_batch=connection.dialect.name == "sqlite",
    on_version_apply=context.config.attributes.get("on_version_apply", ()),
)
# Store.migrate() has begun the transaction (and holds the lock), so this one is a no-op
# there; it commits each revision's DDL when someone passes a connection outside one.
with context.begin_transaction():
    context.run_migrations()
