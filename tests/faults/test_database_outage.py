"""The database briefly unreachable: the technician is told plainly, and lenspin recovers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import texts
from tests.support import (
    AUTH_CODE,
    POSTGRES_URL,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    fresh_database,
    open_pin_modal,
    submit_pin_modal,
)
from tests.support.proxy import Proxy, postgres_proxy

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="LENSPIN_TEST_DATABASE_URL is not set")


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    with postgres_proxy() as proxy:
        yield proxy


def test_a_database_outage_gets_a_plain_answer_and_lenspin_recovers(proxy: Proxy) -> None:
    through_proxy = proxy.url_for(fresh_database("postgresql"))
    users = ["U0DBDOWN01", "U0DBDOWN02", "U0DBDOWN03"]
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=through_proxy, LENSPIN_ALLOWED_USERS="*")
        with WebProcess(env) as web:

            def ask(user: str) -> str:
                opened = open_pin_modal(slack, web.events_url, user_id=user, text=user)
                submit_pin_modal(slack, web.events_url, opened, user_id=user, values={})
                return slack.wait_for_message(user, timeout=20)["text"]

            assert "Rescue Lens PIN" in ask(users[0])
            proxy.cut()
            during = ask(users[1])
            assert texts.DATABASE_NOT_ANSWERING in during
            assert "Traceback" not in during
            assert rescue.calls[-1].fields["sCField0"] == users[0]  # nothing sent while down
            proxy.start()
            assert "Rescue Lens PIN" in ask(users[2])
