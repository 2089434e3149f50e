"""Fixtures of the scenario tier: lenspin in this process, on in-memory doubles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.support import FakeSlack
from tests.support.inprocess import TECH, InProcessBot, MakeBot, in_process_bot


@pytest.fixture
def make_bot(slack: FakeSlack) -> Iterator[MakeBot]:
    """Builds lenspin with extra settings (env variables); each is stopped after the test."""
    with ExitStack() as stack:

        def make(**env: str) -> InProcessBot:
            return stack.enter_context(in_process_bot(slack, **env))

        yield make


@pytest.fixture
def bot(make_bot: MakeBot) -> InProcessBot:
    """lenspin with the shared code for TECH only, and linking on (the defaults)."""
    return make_bot(LENSPIN_ALLOWED_USERS=TECH)
