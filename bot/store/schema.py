"""The schema: checking that the database is at the newest migration, and migrating it."""

from __future__ import annotations

import ast
import functools
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnClause, Engine, column, select, table, text
from sqlalchemy.exc import DBAPIError

from bot.store.db import advisory_lock_id, immediate
from bot.store.models import VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATE_COMMAND = "python -m bot migrate"

_VERSION_NUM: ColumnClause[str] = column("version_num")
_VERSIONS = select(_VERSION_NUM).select_from(table(VERSION_TABLE))


class SchemaOutdated(Exception):
    """The database's tables are missing or not at the revision this code needs."""


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutdated unless the database is at the newest migration."""
    head, known = _revisions()
    try:
        with engine.connect() as connection:
            current = set(connection.execute(_VERSIONS).scalars())
    except DBAPIError as error:
        if not _is_missing_table(error):
            raise
        current = set()
    if current == {head}:
        return
    if not current:
        raise SchemaOutdated(
            "The lenspin database has no tables yet (or not in this schema). "
            f"Run `{MIGRATE_COMMAND}` to create them."
        )
    found = ", ".join(sorted(current))
    if current <= known:
        raise SchemaOutdated(
            f"The lenspin database is at schema revision {found}, but this version of "
            f"lenspin needs revision {head}. Run `{MIGRATE_COMMAND}` to upgrade it."
        )
    raise SchemaOutdated(
        f"The lenspin database is at schema revision {found}, which this version of "
        f"lenspin does not know (it needs {head}): a newer lenspin has migrated it. Deploy "
        f"that version; `{MIGRATE_COMMAND}` cannot downgrade it."
    )


def migrate(engine: Engine) -> list[str]:
    """Upgrade the database to the newest migration; return the revisions applied."""
    applied: list[str] = []

    def note(*, step: Any, **_: Any) -> None:
        applied.append(step.up_revision_id)

    # Imported here: alembic, mako and pygments cost every worker 11 MiB and only
    # `python -m bot migrate` (and tests) need them.
    from alembic import command  # noqa: PLC0415

    config = _alembic_config()
    config.attributes["on_version_apply"] = note
    # One transaction for the whole upgrade: PostgreSQL's DDL is transactional, and
    # SQLite's is too once BEGIN is ours. Another process that migrates at the same time
    # waits for the lock, then finds nothing left to do.
    with immediate(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": advisory_lock_id("migrate")}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return applied


def _alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 (see migrate)

    config = Config()
    # ConfigParser would read a % in the checkout's path as interpolation.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    """The head revision and every revision this code knows, read once per process."""
    # Read from the scripts' source, not through alembic, which workers do not import (see
    # migrate); a test holds this to alembic's own answer.
    down: dict[str, set[str]] = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = _script_revision(ast.parse(script.read_bytes(), str(script)))
        if found is not None:
            revision, parents = found
            down[revision] = parents
    heads = set(down) - set().union(*down.values())
    if len(heads) != 1:  # pragma: no cover (the package ships one line of migrations)
        raise RuntimeError(f"expected one head revision in {MIGRATIONS}, found {sorted(heads)}")
    return heads.pop(), frozenset(down)


def _script_revision(module: ast.Module) -> tuple[str, set[str]] | None:
    """A migration script's revision and the revisions it follows; None for other files."""
    values: dict[str, Any] = {}
    for node in module.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    values[target.id] = node.value
    if "revision" not in values:
        return None
    revision = ast.literal_eval(values["revision"])
    parents = ast.literal_eval(values.get("down_revision", ast.Constant(None)))
    if parents is None:
        return revision, set()
    return revision, {parents} if isinstance(parents, str) else set(parents)


def _is_missing_table(error: DBAPIError) -> bool:
    # PostgreSQL's undefined_table; SQLite has no codes, only the message.
    original = error.orig
    if getattr(original, "sqlstate", None) == "42P01":
        return True
    return isinstance(original, sqlite3.OperationalError) and "no such table" in str(original)
