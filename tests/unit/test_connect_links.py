"""ConnectLinks: single-use links to the connect page, kept by hash, ten minutes, five tries.

Over MemoryConnectLinks and a real Accounts on MemoryRescue, with a clock the tests move.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import pytest

from bot.accounts import Accounts, ConnectFailure, SharedAccount, connect_failure_of
from bot.connect import MOST_TRIES, Connected, ConnectLinks, TryFailed, token_hash
from bot.domain import ConnectLink, LinkSource, Policy, Requester
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import AccountResult, AuthResult, ResultCode
from tests.support.doubles import MemoryConnectLinks, MemoryRescue, MemoryStore

PUBLIC_URL = "https://lenspin.example.com/tools"
FORM_SECRET = "signing-secret-for-connect-tests"
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TECH = Requester("T1", "U1", "E1")
EMAIL = "tech@example.com"
PASSWORD = "the-right-password"
SHARED_CODE = "shared-auth-code"
SHARED_EMAIL = "Seat@Helpdesk.example"
URL = re.compile(re.escape(PUBLIC_URL) + r"/connect/(?P<token>[A-Za-z0-9_-]{43})")


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class World:
    """ConnectLinks as the app builds it, over in-memory links, accounts and Rescue."""

    def __init__(self, *, public_url: str = PUBLIC_URL, form_secret: str = FORM_SECRET) -> None:
        self.clock = Clock()
        self.store = MemoryStore()
        self.kept = MemoryConnectLinks(lambda: None)
        self.rescue = MemoryRescue()
        self.rescue.add_account(SHARED_CODE, email=SHARED_EMAIL)
        self.account = self.rescue.add_account("own-code", email=EMAIL, login=PASSWORD)
        self.accounts = Accounts(
            links=self.store,
            rescue=self.rescue,
            policy_of=lambda _who: Policy(allowed_users=frozenset({"*"}), shared_code=SHARED_CODE),
        )
        self.links = ConnectLinks(
            self.kept,
            self.accounts,
            public_url=public_url,
            form_secret=form_secret,
            clock=self.clock,
        )

    def issue(self) -> str:
        """A new link's token for TECH."""
        url = self.links.issue(TECH, team_name="Helpdesk", user_name="Jane Tech")
        match = URL.fullmatch(url)
        assert match is not None, url
        return match["token"]


@pytest.fixture
def w() -> World:
    return World()


def test_a_link_is_the_public_url_then_connect_then_43_url_safe_characters() -> None:
    for public_url in (PUBLIC_URL, PUBLIC_URL + "/"):
        url = World(public_url=public_url).links.issue(TECH, team_name="H", user_name="J")
        assert URL.fullmatch(url), url


def test_the_record_holds_the_tokens_sha256_and_never_the_token(w: World) -> None:
    token = w.issue()
    (kept,) = w.kept.links.values()
    assert kept.token_hash == hashlib.sha256(token.encode()).hexdigest() == token_hash(token)
    assert list(w.kept.links) == [kept.token_hash]
    assert kept == ConnectLink(
        token_hash=kept.token_hash,
        requester=TECH,
        team_name="Helpdesk",
        user_name="Jane Tech",
        expires_at=T0 + timedelta(minutes=10),
        attempts=0,
        used=False,
    )
    values = [str(getattr(kept, f.name)) for f in fields(kept)]
    assert not [v for v in values if token in v]
    assert token not in repr(kept)


def test_every_link_has_a_token_of_its_own(w: World) -> None:
    tokens = {w.issue() for _ in range(200)}
    assert len(tokens) == 200
    assert len(w.kept.links) == 200


def test_a_link_opens_until_ten_minutes_not_at_ten_minutes(w: World) -> None:
    token = w.issue()
    w.clock.now = T0 + timedelta(minutes=10) - timedelta(microseconds=1)
    opened = w.links.open_link(token)
    assert opened is not None
    assert opened.requester == TECH
    w.clock.now = T0 + timedelta(minutes=10)
    assert w.links.open_link(token) is None
    # Nor can a try be spent on it: Rescue is not asked.
    assert w.links.connect(token, email=EMAIL, password=PASSWORD) is None
    assert w.rescue.sign_ins == []


