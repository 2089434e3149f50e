"""The store's secrets and pacing rows: the key is checked, pacing keys are keyed, rows expire."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.audit import AuditPurger
from bot.domain import CodeSource, Credential, LinkSource, SecretUnreadable
from bot.lanes import pace_key
from bot.store import Keyring, Store, generate_key
from bot.store.models import PacingRow
from tests.support import ENCRYPTION_KEY
from tests.support.records import entry

AUTH_CODE = "PACED-AUTH-CODE-0123456789abcdefghijklmnopqrstuvwxyz"
OTHER_KEY = generate_key()

OpenStore = Callable[[str], Store]


class Waited(Exception):
    """Raised by a test's sleep to end a pacer's wait once it is seen."""


def pacing_keys(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(select(PacingRow.key)).scalars())


def link(store: Store, user_id: str) -> None:
    store.save_link(
        team_id="T1",
        user_id=user_id,
        auth_code=AUTH_CODE,
        email=f"{user_id}@example.com",
        organization="Acme",
        source=LinkSource.TOKEN,
    )


# The key is checked, not assumed


def test_the_key_check_passes_on_an_empty_database_and_with_the_right_keys(
    open_store: OpenStore,
) -> None:
    open_store(OTHER_KEY).check_key()  # nothing stored yet: any key reads it all
    writer = open_store(ENCRYPTION_KEY)
    link(writer, "U1")
    writer.record_request(entry(pin="123456"))
    writer.check_key()
    # A new key in front of the old one (a rotation under way) still reads everything.
    open_store(f"{OTHER_KEY},{ENCRYPTION_KEY}").check_key()


@pytest.mark.parametrize("stored", ["link", "pin"])
def test_a_key_that_cannot_read_what_is_stored_is_named_with_what_to_do(
    open_store: OpenStore, stored: str
) -> None:
    writer = open_store(ENCRYPTION_KEY)
    if stored == "link":
        link(writer, "U1")
    else:
        writer.record_request(entry(pin="123456"))
    with pytest.raises(SecretUnreadable) as caught:
        open_store(OTHER_KEY).check_key()
    message = str(caught.value)
    assert message.startswith("LENSPIN_ENCRYPTION_KEY cannot decrypt the ")
    assert ("auth codes" if stored == "link" else "PINs") in message
    assert "python -m bot rotate-keys" in message
    assert OTHER_KEY not in message
    assert ENCRYPTION_KEY not in message


def test_an_old_key_dropped_too_soon_is_caught_by_the_oldest_row(open_store: OpenStore) -> None:
    link(open_store(OTHER_KEY), "U1")  # written before the key changed
    link(open_store(f"{ENCRYPTION_KEY},{OTHER_KEY}"), "U2")  # after, without rotate-keys
    with pytest.raises(SecretUnreadable, match="auth codes"):
        open_store(ENCRYPTION_KEY).check_key()


def test_a_row_that_cannot_be_decrypted_later_raises_a_typed_error(
    open_store: OpenStore,
) -> None:
    link(open_store(OTHER_KEY), "U1")
    with pytest.raises(SecretUnreadable):
        open_store(ENCRYPTION_KEY).get_link("T1", "U1")


def test_the_audit_export_needs_no_key(open_store: OpenStore) -> None:
    writer = open_store(ENCRYPTION_KEY)
    writer.record_request(entry(pin="123456", name="Jane"))
    exported = list(open_store(OTHER_KEY).export_audit(datetime(2000, 1, 1, tzinfo=UTC)))
    assert [(record.name, record.pin) for record in exported] == [("Jane", None)]


# Pacing rows


def test_pacing_rows_are_keyed_by_an_hmac_under_lenspins_key(open_store: OpenStore) -> None:
    store = open_store(ENCRYPTION_KEY)
    lane_key = pace_key(Credential(AUTH_CODE, CodeSource.SHARED))
    store.pacer(interval=0.0).wait_turn(lane_key)
    (stored,) = pacing_keys(store)
    digest = hashlib.sha256(AUTH_CODE.encode()).hexdigest()
    # Neither the code's unsalted hash nor any part of it names the row: a guessed code
    # cannot be checked against the table without the key.
    assert digest[:16] not in stored
    assert stored not in digest
    assert stored == Keyring.from_setting(ENCRYPTION_KEY).pacing_name(lane_key)
    assert stored != Keyring.from_setting(OTHER_KEY).pacing_name(lane_key)


def test_the_audit_purge_removes_pacing_rows_a_day_old(open_store: OpenStore) -> None:
    store = open_store(ENCRYPTION_KEY)
    pacer = store.pacer(interval=0.0)
    for key in ("old-1", "old-2", "fresh"):
        pacer.wait_turn(key)
    names = Keyring.from_setting(ENCRYPTION_KEY)
    two_days_ago = time.time() - 2 * 86400
    with store.engine.begin() as connection:
        connection.execute(
            PacingRow.__table__.update()
            .where(PacingRow.key.in_([names.pacing_name("old-1"), names.pacing_name("old-2")]))
            .values(last_call=two_days_ago)
        )
    AuditPurger(store, days=30).purge_now()
    assert pacing_keys(store) == [names.pacing_name("fresh")]


def test_a_purge_of_many_rows_goes_in_batches(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import store as store_module  # noqa: PLC0415

    monkeypatch.setattr(store_module, "PURGE_BATCH", 2)
    store = open_store(ENCRYPTION_KEY)
    old = datetime(2001, 1, 1, tzinfo=UTC)
    for minutes in range(5):
        store.record_request(entry(requested_at=old + timedelta(minutes=minutes)))
    store.record_request(entry(requested_at=datetime.now(UTC)))
    assert store.purge_audit(datetime.now(UTC) - timedelta(days=1)) == 5
    assert len(store.recent_requests("T1", "U1")) == 1


def test_pacing_goes_on_in_process_when_the_database_cannot_record_a_turn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "lenspin.sqlite3"
    Store.from_url(f"sqlite:///{path}", Keyring.from_setting(ENCRYPTION_KEY)).migrate()
    # Read-only: every write fails the way a full disk makes it fail, and reads still work.
    read_only = Store.from_url(
        f"sqlite:///file:{path}?mode=ro&uri=true", Keyring.from_setting(ENCRYPTION_KEY)
    )
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        # As PinService's sleep does when it stops: the wait is seen, and ends the turn.
        waits.append(seconds)
        raise Waited

    pacer = read_only.pacer(interval=4.0, sleep=sleep)
    with caplog.at_level(logging.WARNING, logger="bot.store.pacer"):
        pacer.wait_turn("code")
        with pytest.raises(Waited):
            pacer.wait_turn("code")
    # The second turn is paced in this process: it waits its interval, it is not refused.
    assert len(waits) == 1
    assert 3.5 < waits[0] <= 4.0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all("pacing this request in this process only" in w for w in warnings)
    read_only.engine.dispose()
