"""The fake Slack shows each user their messages as Slack would: replaced, edited, deleted."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from devtools.fake_slack import FakeSlack

USER = "U0TECH1"
OTHER_USER = "U0TECH2"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def texts(fake: FakeSlack, user: str = USER) -> list[str]:
    return [m["text"] for m in fake.shown_to(user)]


def test_replace_original_replaces_the_message_its_response_url_posted_last(
    fake: FakeSlack,
) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    other = fake.new_response_url(USER, "C0GENERAL")
    webhook = WebhookClient(url)
    webhook.send(text="first", response_type="ephemeral")
    WebhookClient(other).send(text="another command's", response_type="ephemeral")
    webhook.send(text="second", response_type="ephemeral", replace_original=False)
    (before,) = [m for m in fake.shown_to(USER) if m["text"] == "second"]
    webhook.send(text="second, replaced", response_type="ephemeral", replace_original=True)
    assert texts(fake) == ["first", "another command's", "second, replaced"]
    replaced = fake.shown_to(USER)[2]
    assert (replaced["ts"], replaced["edits"], replaced["route"]) == (
        before["ts"],
        1,
        "response_url",
    )
    # The log keeps every post; the screen, each message once.
    assert [m["text"] for m in fake.messages_for(USER)] == [
        "first",
        "another command's",
        "second",
        "second, replaced",
    ]


def test_replace_original_with_nothing_posted_yet_is_a_new_message(fake: FakeSlack) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    WebhookClient(url).send(text="only", replace_original=True)
    assert texts(fake) == ["only"]


def test_delete_original_removes_the_last_message_of_the_url(fake: FakeSlack) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    webhook = WebhookClient(url)
    webhook.send(text="kept")
    webhook.send(text="gone")
    assert webhook.send(delete_original=True).status_code == 200
    assert texts(fake) == ["kept"]


def test_a_spent_response_url_replaces_nothing(fake: FakeSlack) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    webhook = WebhookClient(url)
    webhook.send(text="the pin")
    for i in range(4):
        assert webhook.send(text=f"news {i}", replace_original=True).status_code == 200
    sixth = webhook.send(text="too late", replace_original=True)
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert texts(fake) == ["news 3"]
    assert fake.shown_to(USER)[0]["edits"] == 4


def test_chat_update_edits_a_dm_in_place_and_chat_delete_removes_it(
    fake: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel=USER, text="the pin")
    client.chat_postEphemeral(channel="C0GENERAL", user=USER, text="an ephemeral note")
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="the pin, and news")
    shown = fake.shown_to(USER)
    assert [(m["route"], m["text"], m["edits"]) for m in shown] == [
        ("dm", "the pin, and news", 1),
        ("ephemeral", "an ephemeral note", 0),
    ]
    assert shown[0]["ts"] == posted["ts"]
    # Another channel's message with that ts is not this one.
    client.chat_update(channel="D0ELSEWHERE", ts=posted["ts"], text="not mine")
    assert texts(fake) == ["the pin, and news", "an ephemeral note"]
    client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert texts(fake) == ["an ephemeral note"]


def test_wait_for_shown_sees_an_edit_that_comes_later(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=USER, text="before")
    later = threading.Thread(
        target=client.chat_update,
        kwargs={"channel": posted["channel"], "ts": posted["ts"], "text": "after"},
    )
    later.start()
    edited = fake.wait_for_shown(USER, lambda m: m["text"] == "after")
    later.join()
    assert edited["ts"] == posted["ts"]
    assert texts(fake, OTHER_USER) == []
    with pytest.raises(AssertionError, match="U0TECH1 saw no matching message"):
        fake.wait_for_shown(USER, lambda m: m["text"] == "never", timeout=0.05)


def test_reset_clears_every_screen(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=USER, text="x")
    fake.reset()
    assert fake.shown_to(USER) == []