def test_five_tries_count_down_then_the_link_opens_nothing_and_rescue_never_sees_a_sixth(
    w: World,
) -> None:
    token = w.issue()
    left = []
    for _ in range(5):
        outcome = w.links.connect(token, email=EMAIL, password="wrong")
        assert isinstance(outcome, TryFailed)
        assert isinstance(outcome.error, Rejected)
        assert outcome.error.code is AuthResult.INVALID
        assert connect_failure_of(outcome.error) is ConnectFailure.WRONG_PASSWORD
        left.append(outcome.tries_left)
    assert left == [4, 3, 2, 1, 0]
    assert w.rescue.sign_ins == [EMAIL] * 5
    assert w.links.open_link(token) is None
    # The right password, a sixth time: refused before Rescue hears of it.
    assert w.links.connect(token, email=EMAIL, password=PASSWORD) is None
    assert w.rescue.sign_ins == [EMAIL] * 5
    assert w.store.get_link("T1", "U1") is None


def test_the_right_password_connects_the_links_owner_and_uses_the_link_up(w: World) -> None:
    token = w.issue()
    assert isinstance(w.links.connect(token, email=EMAIL, password="wrong"), TryFailed)
    outcome = w.links.connect(token, email=EMAIL, password=PASSWORD)
    assert outcome == Connected(TECH, w.account)
    saved = w.store.get_link("T1", "U1")
    assert saved is not None
    assert (saved.auth_code, saved.source) == ("own-code", LinkSource.PASSWORD)
    assert w.links.open_link(token) is None
    assert w.links.connect(token, email=EMAIL, password=PASSWORD) is None
    assert w.links.connect(token, code="own-code") is None
    assert w.rescue.sign_ins == [EMAIL, EMAIL]


def test_a_pasted_code_connects_and_a_wrong_one_is_a_try(w: World) -> None:
    token = w.issue()
    wrong = w.links.connect(token, code="not-a-code")
    assert isinstance(wrong, TryFailed)
    assert wrong.tries_left == 4
    assert connect_failure_of(wrong.error) is ConnectFailure.WRONG_CODE
    assert w.links.connect(token, code="  own-code  ") == Connected(TECH, w.account)
    saved = w.store.get_link("T1", "U1")
    assert saved is not None
    assert (saved.auth_code, saved.source) == ("own-code", LinkSource.TOKEN)
    assert w.rescue.sign_ins == []


def test_other_links_keep_their_own_tries(w: World) -> None:
    spent, fresh = w.issue(), w.issue()
    for _ in range(MOST_TRIES):
        w.links.connect(spent, email=EMAIL, password="wrong")
    assert w.links.open_link(spent) is None
    opened = w.links.open_link(fresh)
    assert opened is not None
    assert opened.attempts == 0


class NoStore:
    """A LinkKeeper that fails the test if anything asks it."""

    def _touched(self, *args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("a malformed token reached the store")

    add_connect_link = get_connect_link = spend_connect_try = close_connect_link = _touched


MALFORMED = [
    pytest.param("", id="empty"),
    pytest.param("A" * 42, id="42"),
    pytest.param("A" * 44, id="44"),
    pytest.param("A" * 42 + "/", id="slash"),
    pytest.param("A" * 40 + "%2F", id="percent"),
    pytest.param("A" * 42 + "=", id="padding"),
    pytest.param("A" * 42 + "é", id="non-ascii"),
    pytest.param("A" * 42 + "\u0661", id="arabic-digit"),
    pytest.param("A" * 42 + "\udcff", id="surrogate"),
    pytest.param("A" * 43 + "\n", id="newline"),
    pytest.param("A" * 42 + " ", id="space"),
    pytest.param("../" + "A" * 40, id="dots"),
    pytest.param("A" * 42 + "+", id="plus"),
]


@pytest.mark.parametrize("token", MALFORMED)
def test_a_malformed_token_opens_nothing_and_touches_no_store(token: str) -> None:
    w = World()
    links = ConnectLinks(NoStore(), w.accounts, public_url=PUBLIC_URL, form_secret=FORM_SECRET)
    assert links.open_link(token) is None
    assert links.connect(token, email=EMAIL, password=PASSWORD) is None
    assert links.connect(token, code="own-code") is None
    assert w.rescue.sign_ins == []
    assert w.rescue.account_lookups == []


def test_a_well_formed_token_never_issued_opens_nothing(w: World) -> None:
    w.issue()
    assert w.links.open_link("A" * 43) is None
    assert w.links.connect("A" * 43, email=EMAIL, password=PASSWORD) is None
    assert w.rescue.sign_ins == []


def test_the_form_token_belongs_to_one_link_and_one_secret(w: World) -> None:
    first, second = w.issue(), w.issue()
    form = w.links.form_token(first)
    assert form == w.links.form_token(first)
    assert len(form) == 64
    assert first not in form
    assert form != w.links.form_token(second)
    other_secret = World(form_secret="another-deployments-secret")
    assert form != other_secret.links.form_token(first)
    assert w.links.form_token_matches(first, form)
    assert not w.links.form_token_matches(second, form)
    assert not other_secret.links.form_token_matches(first, form)


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param("", id="empty"),
        pytest.param("0" * 64, id="wrong"),
        pytest.param("é" * 64, id="non-ascii"),
        pytest.param("\u4e2d" * 32, id="cjk"),
        pytest.param("\udcff" * 64, id="escaped-byte"),
        pytest.param("\ud800" * 64, id="lone-surrogate"),
        pytest.param("\x00" * 64, id="nul"),
    ],
)
def test_a_wrong_form_token_is_refused_without_raising(w: World, sent: str) -> None:
    token = w.issue()
    assert not w.links.form_token_matches(token, sent)
    right = w.links.form_token(token)
    assert not w.links.form_token_matches(token, right + (sent[:1] or "0"))
    assert not w.links.form_token_matches(token, right.upper())


