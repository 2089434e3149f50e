"""The database on deploy: schema checks at start-up, and several web processes as one bot."""

from __future__ import annotations

import itertools
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import AuditPurger
from bot.store import Keyring, Store
from tests.support import (
    AUTH_CODE,
    ENCRYPTION_KEY,
    POSTGRES_URL,
    FakeRescue,
    FakeSlack,
    Hang,
    Result,
    WebProcess,
    app_env,
    entry,
    fresh_database,
    open_pin_modal,
    run_bot,
    submit_pin_modal,
)
from tests.support.answers import answer_for


def test_an_unmigrated_database_stops_the_web_process_with_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,)) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=url)
        process = WebProcess(env)
        with pytest.raises(RuntimeError) as caught:
            process.start(timeout=20)
        process.stop()
        assert "python -m bot migrate" in str(caught.value)
        assert "Traceback" not in str(caught.value)

        migrated = run_bot(["migrate"], tmp_path, {"DATABASE_URL": url})
        assert migrated.returncode == 0, migrated.stderr
        again = run_bot(["migrate"], tmp_path, {"DATABASE_URL": url})
        assert "0 migration(s) applied" in again.stdout
        with WebProcess(env) as web:
            opened = open_pin_modal(slack, web.events_url, user_id="U0TECH0398")
        assert opened.ack.status == 200


@pytest.mark.skipif(not POSTGRES_URL, reason="LENSPIN_TEST_DATABASE_URL is not set")
def test_two_web_processes_sharing_postgresql_keep_one_pace() -> None:
    database_url = fresh_database("postgresql")
    users = [f"U0DYNO{i:02d}" for i in range(6)]
    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        rescue = stack.enter_context(FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=1.0))
        env = app_env(slack, rescue, DATABASE_URL=database_url, LENSPIN_ALLOWED_USERS="*")
        # Two "dynos", each with its own workers, sharing nothing but the database.
        dynos = [stack.enter_context(WebProcess(env)) for _ in range(2)]
        opened = [
            open_pin_modal(slack, dyno.events_url, user_id=u, text=u)
            for u, dyno in zip(users, itertools.cycle(dynos), strict=False)
        ]

        def submit(i: int) -> None:
            dyno = dynos[i % 2]
            submit_pin_modal(slack, dyno.events_url, opened[i], user_id=users[i], values={})

        started = time.monotonic()
        with ThreadPoolExecutor(len(users)) as pool:
            list(pool.map(submit, range(len(users))))
        # Queue notes left out: a process with four of them in line tells the fourth so.
        messages = [answer_for(slack, u, timeout=20) for u in users]
        elapsed = time.monotonic() - started
    assert all("Rescue Lens PIN for" in m["text"] for m in messages)
    calls = rescue.calls
    # (Almost) no PollRateExceeded: see the burst test in test_load.py for the one that may slip.
    assert len(calls) <= len(users) + 1
    assert elapsed < len(users) * 1.1 + 3


def test_the_purger_deletes_only_rows_past_their_retention(tmp_path: Path) -> None:
    store = Store.from_url(
        f"sqlite:///{tmp_path / 'p.sqlite3'}", Keyring.from_setting(ENCRYPTION_KEY)
    )
    store.migrate()
    now = datetime.now(UTC)
    for age in (1, 89, 91, 400):
        store.record_request(entry(requested_at=now - timedelta(days=age), name=f"{age} days"))
    assert AuditPurger(store, days=90).purge_now() == 2
    kept = store.recent_requests(entry().team_id, entry().user_id)
    assert [r.name for r in kept] == ["1 days", "89 days"]


def test_killing_the_web_process_mid_request_loses_nothing_committed() -> None:
    database_url = fresh_database("sqlite")
    users = ["U0KILL0001", "U0KILL0002", "U0KILL0003", "U0KILL0004"]
    store = Store.from_url(database_url, Keyring.from_setting(ENCRYPTION_KEY))
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=database_url, LENSPIN_ALLOWED_USERS="*")
        web = WebProcess(env).start()
        for user in users[:2]:
            opened = open_pin_modal(slack, web.events_url, user_id=user, text=user)
            submit_pin_modal(slack, web.events_url, opened, user_id=user, values={})
            slack.wait_for_message(user)
        rescue.set_default(Hang())
        opened = open_pin_modal(slack, web.events_url, user_id=users[2], text=users[2])
        submit_pin_modal(slack, web.events_url, opened, user_id=users[2], values={})
        rescue.wait_for_calls(3)  # the third request is now waiting on Rescue
        assert web.process is not None
        os.killpg(web.process.pid, signal.SIGKILL)
        web.process.wait()
        web.stop()

        assert [r.user_id for r in store.recent_requests(slack.team_id, users[1])] == [users[1]]
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        # A fresh process on the same database carries on.
        rescue.set_default(Result())
        with WebProcess(env) as again:
            opened = open_pin_modal(slack, again.events_url, user_id=users[3], text=users[3])
            submit_pin_modal(slack, again.events_url, opened, user_id=users[3], values={})
            assert "Rescue Lens PIN" in slack.wait_for_message(users[3])["text"]
    recorded = {u for u in users if store.recent_requests(slack.team_id, u)}
    assert recorded == {users[0], users[1], users[3]}
