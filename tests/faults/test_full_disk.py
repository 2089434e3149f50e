"""SQLite on a full disk: the pacer cannot record a turn, and the PIN is still made."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Keyring, Store
from tests.support import (
    AUTH_CODE,
    ENCRYPTION_KEY,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    open_pin_modal,
    submit_pin_modal,
)


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 4 MiB tmpfs of the test's own (mounting needs root; skipped elsewhere)."""
    mount_point = Path(tempfile.mkdtemp(prefix="lenspin-full-disk-"))
    mounted = subprocess.run(  # noqa: S603 (fixed arguments)
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        # Lazily: the web process may still hold the database open as it exits.
        subprocess.run(["umount", "-l", str(mount_point)], check=False)  # noqa: S603, S607
        mount_point.rmdir()


def fill(disk: Path) -> None:
    """Write to disk until it has no block left."""
    with open(disk / "filler", "wb", buffering=0) as filler:
        size = 1 << 16
        while size:
            try:
                filler.write(b"\0" * size)
            except OSError:  # ENOSPC: try a smaller piece, down to nothing
                size //= 2
    assert os.statvfs(disk).f_bavail == 0


def test_a_full_disk_still_gets_the_technician_a_pin(small_disk: Path) -> None:
    url = f"sqlite:///{small_disk / 'lenspin.sqlite3'}"
    store = Store.from_url(url, Keyring.from_setting(ENCRYPTION_KEY))
    store.migrate()
    store.engine.dispose()
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        users = ["U0FULLDSK1", "U0FULLDSK2"]
        env = app_env(slack, rescue, DATABASE_URL=url, LENSPIN_ALLOWED_USERS=",".join(users))
        with WebProcess(env) as web:

            def ask(user: str) -> str:
                opened = open_pin_modal(slack, web.events_url, user_id=user, text=user)
                submit_pin_modal(slack, web.events_url, opened, user_id=user, values={})
                return slack.wait_for_message(user, timeout=20)["text"]

            assert "Rescue Lens PIN" in ask(users[0])
            assert "could not record a pacing turn" not in web.output()
            fill(small_disk)
            assert "Rescue Lens PIN" in ask(users[1])
            assert [call.fields["sCField0"] for call in rescue.calls] == users
            output = web.output()
    assert "WARNING bot.store.pacer: The database could not record a pacing turn" in output
    assert "pacing this request in this process only" in output
