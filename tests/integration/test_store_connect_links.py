"""Connect links in the database: kept by hash, a try counted atomically, closed, purged."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.accounts import Accounts
from bot.connect import MOST_TRIES, Connected, ConnectLinks, TryFailed, token_hash
from bot.domain import ConnectLink, Policy, Requester
from bot.store import Store
from bot.store.connect_links import DatabaseConnectLinks
from bot.store.models import ConnectLinkRow
from tests.support import database_dump
from tests.support.doubles import MemoryRescue

NOW = datetime.now(UTC).replace(microsecond=0)
TECH = Requester("T1", "U1", "E1")
# Every wait in these tests ends by this many seconds.
DEADLINE = 20.0

OpenStore = Callable[[], Store]


def link(name: str, *, expires_at: datetime = NOW + timedelta(minutes=10)) -> ConnectLink:
    return ConnectLink(
        token_hash=token_hash(name.ljust(43, "x")),
        requester=TECH,
        team_name="Helpdesk <&> Ünïcode",
        user_name='Jane "Tech" O\'Brien',
        expires_at=expires_at,
        attempts=0,
        used=False,
    )


def hashes(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return sorted(connection.execute(select(ConnectLinkRow.token_hash)).scalars())


def test_a_link_comes_back_as_it_was_kept_with_an_aware_time(open_store: OpenStore) -> None:
    links = open_store().connect_links()
    paris = timezone(timedelta(hours=1))
    kept = link("roundtrip", expires_at=datetime(2026, 11, 28, 13, 10, 5, 123456, tzinfo=paris))
    links.add_connect_link(kept)
    back = links.get_connect_link(kept.token_hash)
    assert back is not None
    assert back.expires_at.utcoffset() == timedelta(0)
    assert back.expires_at == datetime(2026, 11, 28, 12, 10, 5, 123456, tzinfo=UTC)
    assert back == replace(kept, expires_at=back.expires_at)
    assert links.get_connect_link(token_hash("never-issued".ljust(43, "x"))) is None


def test_a_naive_time_is_refused_rather_than_guessed(open_store: OpenStore) -> None:
    links = open_store().connect_links()
    with pytest.raises(ValueError, match="timezone-aware"):
        links.add_connect_link(link("naive", expires_at=datetime(2026, 11, 28, 12, 0)))
    links.add_connect_link(link("aware"))
    with pytest.raises(ValueError, match="timezone-aware"):
        links.spend_connect_try(link("aware").token_hash, now=datetime(2026, 11, 28), most=5)


def spend_at_once(keepers: list[DatabaseConnectLinks], token: str, count: int) -> list[int]:
    """count tries on one link, all let go at once, alternating between keepers."""
    barrier = threading.Barrier(count, timeout=DEADLINE)

    def spend(index: int) -> int:
        barrier.wait()
        spent = keepers[index % len(keepers)].spend_connect_try(
            token, now=datetime.now(UTC), most=MOST_TRIES
        )
        return 0 if spent is None else spent.attempts

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(spend, i) for i in range(count)]
        return [future.result(timeout=DEADLINE) for future in futures]


def test_ten_tries_at_once_count_exactly_five(open_store: OpenStore) -> None:
    links = open_store().connect_links()
    kept = link("ten-at-once")
    links.add_connect_link(kept)
    counted = spend_at_once([links], kept.token_hash, 10)
    # Each success saw its own count: 1 to 5, none twice; the other five got nothing.
    assert sorted(counted) == [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
    after = links.get_connect_link(kept.token_hash)
    assert after is not None
    assert after.attempts == MOST_TRIES


def test_ten_tries_at_once_from_two_processes_count_exactly_five(open_store: OpenStore) -> None:
    first, second = open_store(), open_store()
    kept = link("two-processes")
    first.connect_links().add_connect_link(kept)
    counted = spend_at_once([first.connect_links(), second.connect_links()], kept.token_hash, 10)
    assert sorted(counted) == [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
    after = second.connect_links().get_connect_link(kept.token_hash)
    assert after is not None
    assert after.attempts == MOST_TRIES


def test_no_try_is_counted_on_an_expired_link(open_store: OpenStore) -> None:
    links = open_store().connect_links()
    kept = link("expiring", expires_at=NOW)
    links.add_connect_link(kept)
    before = links.spend_connect_try(
        kept.token_hash, now=NOW - timedelta(microseconds=1), most=MOST_TRIES
    )
    assert before is not None
    assert before.attempts == 1
    for later in (NOW, NOW + timedelta(seconds=1), NOW + timedelta(days=1)):
        assert links.spend_connect_try(kept.token_hash, now=later, most=MOST_TRIES) is None
    after = links.get_connect_link(kept.token_hash)
    assert after is not None
    assert after.attempts == 1


def test_a_closed_link_is_used_and_counts_no_more_tries(open_store: OpenStore) -> None:
    links = open_store().connect_links()
    kept, other = link("closing"), link("left-open")
    links.add_connect_link(kept)
    links.add_connect_link(other)
    assert links.spend_connect_try(kept.token_hash, now=NOW, most=MOST_TRIES) is not None
    links.close_connect_link(kept.token_hash)
    closed = links.get_connect_link(kept.token_hash)
    assert closed is not None
    assert (closed.used, closed.attempts) == (True, 1)
    assert links.spend_connect_try(kept.token_hash, now=NOW, most=MOST_TRIES) is None
    # Closing one link leaves the others as they were.
    assert links.get_connect_link(other.token_hash) == other
    links.close_connect_link(token_hash("never-issued".ljust(43, "x")))  # harmless


def test_a_link_out_of_tries_counts_no_more(open_store: OpenStore) -> None:
    links = open_store().connect_links()
    kept = link("out-of-tries")
    links.add_connect_link(kept)
    for count in range(1, 3):
        spent = links.spend_connect_try(kept.token_hash, now=NOW, most=2)
        assert spent is not None
        assert spent.attempts == count
    assert links.spend_connect_try(kept.token_hash, now=NOW, most=2) is None


def test_purging_deletes_links_expired_before_the_cutoff_and_keeps_the_rest(
    open_store: OpenStore,
) -> None:
    store = open_store()
    links = store.connect_links()
    cutoff = NOW - timedelta(hours=1)
    old = link("old", expires_at=cutoff - timedelta(seconds=1))
    older = link("older", expires_at=cutoff - timedelta(days=3))
    at_cutoff = link("at-cutoff", expires_at=cutoff)
    expired_recently = link("expired-recently", expires_at=NOW - timedelta(minutes=1))
    alive = link("alive")
    for kept in (old, older, at_cutoff, expired_recently, alive):
        links.add_connect_link(kept)
    assert store.purge_pacing(cutoff) == 2
    assert hashes(store) == sorted(k.token_hash for k in (at_cutoff, expired_recently, alive))
    assert store.purge_pacing(cutoff) == 0
    # The keeper's own purge follows the same rule.
    assert links.purge_connect_links(NOW) == 2
    assert hashes(store) == [alive.token_hash]


def test_the_database_holds_the_tokens_hash_never_the_token(open_store: OpenStore) -> None:
    store = open_store()
    rescue = MemoryRescue()
    account = rescue.add_account("own-code", email="tech@example.com", login="right-password")
    accounts = Accounts(
        links=store,
        rescue=rescue,
        policy_of=lambda _who: Policy(),
    )
    links = ConnectLinks(
        store.connect_links(),
        accounts,
        public_url="https://lenspin.example.com",
        form_secret="form-secret-for-store-tests",
    )
    tokens = [
        links.issue(TECH, team_name="Helpdesk", user_name="Jane").rpartition("/")[2]
        for _ in range(3)
    ]
    first, second, _ = tokens
    assert isinstance(links.connect(first, email="tech@example.com", password="wrong"), TryFailed)
    assert links.connect(first, email="tech@example.com", password="right-password") == (
        Connected(TECH, account)
    )
    assert isinstance(links.connect(second, code="not-a-code"), TryFailed)
    dump = database_dump(store.engine.url.render_as_string(hide_password=False))
    for token in tokens:
        assert token_hash(token) in dump
        assert token not in dump
        # Nor any long piece of it (a prefix or suffix kept for lookups, say).
        assert token[:16] not in dump
        assert token[-16:] not in dump
    assert "right-password" not in dump
    states = {
        k.token_hash: (k.attempts, k.used)
        for k in map(store.connect_links().get_connect_link, map(token_hash, tokens))
        if k is not None
    }
    assert list(states.values()) == [(2, True), (1, False), (0, False)]
