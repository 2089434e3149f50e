"""The keys' reach over what is stored: checked at start, and every secret re-encrypted."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import SecretUnreadable
from bot.store.crypto import Keyring
from bot.store.models import (
    AuditRow,
    InstallationRow,
    LinkRow,
    WatchRow,
    WorkspaceSettingsRow,
)

# Rows re-encrypted per transaction, so SQLite writers are never held up long.
ROTATE_BATCH = 500

KEY_CANNOT_READ = (
    "LENSPIN_ENCRYPTION_KEY cannot decrypt the {what} stored in the database: it is not the "
    "key they were encrypted with. Set LENSPIN_ENCRYPTION_KEY back to that key (to change "
    "keys, put the new one first, then the old one, comma-separated, and run `python -m bot "
    "rotate-keys`). If that key is lost, the stored values cannot be read by anyone: delete "
    "them (DELETE FROM lenspin_links; UPDATE lenspin_audit SET pin_encrypted = NULL; "
    "DELETE FROM lenspin_watches; DELETE FROM lenspin_installations; UPDATE "
    "lenspin_workspace_settings SET shared_code_encrypted = '', sso_password_encrypted = '') "
    "and technicians connect their accounts again, workspaces install lenspin again and "
    "their admins set the shared code and SSO password again."
)


def check_key(reading: sessionmaker[Session], keyring: Keyring) -> None:
    """Raise SecretUnreadable unless the keys decrypt the oldest and newest of each secret."""
    install, settings = InstallationRow, WorkspaceSettingsRow
    kinds = (
        ("auth codes of connected accounts", LinkRow.auth_code_encrypted, LinkRow.linked_at),
        ("PINs in the audit trail", AuditRow.pin_encrypted, AuditRow.id),
        ("auth codes of watched PINs", WatchRow.auth_code_encrypted, WatchRow.id),
        ("reply handles of watched PINs", WatchRow.reply_encrypted, WatchRow.id),
        ("bot tokens of installs", install.bot_token_encrypted, install.installed_at),
        ("refresh tokens of installs", install.bot_refresh_token_encrypted, install.installed_at),
        ("shared codes of workspaces", settings.shared_code_encrypted, settings.updated_at),
        ("SSO passwords of workspaces", settings.sso_password_encrypted, settings.updated_at),
    )
    with reading() as session:
        for what, column, order in kinds:
            for direction in (order.asc(), order.desc()):
                # "" is a secret never set (a refresh token without rotation, no SSO...).
                token = session.scalars(
                    select(column)
                    .where(column.is_not(None), column != "")
                    .order_by(direction)
                    .limit(1)
                ).first()
                try:
                    if token is not None:
                        keyring.decrypt(token)
                except SecretUnreadable:
                    raise SecretUnreadable(KEY_CANNOT_READ.format(what=what)) from None


def rotate_keys(writing: sessionmaker[Session], keyring: Keyring) -> int:
    """Re-encrypt links' codes, installs' tokens, workspaces' secrets and the audit's PINs
    with the first key; return how many rows were rewritten."""
    rewritten = 0
    # FOR UPDATE: a re-link, re-install or purge meanwhile waits, and is neither undone nor lost.
    with writing.begin() as session:
        for link in session.scalars(select(LinkRow).with_for_update()):
            link.auth_code_encrypted = keyring.rotate(link.auth_code_encrypted)
            rewritten += 1
        for install in session.scalars(select(InstallationRow).with_for_update()):
            install.bot_token_encrypted = keyring.rotate(install.bot_token_encrypted)
            install.bot_refresh_token_encrypted = _rotate(
                install.bot_refresh_token_encrypted, keyring
            )
            rewritten += 1
        for settings in session.scalars(select(WorkspaceSettingsRow).with_for_update()):
            settings.shared_code_encrypted = _rotate(settings.shared_code_encrypted, keyring)
            settings.sso_password_encrypted = _rotate(settings.sso_password_encrypted, keyring)
            rewritten += 1
    after = 0
    while True:
        with writing.begin() as session:
            rows = session.scalars(
                select(AuditRow)
                .where(AuditRow.id > after, AuditRow.pin_encrypted.is_not(None))
                .order_by(AuditRow.id)
                .limit(ROTATE_BATCH)
                .with_for_update()
            ).all()
            for row in rows:
                # The query picked only rows whose PIN is not NULL; its type cannot say so.
                row.pin_encrypted = keyring.rotate(cast(str, row.pin_encrypted))
        if not rows:
            return rewritten
        rewritten += len(rows)
        after = rows[-1].id


def _rotate(token: str, keyring: Keyring) -> str:
    # "" is a secret never set: nothing to re-encrypt.
    return keyring.rotate(token) if token else ""
