"""End to end over HTTP: the connect page, from the link in Slack to the PIN that follows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import update

from bot import texts
from bot.connect import MOST_TRIES
from bot.store import make_engine
from bot.store.models import ConnectLinkRow
from bot.texts import page as page_texts
from devtools.web_process import free_port
from tests.support import (
    DATABASE_KINDS,
    E2E_RESCUE_TIMEOUT,
    PASSWORD,
    Delay,
    FakeRescue,
    FakeSlack,
    HttpError,
    WebProcess,
    app_env,
    database_dump,
    fresh_database,
    open_pin_modal,
    submit_pin_modal,
)
from tests.support.connect_page import Page, link_in, open_page, paste_code, send_form, sign_in

EMAIL = "jane.tech@helpdesk.example"
JANE = "Jane Tech <&> O'Neil"
_users = itertools.count()


@dataclass
class World:
    slack: FakeSlack
    rescue: FakeRescue
    web: WebProcess
    database_url: str


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    database_url = fresh_database(request.param)
    port = free_port()
    with FakeSlack() as slack, FakeRescue(rate_limit=None) as rescue:
        # Nobody may use the shared code: every technician here connects their own account.
        env = app_env(
            slack,
            rescue,
            DATABASE_URL=database_url,
            RESCUE_AUTH_CODE="",
            LENSPIN_ALLOWED_USERS="",
            LENSPIN_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        with WebProcess(env, port=port) as web:
            yield World(slack, rescue, web, database_url)


@pytest.fixture
def w(world: World) -> World:
    world.slack.reset()
    world.rescue.reset()
    return world


@pytest.fixture
def user(w: World) -> str:
    user_id = f"U0PAGE{next(_users):04d}"
    w.slack.add_user(user_id, real_name=JANE)
    return user_id


def link_for(w: World, user: str) -> str:
    """Run /lenspin connect and return the link lenspin answers with, privately."""
    w.slack.send_command(w.web.events_url, user_id=user, text="connect")
    message = w.slack.wait_for_message(user, predicate=lambda m: "blocks" in m)
    assert texts.CONNECT_LINK_INTRO.split(":")[0] in message["text"]
    return link_in(message)


def get_pin(w: World, user: str, name: str = "Jane") -> dict:
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=user, text=name)
    submit_pin_modal(w.slack, w.web.events_url, opened, user_id=user, values={})
    return w.slack.wait_for_message(
        user, predicate=lambda m: name in m["text"] and "PIN" in m["text"]
    )


def test_the_link_the_page_a_wrong_password_the_right_one_and_the_pin_that_follows(
    w: World, user: str
) -> None:
    w.rescue.add_account(EMAIL, PASSWORD)
    url = link_for(w, user)
    assert url.startswith(w.web.url + "/connect/")

    page = open_page(url)
    page.assert_headers()
    assert page.status == 200
    # Names the person and the workspace, escaped ("<&>" is text, not markup).
    assert page_texts.HEADING.format(user=JANE, workspace="Lenspin Test & Co") in page.text
    assert "<&>" not in page.html
    assert page.input("password")["type"] == "password"
    assert page.input("password")["autocomplete"] == "current-password"
    assert page.input("email")["autocomplete"] == "username"
    assert "stop working" in page.text  # a sign-in voids the account's earlier codes

    wrong = sign_in(url, page, EMAIL, "not the password")
    wrong.assert_headers()
    assert wrong.by_id["error"] == page_texts.WRONG_PASSWORD
    assert wrong.input("email")["value"] == EMAIL  # kept, so only the password is typed again
    assert wrong.input("password").get("value", "") == ""
    assert wrong.by_id["tries"] == page_texts.TRIES_LEFT.format(tries=MOST_TRIES - 1)

    done = sign_in(url, wrong, EMAIL, PASSWORD)
    done.assert_headers()
    assert done.status == 200
    assert done.by_id["account-email"] == EMAIL
    assert done.by_id["account-console"] == page_texts.CONSOLE_RUNNING
    assert page_texts.CLOSE in done.text

    # In Slack: a private confirmation, and the Home tab shows the account.
    confirmation = w.slack.wait_for_message(
        user, predicate=lambda m: "Connected to Rescue" in m["text"]
    )
    assert EMAIL in confirmation["text"]
    home = w.slack.wait_for_call("views.publish", lambda c: c.args["user_id"] == user)
    assert EMAIL in str(home.args["view"])

    # The PIN uses the code Rescue gave for that sign-in.
    issued = next(
        c.fields["sAuthCode"]
        for c in reversed(w.rescue.calls)
        if c.operation == "getAccount_v2" and c.fields["sAuthCode"]
    )
    message = get_pin(w, user)
    assert "Rescue Lens PIN for Jane" in message["text"]
    pin_call = [c for c in w.rescue.calls if c.operation == "requestLensPINCodeV2"][-1]
    assert pin_call.fields["sAuthCode"] == issued

    # Nothing kept or logged in plain text: not the password, the code, nor the link's token.
    token = url.rsplit("/", 1)[1]
    stored = database_dump(w.database_url)
    logged = w.web.output()
    for secret in (PASSWORD, issued, token):
        assert secret not in stored
        assert secret not in logged
    assert "/connect/[link]" in logged  # the access log line is there, without the token


def test_a_used_link_opens_nothing_again(w: World, user: str) -> None:
    w.rescue.add_account(EMAIL, PASSWORD)
    url = link_for(w, user)
    page = open_page(url)
    assert sign_in(url, page, EMAIL, PASSWORD).by_id["account-email"] == EMAIL
    again = open_page(url)
    again.assert_headers()
    assert again.status == 404
    assert again.by_id["message"] == page_texts.GONE
    # Sending the old form again changes nothing either.
    resent = sign_in(url, page, EMAIL, PASSWORD)
    assert (resent.status, resent.by_id["message"]) == (404, page_texts.GONE)
    assert [c.operation for c in w.rescue.calls].count("requestAuthCode") == 1


def test_expired_and_unknown_links_look_the_same(w: World, user: str) -> None:
    url = link_for(w, user)
    page = open_page(url)
    assert page.status == 200
    engine = make_engine(w.database_url)
    with engine.begin() as connection:
        connection.execute(
            update(ConnectLinkRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    engine.dispose()
    expired = open_page(url)
    submitted = sign_in(url, page, EMAIL, PASSWORD)
    unknown = open_page(url[:-5] + "AAAAA")
    malformed = open_page(w.web.url + "/connect/not-a-token%3Cscript%3E")
    answers = [expired, submitted, unknown, malformed]
    for answer in answers:
        answer.assert_headers()
    assert {(a.status, a.html) for a in answers} == {(404, expired.html)}
    assert expired.by_id["message"] == page_texts.GONE
    assert "requestAuthCode" not in [c.operation for c in w.rescue.calls]


def test_each_link_connects_only_the_person_it_was_made_for(w: World, user: str) -> None:
    other = f"U0PAGEOTHER{next(_users):04d}"
    w.slack.add_user(other, real_name="Bob Other")
    w.rescue.add_account(EMAIL, PASSWORD)
    mine, theirs = link_for(w, user), link_for(w, other)
    assert mine != theirs
    their_page = open_page(theirs)
    assert "Connect Rescue for Bob Other in" in their_page.text
    # Bob's page, whoever opens it, connects Bob: Jane stays unconnected.
    assert sign_in(theirs, their_page, EMAIL, PASSWORD).status == 200
    w.slack.wait_for_message(other, predicate=lambda m: "Connected to Rescue" in m["text"])
    w.slack.send_command(w.web.events_url, user_id=user, text="status")
    status = w.slack.wait_for_message(user, predicate=lambda m: "haven't connected" in m["text"])
    assert status["text"] == texts.STATUS_NOTHING
    # A form token belongs to its link: Bob's does not open Jane's form.
    crossed = sign_in(mine, their_page, EMAIL, PASSWORD)
    assert (crossed.status, crossed.by_id["message"]) == (403, page_texts.FORM_STALE)


@pytest.mark.parametrize("form_token", ["", "0" * 64, "é"], ids=["missing", "wrong", "non-ascii"])
def test_a_form_without_its_token_sends_nothing_to_rescue(
    w: World, user: str, form_token: str
) -> None:
    w.rescue.add_account(EMAIL, PASSWORD)
    url = link_for(w, user)
    fields = {"method": "password", "email": EMAIL, "password": PASSWORD}
    if form_token:
        fields["form_token"] = form_token
    answer = send_form(url, fields)
    answer.assert_headers()
    assert (answer.status, answer.by_id["message"]) == (403, page_texts.FORM_STALE)
    assert "requestAuthCode" not in [c.operation for c in w.rescue.calls]
    # The link still works with its own form.
    assert open_page(url).status == 200


def test_five_tries_then_the_link_is_spent_and_a_sixth_never_reaches_rescue(
    w: World, user: str
) -> None:
    w.rescue.add_account(EMAIL, PASSWORD)
    url = link_for(w, user)
    page = open_page(url)
    answers = [sign_in(url, page, EMAIL, f"wrong {n}") for n in range(MOST_TRIES)]
    for left, answer in zip(range(MOST_TRIES - 1, 0, -1), answers, strict=False):
        assert answer.by_id["tries"] == page_texts.TRIES_LEFT.format(tries=left)
    last = answers[-1]
    assert last.by_id["message"] == f"{page_texts.WRONG_PASSWORD} {page_texts.LAST_TRY}"
    sixth = sign_in(url, page, EMAIL, PASSWORD)
    sixth.assert_headers()
    assert (sixth.status, sixth.by_id["message"]) == (404, page_texts.GONE)
    assert [c.operation for c in w.rescue.calls].count("requestAuthCode") == MOST_TRIES
    assert open_page(url).status == 404


def test_an_oversized_or_malformed_body_is_refused_unread(w: World, user: str) -> None:
    url = link_for(w, user)
    page = open_page(url)
    huge = requests.post(
        url,
        data=b"form_token=x&code=" + b"A" * (1 << 20),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=20,
    )
    too_big = Page.of(huge)
    too_big.assert_headers()
    assert (too_big.status, too_big.by_id["message"]) == (413, page_texts.BAD_REQUEST)
    not_a_form = Page.of(
        requests.post(
            url, data=b'{"a": 1}', headers={"Content-Type": "application/json"}, timeout=20
        )
    )
    assert (not_a_form.status, not_a_form.by_id["message"]) == (415, page_texts.BAD_REQUEST)
    bad_utf8 = Page.of(
        requests.post(
            url,
            data=b"form_token=" + page.form_token.encode() + b"&code=\xff\xfe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=20,
        )
    )
    assert (bad_utf8.status, bad_utf8.by_id["message"]) == (400, page_texts.BAD_REQUEST)
    # None of it spent a try; none of it reached Rescue.
    assert open_page(url).by_id["tries"] == page_texts.TRIES_LEFT.format(tries=MOST_TRIES)
    assert w.rescue.calls == [] or all(c.operation != "requestAuthCode" for c in w.rescue.calls)
    assert "AAAAAAAAAAAAAAAA" not in w.web.output()


def test_a_pasted_code_on_the_page_connects_and_a_wrong_one_is_explained(
    w: World, user: str
) -> None:
    code = f"pastedcode{user.lower()}"
    w.rescue.add_auth_code(code)
    url = link_for(w, user)
    page = open_page(url)
    wrong = paste_code(url, page, "not-a-code")
    assert wrong.by_id["error"] == page_texts.WRONG_CODE
    empty = paste_code(url, wrong, "   ")
    assert empty.by_id["error"] == page_texts.NEED_CODE
    # An empty form spends no try; the wrong code did.
    assert empty.by_id["tries"] == page_texts.TRIES_LEFT.format(tries=MOST_TRIES - 1)
    done = paste_code(url, empty, f"  {code}\n")
    assert (done.status, done.by_id["account-console"]) == (200, page_texts.CONSOLE_RUNNING)
    assert done.by_id["account-email"]
    assert code not in w.web.output()


def test_rescue_down_shows_a_plain_error_and_the_email_stays(w: World, user: str) -> None:
    w.rescue.add_account(EMAIL, PASSWORD)
    url = link_for(w, user)
    page = open_page(url)
    w.rescue.queue(HttpError(503))
    down = sign_in(url, page, EMAIL, PASSWORD)
    down.assert_headers()
    assert (down.status, down.by_id["error"]) == (200, page_texts.UNREACHABLE)
    assert down.input("email")["value"] == EMAIL


def test_rescue_too_slow_shows_the_same_plain_error(w: World, user: str) -> None:
    w.rescue.add_account(EMAIL, PASSWORD)
    url = link_for(w, user)
    page = open_page(url)
    # Slower than RESCUE_TIMEOUT (2 s in these tests): lenspin stops waiting and says so.
    w.rescue.queue(Delay(float(E2E_RESCUE_TIMEOUT) + 2))
    slow = sign_in(url, page, EMAIL, PASSWORD)
    slow.assert_headers()
    assert (slow.status, slow.by_id["error"]) == (200, page_texts.UNREACHABLE)
    assert slow.by_id["tries"] == page_texts.TRIES_LEFT.format(tries=MOST_TRIES - 1)