def test_the_shared_accounts_password_is_refused_before_rescue_sees_it(w: World) -> None:
    with pytest.raises(SharedAccount):
        w.accounts.connect_with_password(
            Requester("T1", "U1"), email=SHARED_EMAIL, password="seat-pass"
        )
    token = w.issue()
    outcome = w.links.connect(token, email=" seat@HELPDESK.example ", password="seat-pass")
    assert isinstance(outcome, TryFailed)
    assert isinstance(outcome.error, SharedAccount)
    assert outcome.tries_left == MOST_TRIES - 1
    assert connect_failure_of(outcome.error) is ConnectFailure.SHARED_ACCOUNT
    # Rescue was asked whose the shared code is, never given the password.
    assert w.rescue.sign_ins == []
    assert w.rescue.account_lookups == [SHARED_CODE]
    assert w.store.get_link("T1", "U1") is None
    # The link still works for the technician's own account.
    assert w.links.connect(token, email=EMAIL, password=PASSWORD) == Connected(TECH, w.account)


def test_rescue_unreachable_is_a_try_that_says_so(w: World) -> None:
    token = w.issue()

    def down(*, email: str, password: str) -> str:
        raise Unavailable("Rescue answered HTTP 503")

    w.rescue.request_auth_code = down  # type: ignore[method-assign]
    outcome = w.links.connect(token, email=EMAIL, password=PASSWORD)
    assert isinstance(outcome, TryFailed)
    assert outcome.tries_left == MOST_TRIES - 1
    assert connect_failure_of(outcome.error) is ConnectFailure.UNREACHABLE
    assert w.links.open_link(token) is not None


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (SharedAccount("seat"), ConnectFailure.SHARED_ACCOUNT),
        (Rejected(AuthResult.INVALID), ConnectFailure.WRONG_PASSWORD),
        (Rejected(AccountResult.INVALID_SECRET_AUTH_CODE), ConnectFailure.WRONG_CODE),
        (Rejected(AccountResult.USER_DELETED_OR_DISABLED), ConnectFailure.DISABLED),
        (Rejected(ResultCode.USER_DELETED_OR_DISABLED), ConnectFailure.DISABLED),
        (Rejected(ResultCode.USER_IS_DELETED), ConnectFailure.DISABLED),
        (Rejected(AuthResult.ERROR), ConnectFailure.UNREACHABLE),
        (Rejected(AuthResult.POLL_RATE_EXCEEDED), ConnectFailure.UNREACHABLE),
        (Rejected(AuthResult.UNKNOWN, "requestAuthCode_New"), ConnectFailure.UNREACHABLE),
        (Rejected(AccountResult.NOT_LOGGED_IN), ConnectFailure.UNREACHABLE),
        (Timeout("slow"), ConnectFailure.UNREACHABLE),
        (Unavailable("down"), ConnectFailure.UNREACHABLE),
        (RescueError("bug"), ConnectFailure.UNREACHABLE),
    ],
)
def test_each_failure_kind_maps_to_what_the_technician_can_do(
    error: RescueError, failure: ConnectFailure
) -> None:
    assert connect_failure_of(error) is failure


def test_every_connect_failure_is_reachable() -> None:
    reached = {
        connect_failure_of(error)
        for error in (
            SharedAccount("seat"),
            Rejected(AuthResult.INVALID),
            Rejected(AccountResult.INVALID_SECRET_AUTH_CODE),
            Rejected(AccountResult.USER_DELETED_OR_DISABLED),
            Timeout("slow"),
        )
    }
    assert reached == set(ConnectFailure)
