"""Delivery: the private routes in order, against the fake Slack over real HTTP."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient

from bot.slack.io.delivery import Delivery, Destination
from tests.support import FakeSlack

MESSAGE = {"text": "Rescue Lens PIN for Jane: 004821", "blocks": []}


def delivery(slack: FakeSlack) -> Delivery:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    return Delivery(client, slack_api_url=slack.api_url)


def test_response_url_comes_first(slack: FakeSlack) -> None:
    url = slack.new_response_url("U1", "C0GENERAL")
    delivered = delivery(slack).send(Destination("U1", "C0GENERAL", url), MESSAGE)
    assert delivered is not None
    assert delivered.route == "response_url"
    (post,) = slack.response_posts
    assert post.body["response_type"] == "ephemeral"
    assert post.body["text"] == MESSAGE["text"]


def test_a_response_url_on_another_host_is_never_posted_to(slack: FakeSlack) -> None:
    # Only Slack's hooks host (or the configured API host) may receive a PIN.
    forged = "http://127.0.0.2:9/steal"
    delivered = delivery(slack).send(Destination("U1", "C0GENERAL", forged), MESSAGE)
    assert delivered is not None
    assert delivered.route == "ephemeral"
    (call,) = slack.calls_to("chat.postEphemeral")
    assert call.args["user"] == "U1"


def test_when_every_route_fails_it_says_so_in_the_log(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    url = slack.new_response_url("U1", "C0GENERAL")
    slack.fail_response_url(url, status=404, body="expired_url")
    slack.fail("chat.postEphemeral", "channel_not_found")
    slack.fail("chat.postMessage", "user_disabled")
    with caplog.at_level(logging.WARNING, logger="bot.slack.io.delivery"):
        route = delivery(slack).send(Destination("U1", "C0GENERAL", url), MESSAGE)
    assert route is None
    assert "by any route" in caplog.text
    assert "004821" not in caplog.text


@pytest.mark.parametrize(
    "metadata", [None, "", "not json", "[1, 2]", '{"channel_id": 5}', {"channel_id": "C1"}]
)
def test_unreadable_metadata_leaves_the_dm(slack: FakeSlack, metadata: object) -> None:
    destination = Destination.from_metadata("U1", metadata)
    assert destination == Destination("U1")
    delivered = delivery(slack).send(destination, MESSAGE)
    assert delivered is not None
    assert (delivered.route, delivered.channel) == ("dm", slack.dm_channel_id("U1"))
    assert delivered.ts
    assert slack.wait_for_message("U1")["route"] == "dm"
