"""A redirect from Rescue is never followed: the envelope (auth code, password) stays put."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bot.rescue.errors import Unavailable
from bot.rescue.models import Pin
from tests.support import FakeRescue, MakeClient, Redirect, RedirectTarget, Result
from tests.support.rescue_ops import OPERATIONS, OPS_PASSWORD, rescue_for_every_operation

# In every Location below, so errors and logs can be searched for any piece of it.
MARK = "moved-token-4f2a"
STATUSES = [301, 302, 303, 307, 308]


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    with rescue_for_every_operation() as server:
        yield server


@pytest.fixture
def target() -> Iterator[RedirectTarget]:
    with RedirectTarget() as trap:
        yield trap


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("status", STATUSES)
def test_a_redirect_is_unavailable_and_its_target_receives_nothing(
    *,
    fake: FakeRescue,
    make_client: MakeClient,
    target: RedirectTarget,
    caplog: pytest.LogCaptureFixture,
    operation: str,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, so requests and urllib3 speak up too
    location = f"{target.url}?{MARK}=1"
    fake.queue(Redirect(location, status))
    client = make_client()

    with pytest.raises(Unavailable) as caught:
        OPERATIONS[operation](client)

    # Synchronous: had the client followed, the target recorded the request before answering.
    assert target.received == []
    assert len(fake.calls) == 1
    assert str(caught.value) == f"Rescue answered HTTP {status} (a redirect, not followed)"
    raised = "".join(traceback.format_exception(caught.value))
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    target_netloc = urlsplit(target.url).netloc
    for text in (raised, logged):
        assert MARK not in text
        assert target_netloc not in text
        assert OPS_PASSWORD not in text


def test_the_next_call_after_a_redirect_goes_to_rescue_again(
    fake: FakeRescue, make_client: MakeClient, target: RedirectTarget
) -> None:
    fake.queue(Redirect(target.url, 307), Result(pin="123456"))
    client = make_client()

    with pytest.raises(Unavailable):
        OPERATIONS["requestLensPINCodeV2"](client)
    second = OPERATIONS["requestLensPINCodeV2"](client)

    assert second == Pin("123456")
    assert target.received == []
    assert len(fake.calls) == 2
