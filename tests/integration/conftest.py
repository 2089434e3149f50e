"""What the integration tests of the store share: Stores opened on a fresh database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.store import Keyring, Store
from tests.support import DATABASE_KINDS, ENCRYPTION_KEY, fresh_database


@pytest.fixture(params=DATABASE_KINDS)
def open_store(request: pytest.FixtureRequest) -> Iterator[Callable[..., Store]]:
    """Opens Stores on one fresh, migrated database: each is one process's view of it."""
    url = fresh_database(request.param)
    opened: list[Store] = []

    def open_(key: str = ENCRYPTION_KEY) -> Store:
        store = Store.from_url(url, Keyring.from_setting(key))
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.engine.dispose()
