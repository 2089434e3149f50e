"""What keeps start-up lean: a key check without cryptography, one refusal said once, and a
Rescue client built after the worker serves."""

from __future__ import annotations

import base64
import os
import threading

import pytest
from cryptography.fernet import Fernet

from bot.env import key_problem
from bot.front import FirstSay
from bot.rescue import PinRequest, Unavailable
from bot.rescue.models import Pin
from bot.rescue_loader import DeferredRescue
from bot.store import Keyring, generate_key
from tests.support.doubles import MemoryRescue

GOOD = generate_key()
SAMPLES = [
    GOOD,
    GOOD[:-2],  # 31 bytes
    base64.urlsafe_b64encode(os.urandom(33)).decode(),
    base64.b64encode(b"\xfb" * 32).decode(),  # standard base64: '+' and '/'
    "not-a-fernet-key",
    "é" * 44,
    "=" * 44,
    "",
]


@pytest.mark.parametrize("key", SAMPLES)
def test_the_settings_check_of_a_key_agrees_with_fernet(key: str) -> None:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        fernet_takes_it = False
    else:
        fernet_takes_it = True
    assert (key_problem([key]) is None) == fernet_takes_it


def test_a_bad_second_key_is_named_by_its_place() -> None:
    problem = key_problem([GOOD, "not-a-fernet-key"])
    assert problem is not None
    assert "key 2 of 2 is not a Fernet key" in problem
    with pytest.raises(ValueError, match="key 2 of 2 is not a Fernet key"):
        Keyring([GOOD, "not-a-fernet-key"])


def test_one_token_one_speaker() -> None:
    say = FirstSay()
    assert not FirstSay().spoken()
    assert [say.take(), say.take(), say.take()] == [True, False, False]
    assert say.spoken()


def test_the_token_is_shared_with_forked_workers() -> None:
    say = FirstSay()
    pid = os.fork()
    if pid == 0:  # the child takes the token, as the first worker to fail would
        os._exit(0 if say.take() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not say.take()


REQUEST = PinRequest(name="Jane")


def test_the_first_call_waits_for_the_client_to_be_built() -> None:
    release, frozen = threading.Event(), threading.Event()
    rescue = MemoryRescue()

    def build() -> MemoryRescue:
        release.wait(5)
        return rescue

    deferred = DeferredRescue(build, wait=5, then=frozen.set).start()
    answers: list[Pin] = []
    caller = threading.Thread(
        target=lambda: answers.append(deferred.request_lens_pin(REQUEST, auth_code="c"))
    )
    caller.start()
    caller.join(0.2)
    assert caller.is_alive()  # still waiting for the build
    release.set()
    caller.join(5)
    assert len(answers) == 1
    assert frozen.is_set()
    assert len(rescue.pin_calls) == 1


def test_a_client_not_built_in_time_is_unavailable() -> None:
    release = threading.Event()

    def build() -> MemoryRescue:
        release.wait(5)
        return MemoryRescue()

    deferred = DeferredRescue(build, wait=0.05).start()
    try:
        with pytest.raises(Unavailable, match="still loading"):
            deferred.get_account("c")
    finally:
        release.set()


def test_a_client_that_cannot_be_built_is_unavailable() -> None:
    def build() -> MemoryRescue:
        raise ValueError("no WSDL")

    deferred = DeferredRescue(build, wait=5).start()
    with pytest.raises(Unavailable, match="could not be built"):
        deferred.get_sessions("c", 1)
