"""Store: linked Rescue accounts, the audit trail and the schema check, one transaction each."""

from __future__ import annotations

import ast
import functools
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnClause,
    CursorResult,
    Engine,
    Result,
    column,
    delete,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from bot.domain import AuditEntry, AuditRecord, CodeSource, Link, LinkSource
from bot.fields import FIELD_KEYS
from bot.store.crypto import Keyring
from bot.store.db import advisory_lock_id, immediate, make_engine, upsert
from bot.store.models import VERSION_TABLE, AuditRow, LinkRow, require_aware
from bot.store.pacer import DatabasePacer

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# Rows fetched per round trip when exporting; small enough to keep memory flat.
EXPORT_BATCH = 500

MIGRATE_COMMAND = "python -m bot migrate"

_VERSION_NUM: ColumnClause[str] = column("version_num")
_VERSIONS = select(_VERSION_NUM).select_from(table(VERSION_TABLE))


class SchemaOutdated(Exception):
    """The database's tables are missing or not at the revision this code needs."""


class Store:
    """lenspin's durable state behind a small interface; PostgreSQL or SQLite underneath."""

    def __init__(self, engine: Engine, keyring: Keyring) -> None:
        self._engine = engine
        self._keyring = keyring
        # Objects are turned into frozen dataclasses before the session ends; no lazy loads.
        self._reading = sessionmaker(engine, expire_on_commit=False)
        self._writing = sessionmaker(immediate(engine), expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, keyring: Keyring) -> Store:
        """A Store on a new engine for url (postgres:// URLs are accepted as they come)."""
        return cls(make_engine(url), keyring)

    @property
    def engine(self) -> Engine:
        """The engine underneath, e.g. to dispose() of its pool after a fork."""
        return self._engine

    def __repr__(self) -> str:
        # The URL may hold a password: show only where the data lives.
        return f"Store({self._engine.dialect.name})"

    # Schema

    def check_schema(self) -> None:
        """Raise SchemaOutdated unless the database is at the newest migration."""
        head, known = _revisions()
        try:
            with self._engine.connect() as connection:
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

    def migrate(self) -> list[str]:
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
        with immediate(self._engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": advisory_lock_id("migrate")}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return applied

    def ping(self) -> None:
        """One cheap query; raises if the database cannot be reached."""
        with self._engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar_one()

    def pacer(
        self, *, interval: float, sleep: Callable[[float], None] = time.sleep
    ) -> DatabasePacer:
        """A Pacer for PinService that paces every process and machine using this database."""
        return DatabasePacer(self._engine, interval, sleep=sleep)

    # Linked Rescue accounts

    def save_link(
        self,
        *,
        team_id: str,
        user_id: str,
        auth_code: str,
        email: str,
        organization: str,
        source: LinkSource,
    ) -> Link:
        """Link (or re-link) a Slack user to a Rescue account; the link is fresh again."""
        link = Link(
            team_id=team_id,
            user_id=user_id,
            auth_code=auth_code,
            email=email,
            organization=organization,
            source=source,
            linked_at=datetime.now(UTC),
            stale=False,
        )
        values = {
            "team_id": team_id,
            "user_id": user_id,
            "auth_code_encrypted": self._keyring.encrypt(auth_code),
            "email": email,
            "organization": organization,
            "source": source.value,
            "linked_at": link.linked_at,
            "stale": False,
        }
        # An upsert, not read-then-write: two saves for one user at once cannot collide.
        statement = upsert(self._engine)(LinkRow).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[LinkRow.team_id, LinkRow.user_id],
            set_={
                name: statement.excluded[name]
                for name in values
                if name not in ("team_id", "user_id")
            },
        )
        with self._writing.begin() as session:
            session.execute(statement)
        return link

    def get_link(self, team_id: str, user_id: str) -> Link | None:
        """The user's link, or None; raises ValueError if no key can decrypt its auth code."""
        with self._reading() as session:
            row = session.get(LinkRow, (team_id, user_id))
            if row is None:
                return None
            return Link(
                team_id=row.team_id,
                user_id=row.user_id,
                auth_code=self._keyring.decrypt(row.auth_code_encrypted),
                email=row.email,
                organization=row.organization,
                source=LinkSource(row.source),
                linked_at=row.linked_at,
                stale=row.stale,
            )

    def mark_link_stale(self, team_id: str, user_id: str) -> None:
        """Note that Rescue refused the user's auth code, so they are asked to link again."""
        with self._writing.begin() as session:
            session.execute(
                update(LinkRow)
                .where(LinkRow.team_id == team_id, LinkRow.user_id == user_id)
                .values(stale=True)
            )

    def delete_link(self, team_id: str, user_id: str) -> bool:
        """Forget the user's link; True if there was one."""
        with self._writing.begin() as session:
            result = session.execute(
                delete(LinkRow).where(LinkRow.team_id == team_id, LinkRow.user_id == user_id)
            )
            return _rowcount(result) > 0

    # Audit trail

    def record_request(self, entry: AuditEntry) -> int:
        """Append a PIN request to the audit trail; return its id."""
        row = AuditRow(
            team_id=entry.team_id,
            user_id=entry.user_id,
            requested_at=require_aware(entry.requested_at, "requested_at"),
            **{key: entry.fields.get(key, "") for key in FIELD_KEYS},
            no_tech_console=entry.no_tech_console,
            code_source=entry.code_source.value,
            result=entry.result,
            latency_ms=entry.latency_ms,
            pin_encrypted=None if entry.pin is None else self._keyring.encrypt(entry.pin),
        )
        with self._writing.begin() as session:
            session.add(row)
            session.flush()
            return row.id

    def recent_requests(self, team_id: str, user_id: str, limit: int = 10) -> list[AuditRecord]:
        """The user's latest requests, newest first."""
        statement = (
            select(AuditRow)
            .where(AuditRow.team_id == team_id, AuditRow.user_id == user_id)
            .order_by(AuditRow.requested_at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        with self._reading() as session:
            return [self._record(row) for row in session.scalars(statement)]

    def get_request(self, request_id: int, team_id: str, user_id: str) -> AuditRecord | None:
        """One of the user's own requests by id (None for anyone else's, or a purged one)."""
        statement = select(AuditRow).where(
            AuditRow.id == request_id, AuditRow.team_id == team_id, AuditRow.user_id == user_id
        )
        with self._reading() as session:
            row = session.scalars(statement).one_or_none()
            return None if row is None else self._record(row)

    def purge_audit(self, older_than: datetime) -> int:
        """Delete requests made before older_than; return how many were deleted."""
        older_than = require_aware(older_than, "older_than")
        with self._writing.begin() as session:
            result = session.execute(
                delete(AuditRow)
                .where(AuditRow.requested_at < older_than)
                .execution_options(synchronize_session=False)
            )
            return _rowcount(result)

    def export_audit(self, since: datetime) -> Iterator[AuditRecord]:
        """Requests made at or after since, oldest first, fetched in batches as iterated."""
        # Checked now, not at the first next(): a generator would defer the error.
        return self._export(require_aware(since, "since"))

    def rotate_keys(self) -> int:
        """Re-encrypt every stored secret with the first key; return how many were rewritten.

        After this, keys other than the first can be removed from LENSPIN_ENCRYPTION_KEY.
        """
        rewritten = 0
        # FOR UPDATE: a re-link or purge meanwhile waits, and is neither undone nor lost.
        with self._writing.begin() as session:
            for link in session.scalars(select(LinkRow).with_for_update()):
                link.auth_code_encrypted = self._keyring.rotate(link.auth_code_encrypted)
                rewritten += 1
        after = 0
        while True:
            # Batches in their own transactions, so SQLite writers are never held up long.
            with self._writing.begin() as session:
                rows = session.scalars(
                    select(AuditRow)
                    .where(AuditRow.id > after, AuditRow.pin_encrypted.is_not(None))
                    .order_by(AuditRow.id)
                    .limit(EXPORT_BATCH)
                    .with_for_update()
                ).all()
                for row in rows:
                    # The query picked only rows whose PIN is not NULL; its type cannot say so.
                    row.pin_encrypted = self._keyring.rotate(cast(str, row.pin_encrypted))
            if not rows:
                return rewritten
            rewritten += len(rows)
            after = rows[-1].id

    def _export(self, since: datetime) -> Iterator[AuditRecord]:
        statement = (
            select(AuditRow)
            .where(AuditRow.requested_at >= since)
            .order_by(AuditRow.requested_at, AuditRow.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        with self._reading() as session:
            for row in session.scalars(statement):
                yield self._record(row)

    def _record(self, row: AuditRow) -> AuditRecord:
        return AuditRecord(
            id=row.id,
            team_id=row.team_id,
            user_id=row.user_id,
            requested_at=row.requested_at,
            fields={key: getattr(row, key) for key in FIELD_KEYS},
            no_tech_console=row.no_tech_console,
            code_source=CodeSource(row.code_source),
            result=row.result,
            latency_ms=row.latency_ms,
            pin=None if row.pin_encrypted is None else self._keyring.decrypt(row.pin_encrypted),
        )


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


def _rowcount(result: Result[Any]) -> int:
    # Session.execute() is typed to answer a Result whatever the statement; for a DELETE it
    # is a CursorResult, the one kind with rowcount.
    return cast(CursorResult[Any], result).rowcount
