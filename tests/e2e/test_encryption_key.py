"""A wrong or lost LENSPIN_ENCRYPTION_KEY: refused at start with words, never silence later."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import texts
from bot.domain import LinkSource
from bot.store import Keyring, Store, generate_key
from tests.support import (
    ENCRYPTION_KEY,
    STRANGER,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    fresh_database,
    open_pin_modal,
    run_bot,
    submit_pin_modal,
)
from tests.support.records import entry

WRONG_KEY = generate_key()
LINKED_CODE = "linkedcode0123456789abcdefghijklmnopqrstuvwxyz"


def written_with(key: str, *, user_id: str = "U0LINKED01") -> str:
    """A fresh database holding a linked account and a PIN, encrypted with key."""
    url = fresh_database()
    store = Store.from_url(url, Keyring.from_setting(key))
    store.save_link(
        team_id="T0LENSPIN",
        user_id=user_id,
        auth_code=LINKED_CODE,
        email="tech@example.com",
        organization="Acme",
        source=LinkSource.TOKEN,
    )
    store.record_request(entry(pin="123456", name="Jane"))
    store.engine.dispose()
    return url


def assert_names_the_key(output: str) -> None:
    assert "LENSPIN_ENCRYPTION_KEY cannot decrypt the " in output
    assert "python -m bot rotate-keys" in output
    assert "Traceback" not in output
    assert WRONG_KEY not in output
    assert ENCRYPTION_KEY not in output


def test_the_web_process_refuses_a_key_that_cannot_read_the_database(
    slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, DATABASE_URL=written_with(ENCRYPTION_KEY))
    process = WebProcess({**env, "LENSPIN_ENCRYPTION_KEY": WRONG_KEY})
    with pytest.raises(RuntimeError) as caught:
        process.start(timeout=20)
    process.stop()
    output = str(caught.value)
    assert_names_the_key(output)
    # Said once, by the first worker to find it, though both check as they start.
    assert output.count("LENSPIN_ENCRYPTION_KEY cannot decrypt") == 1
    assert process.process is not None
    assert process.process.returncode == 1


def test_check_fails_on_a_key_that_cannot_read_the_database(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, DATABASE_URL=written_with(ENCRYPTION_KEY))
    result = run_bot(["check"], tmp_path, {**env, "LENSPIN_ENCRYPTION_KEY": WRONG_KEY})
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if "LENSPIN_ENCRYPTION_KEY" in line]
    assert line.startswith("FAIL  LENSPIN_ENCRYPTION_KEY cannot decrypt the ")
    assert_names_the_key(result.stdout + result.stderr)
    right = run_bot(["check"], tmp_path, env)
    assert "LENSPIN_ENCRYPTION_KEY reads what it stores" in right.stdout


def test_the_audit_export_works_without_the_key_and_rotation_refuses_plainly(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, DATABASE_URL=written_with(ENCRYPTION_KEY))
    wrong = {**env, "LENSPIN_ENCRYPTION_KEY": WRONG_KEY}
    exported = run_bot(["audit", "--since", "2000-01-01"], tmp_path, wrong)
    assert exported.returncode == 0, exported.stderr
    assert "Traceback" not in exported.stderr
    assert exported.stdout.splitlines()[1].split(",")[3] == "Jane"
    assert "1 request(s) exported." in exported.stderr
    rotated = run_bot(["rotate-keys"], tmp_path, wrong)
    assert rotated.returncode == 2
    assert_names_the_key(rotated.stdout + rotated.stderr)


def test_a_secret_that_cannot_be_read_later_gets_a_plain_answer(
    slack: FakeSlack, rescue: FakeRescue
) -> None:
    # The app starts with the right key; a row written since with another key is unreadable.
    url = written_with(ENCRYPTION_KEY)
    allowed, linked = "U0KEYTECH1", STRANGER
    env = app_env(slack, rescue, DATABASE_URL=url, LENSPIN_ALLOWED_USERS=allowed)
    with WebProcess(env) as web:
        other = Store.from_url(url, Keyring.from_setting(WRONG_KEY))
        for user_id in (allowed, linked):
            other.save_link(
                team_id=slack.team_id,
                user_id=user_id,
                auth_code=LINKED_CODE,
                email="tech@example.com",
                organization="Acme",
                source=LinkSource.TOKEN,
            )
        other.engine.dispose()

        # An allowed technician with an unreadable link asks for a PIN.
        opened = open_pin_modal(slack, web.events_url, user_id=allowed, text="Jane")
        submit_pin_modal(slack, web.events_url, opened, user_id=allowed, values={})
        answer = slack.wait_for_message(allowed, timeout=10)["text"]
        assert texts.SECRET_UNREADABLE in answer

        # Someone outside the allowlist whose link is unreadable: lenspin looks it up.
        ack, _, _ = slack.send_command(web.events_url, user_id=linked, text="Jane")
        assert ack.status == 200
        assert slack.wait_for_message(linked, timeout=10)["text"] == texts.SECRET_UNREADABLE
        assert [call.operation for call in rescue.calls] == []
        assert "Traceback" not in web.output()
