"""The fake Slack behaves like Slack towards slack_sdk clients and a real Bolt app."""

from __future__ import annotations

import copy
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from devtools.fake_slack import FakeSlack

USER = "U0TECH1"
OTHER_USER = "U0TECH2"


def pin_modal(private_metadata: str = "C0GENERAL") -> dict[str, Any]:
    """A modal shaped like the app's: a prefilled text input, an empty one and checkboxes."""
    return {
        "type": "modal",
        "callback_id": "pin_request",
        "title": {"type": "plain_text", "text": "Lens PIN"},
        "submit": {"type": "plain_text", "text": "Get PIN"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private_metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": "code",
                "label": {"type": "plain_text", "text": "Channel code"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "code_input",
                    "max_length": 20,
                    "initial_value": "ABC123",
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "note_input",
                    "max_length": 100,
                },
            },
            {
                "type": "input",
                "block_id": "confirm",
                "optional": True,
                "label": {"type": "plain_text", "text": "Consent"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "confirm_box",
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": "Customer agreed"},
                            "value": "agreed",
                        },
                        {"text": {"type": "plain_text", "text": "Recorded"}, "value": "recorded"},
                    ],
                },
            },
        ],
    }


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section; text is counted as sent, so escapes such as &amp; count in full."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(**changes: Any) -> dict[str, Any]:
    """A button like the app's, with some fields changed."""
    return {
        "type": "button",
        "action_id": "again",
        "text": {"type": "plain_text", "text": "Again"},
        "value": "request-1",
        **changes,
    }


def fullest_message() -> list[dict[str, Any]]:
    """Fifty blocks of every kind the app sends, each at its limits: Slack takes all of it."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Lens PIN", "emoji": True}},
        section("x" * 3000),
        section("&amp;" * 600),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "y" * 2000}] * 10},
        {
            "type": "section",
            "block_id": "b" * 255,
            "text": {"type": "mrkdwn", "text": "With a button"},
            "accessory": button(text={"type": "plain_text", "text": "z" * 75}, value="v" * 2000),
        },
        {"type": "actions", "elements": [button(action_id="a" * 255), button(action_id="b")]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "A note"}]},
    ]
    return blocks + [{"type": "divider"}] * (50 - len(blocks))


def wait_for_clock(deadline: float) -> None:
    """Block until time.monotonic() passes deadline (a clock condition, not a guessed sleep)."""
    pause = threading.Event()
    while (left := deadline - time.monotonic()) >= 0:
        pause.wait(left + 0.001)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def slack_error(call: Callable[[], object]) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


# --- Web API -------------------------------------------------------------------------------------


def test_auth_test_answers_like_slack_and_is_recorded(fake: FakeSlack, client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["team_id"] == "T0LENSPIN"
    assert response["user_id"] == "U0LENSPINBOT"
    call = fake.wait_for_call("auth.test")
    assert call.token == fake.bot_token
    assert fake.bot_token not in repr(call)
    assert fake.api_url.endswith("/api/")


def test_tokens_and_unknown_methods_are_checked(fake: FakeSlack) -> None:
    assert slack_error(WebClient(base_url=fake.api_url).auth_test).response["error"] == "not_authed"
    wrong = WebClient(token="xoxb-wrong", base_url=fake.api_url)
    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"
    right = WebClient(token=fake.bot_token, base_url=fake.api_url)
    assert slack_error(lambda: right.api_call("nope.nope")).response["error"] == "unknown_method"
    # A token sent as a form argument counts too, and failed calls are recorded.
    assert WebClient(base_url=fake.api_url).api_call("auth.test", params={"token": fake.bot_token})
    assert [c.error for c in fake.calls] == ["not_authed", "invalid_auth", "unknown_method", None]
    assert fake.calls[-1].token == fake.bot_token
    assert fake.bot_token not in repr(fake.calls[-1])


def test_views_open_returns_the_view_as_slack_does(fake: FakeSlack, client: WebClient) -> None:
    modal = pin_modal()
    response = client.views_open(trigger_id=fake.new_trigger_id(), view=modal)
    view = response["view"]
    assert view["id"].startswith("V")
    assert len(view["id"]) == 11
    assert view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None
    assert view["state"] == {"values": {}}
    assert view["hash"]
    assert view["private_metadata"] == "C0GENERAL"
    assert view["blocks"][0]["element"]["initial_value"] == "ABC123"
    assert fake.wait_for_call("views.open").args["view"] == modal


def test_views_open_accepts_a_form_body_with_a_json_view(
    fake: FakeSlack, client: WebClient
) -> None:
    trigger = fake.new_trigger_id()
    data = {"trigger_id": trigger, "view": json.dumps(pin_modal())}
    assert client.api_call("views.open", data=data)["ok"] is True
    assert fake.calls_to("views.open")[0].args["view"] == pin_modal()


def test_trigger_ids_are_single_use(fake: FakeSlack, client: WebClient) -> None:
    unknown = slack_error(lambda: client.views_open(trigger_id="1.2.abc", view=pin_modal()))
    assert unknown.response["error"] == "invalid_trigger_id"
    trigger = fake.new_trigger_id()
    client.views_open(trigger_id=trigger, view=pin_modal())
    reused = slack_error(lambda: client.views_open(trigger_id=trigger, view=pin_modal()))
    assert reused.response["error"] == "exchanged_trigger_id"


def test_trigger_ids_expire() -> None:
    with FakeSlack(trigger_ttl=0.02) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        trigger = fake.new_trigger_id()
        wait_for_clock(time.monotonic() + fake.trigger_ttl)
        error = slack_error(lambda: client.views_open(trigger_id=trigger, view=pin_modal()))
        assert error.response["error"] == "expired_trigger_id"


def _long_title(view: dict[str, Any]) -> None:
    view["title"]["text"] = "x" * 25


def _too_many_blocks(view: dict[str, Any]) -> None:
    view["blocks"] = [{"type": "divider"} for _ in range(101)]


def _max_length_zero(view: dict[str, Any]) -> None:
    view["blocks"][1]["element"]["max_length"] = 0


def _max_length_too_big(view: dict[str, Any]) -> None:
    view["blocks"][1]["element"]["max_length"] = 3001


def _duplicate_block_id(view: dict[str, Any]) -> None:
    view["blocks"][1]["block_id"] = "code"


def _no_submit(view: dict[str, Any]) -> None:
    del view["submit"]


def _initial_value_too_long(view: dict[str, Any]) -> None:
    view["blocks"][0]["element"]["initial_value"] = "x" * 21


def _eleven_checkboxes(view: dict[str, Any]) -> None:
    option = view["blocks"][2]["element"]["options"][0]
    view["blocks"][2]["element"]["options"] = [{**option, "value": str(i)} for i in range(11)]


def _long_metadata(view: dict[str, Any]) -> None:
    view["private_metadata"] = "x" * 3001


def _input_without_element(view: dict[str, Any]) -> None:
    del view["blocks"][1]["element"]


def _long_submit(view: dict[str, Any]) -> None:
    view["submit"]["text"] = "x" * 25


def _long_close(view: dict[str, Any]) -> None:
    view["close"]["text"] = "x" * 25


def _long_callback_id(view: dict[str, Any]) -> None:
    view["callback_id"] = "x" * 256


def _long_block_id(view: dict[str, Any]) -> None:
    view["blocks"][0]["block_id"] = "x" * 256


def _long_action_id(view: dict[str, Any]) -> None:
    view["blocks"][0]["element"]["action_id"] = "x" * 256


def _long_label(view: dict[str, Any]) -> None:
    view["blocks"][0]["label"]["text"] = "x" * 2001


def _long_placeholder(view: dict[str, Any]) -> None:
    view["blocks"][1]["element"]["placeholder"] = {"type": "plain_text", "text": "x" * 151}


def _min_length_too_big(view: dict[str, Any]) -> None:
    view["blocks"][1]["element"]["min_length"] = 3001


def _long_section(view: dict[str, Any]) -> None:
    view["blocks"].append(section("x" * 3001))


@pytest.mark.parametrize(
    ("breaks", "pointer"),
    [
        (_long_title, "/view/title/text"),
        (_too_many_blocks, "/view/blocks"),
        (_max_length_zero, "/view/blocks/1/element/max_length"),
        (_max_length_too_big, "/view/blocks/1/element/max_length"),
        (_duplicate_block_id, "/view/blocks/1/block_id"),
        (_no_submit, "/view/submit"),
        (_initial_value_too_long, "/view/blocks/0/element/initial_value"),
        (_eleven_checkboxes, "/view/blocks/2/element/options"),
        (_long_metadata, "/view/private_metadata"),
        (_input_without_element, "/view/blocks/1"),
        (_long_submit, "/view/submit/text"),
        (_long_close, "/view/close/text"),
        (_long_callback_id, "/view/callback_id"),
        (_long_block_id, "/view/blocks/0/block_id"),
        (_long_action_id, "/view/blocks/0/element/action_id"),
        (_long_label, "/view/blocks/0/label/text"),
        (_long_placeholder, "/view/blocks/1/element/placeholder/text"),
        (_min_length_too_big, "/view/blocks/1/element/min_length"),
        (_long_section, "/view/blocks/3/text/text"),
    ],
)
def test_views_open_rejects_views_slack_rejects(
    fake: FakeSlack, client: WebClient, breaks: Callable[[dict[str, Any]], None], pointer: str
) -> None:
    view = pin_modal()
    breaks(view)
    trigger = fake.new_trigger_id()
    error = slack_error(lambda: client.views_open(trigger_id=trigger, view=view))
    assert error.response["error"] == "invalid_arguments"
    messages = error.response["response_metadata"]["messages"]
    assert any(m.startswith("[ERROR] ") and f"[json-pointer:{pointer}]" in m for m in messages)
    # A rejected view leaves the trigger usable, so the test isolates the one fault.
    assert client.views_open(trigger_id=trigger, view=pin_modal())["ok"] is True


def test_views_update_and_push(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=pin_modal())["view"]
    changed = pin_modal("C0OTHER")
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    assert updated["id"] == opened["id"]
    assert updated["private_metadata"] == "C0OTHER"
    stale = slack_error(
        lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)
    )
    assert stale.response["error"] == "hash_conflict"
    missing = slack_error(lambda: client.views_update(view_id="V0000000000", view=changed))
    assert missing.response["error"] == "not_found"
    payload = fake.view_submission_payload(updated, user_id=USER)
    pushed = client.views_push(trigger_id=payload["trigger_id"], view=pin_modal())["view"]
    assert pushed["previous_view_id"] == opened["id"]
    assert pushed["root_view_id"] == opened["id"]


def test_ephemeral_dm_and_conversations_open(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postEphemeral(channel="C0GENERAL", user=USER, text="hi")
    assert posted["message_ts"]
    dm = client.conversations_open(users=USER)["channel"]["id"]
    assert dm == fake.dm_channel_id(USER)
    assert dm.startswith("D")
    sent = client.chat_postMessage(channel=dm, text="your PIN", blocks=[{"type": "divider"}])
    assert sent["channel"] == dm
    assert sent["message"]["text"] == "your PIN"
    assert client.chat_postMessage(channel=USER, text="by user id")["ok"] is True
    assert client.users_info(user=USER)["user"]["profile"]["real_name"]


def test_channel_access(fake: FakeSlack, client: WebClient) -> None:
    private = slack_error(lambda: client.chat_postEphemeral(channel="G0PRIV", user=USER, text="x"))
    assert private.response["error"] == "channel_not_found"
    unopened = slack_error(
        lambda: client.chat_postMessage(channel=fake.dm_channel_id(USER), text="x")
    )
    assert unopened.response["error"] == "channel_not_found"
    fake.set_channel_access("C0SECRET", member=False)
    left = slack_error(lambda: client.chat_postEphemeral(channel="C0SECRET", user=USER, text="x"))
    assert left.response["error"] == "not_in_channel"
    fake.set_channel_access("G0PRIV", member=True)
    assert client.chat_postEphemeral(channel="G0PRIV", user=USER, text="x")["ok"] is True


def test_message_limits(client: WebClient) -> None:
    blocks = [{"type": "divider"}] * 51
    too_many = slack_error(lambda: client.chat_postMessage(channel="C0X", text="x", blocks=blocks))
    assert too_many.response["error"] == "invalid_blocks"
    too_long = slack_error(lambda: client.chat_postMessage(channel="C0X", text="x" * 40_001))
    assert too_long.response["error"] == "msg_too_long"


def test_a_message_at_every_limit_passes(fake: FakeSlack, client: WebClient) -> None:
    blocks = fullest_message()
    assert client.chat_postMessage(channel="C0X", text="t" * 4000, blocks=blocks)["ok"] is True
    posted = client.chat_postEphemeral(channel="C0X", user=USER, text="t", blocks=blocks)
    assert posted["ok"] is True
    assert client.chat_update(channel="C0X", ts="1.2", text="t", blocks=blocks)["ok"] is True
    url = fake.new_response_url(USER, "C0GENERAL")
    assert WebhookClient(url).send(text="t", blocks=blocks).status_code == 200
    home = {"type": "home", "blocks": blocks + [{"type": "divider"}] * 50}
    assert client.views_publish(user_id=USER, view=home)["ok"] is True


def _with_block(block: dict[str, Any]) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [{"type": "divider"}, block]


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        (lambda: [section("x" * 3001)], "/blocks/0/text/text"),
        # What Slack counts is the text as sent: 601 escaped ampersands are 3,005 characters.
        (lambda: [section("&amp;" * 601)], "/blocks/0/text/text"),
        (lambda: [{"type": "divider"}] * 51, "/blocks"),
        (
            _with_block({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}),
            "/blocks/1/fields",
        ),
        (
            _with_block({"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}),
            "/blocks/1/fields/0/text",
        ),
        (
            _with_block({"type": "actions", "elements": [button(value="v" * 2001)]}),
            "/blocks/1/elements/0/value",
        ),
        (
            _with_block(
                {
                    "type": "actions",
                    "elements": [button(text={"type": "plain_text", "text": "z" * 76})],
                }
            ),
            "/blocks/1/elements/0/text/text",
        ),
        (
            _with_block({"type": "actions", "elements": [button(action_id="a" * 256)]}),
            "/blocks/1/elements/0/action_id",
        ),
        (_with_block({"type": "divider", "block_id": "b" * 256}), "/blocks/1/block_id"),
        (_with_block({"type": "section"}), "/blocks/1"),
    ],
)
def test_messages_over_block_kit_limits_are_refused(
    fake: FakeSlack,
    client: WebClient,
    blocks: Callable[[], list[dict[str, Any]]],
    pointer: str,
) -> None:
    posts = {
        "chat.postMessage": lambda: client.chat_postMessage(
            channel="C0X", text="t", blocks=blocks()
        ),
        "chat.postEphemeral": lambda: client.chat_postEphemeral(
            channel="C0X", user=USER, text="t", blocks=blocks()
        ),
        "chat.update": lambda: client.chat_update(
            channel="C0X", ts="1.2", text="t", blocks=blocks()
        ),
    }
    for method, post in posts.items():
        refused = slack_error(post).response
        assert refused["error"] == "invalid_blocks", method
        messages = refused["response_metadata"]["messages"]
        assert any(
            m.startswith("[ERROR] ") and m.endswith(f"[json-pointer:{pointer}]") for m in messages
        ), (method, messages)
    url = fake.new_response_url(USER, "C0GENERAL")
    response = WebhookClient(url).send(text="t", blocks=blocks())
    assert (response.status_code, response.body) == (400, "invalid_blocks")
    assert fake.messages_for(USER) == []


def test_message_text_over_4000_characters_is_refused(fake: FakeSlack, client: WebClient) -> None:
    too_long = slack_error(lambda: client.chat_postMessage(channel="C0X", text="x" * 4001))
    assert too_long.response["error"] == "msg_too_long"
    url = fake.new_response_url(USER, "C0GENERAL")
    response = WebhookClient(url).send(text="x" * 4001)
    assert (response.status_code, response.body) == (400, "msg_too_long")


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "divider"}] * 101, "/view/blocks"),
        ([section("x" * 3001)], "/view/blocks/0/text/text"),
        (
            [{"type": "actions", "elements": [button(value="v" * 2001)]}],
            "/view/blocks/0/elements/0/value",
        ),
    ],
)
def test_home_tabs_over_block_kit_limits_are_refused(
    client: WebClient, blocks: list[dict[str, Any]], pointer: str
) -> None:
    home = {"type": "home", "blocks": blocks}
    refused = slack_error(lambda: client.views_publish(user_id=USER, view=home)).response
    assert refused["error"] == "invalid_arguments"
    messages = refused["response_metadata"]["messages"]
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in messages), messages


def test_fail_counts_down_and_until_cleared(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("chat.postMessage", "fatal_error", times=2)
    for _ in range(2):
        error = slack_error(lambda: client.chat_postMessage(channel="C0X", text="x"))
        assert error.response["error"] == "fatal_error"
    assert client.chat_postMessage(channel="C0X", text="x")["ok"] is True
    fake.fail("auth.test", times=None)
    for _ in range(3):
        assert slack_error(client.auth_test).response["error"] == "internal_error"
    fake.clear_failures()
    assert client.auth_test()["ok"] is True


def test_fail_with_429_and_500(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("chat.postEphemeral", status=429, retry_after=7)
    limited = slack_error(lambda: client.chat_postEphemeral(channel="C0X", user=USER, text="x"))
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "7"
    assert limited.response["error"] == "ratelimited"
    fake.fail("views.open", status=503)
    trigger = fake.new_trigger_id()
    unavailable = slack_error(lambda: client.views_open(trigger_id=trigger, view=pin_modal()))
    assert unavailable.response.status_code == 503
    assert fake.calls_to("views.open")[0].error == "internal_error"
    # The failure did not consume the trigger.
    assert client.views_open(trigger_id=trigger, view=pin_modal())["ok"] is True


def test_response_url_accepts_five_posts(fake: FakeSlack) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    assert url.startswith(f"{fake.url}/commands/T0LENSPIN/")
    webhook = WebhookClient(url)
    for i in range(5):
        response = webhook.send(text=f"post {i}")
        assert (response.status_code, response.body) == (200, "ok")
    sixth = webhook.send(text="one too many")
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    first = fake.wait_for_response_post(url)
    assert first.body == {"text": "post 0"}
    assert [p.status for p in fake.response_posts] == [200] * 5 + [404]


def test_fail_response_url(fake: FakeSlack) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    fake.fail_response_url(url, 500, "server_error", times=1)
    webhook = WebhookClient(url)
    failed = webhook.send(text="x")
    assert (failed.status_code, failed.body) == (500, "server_error")
    assert webhook.send(text="x").status_code == 200
    fake.fail_response_url(url)
    assert (webhook.send(text="x").status_code, webhook.send(text="x").body) == (404, "expired_url")
    # Refused posts reached nobody.
    assert len(fake.messages_for(USER)) == 1


def test_response_urls_expire() -> None:
    with FakeSlack(response_url_ttl=0.02) as fake:
        url = fake.new_response_url(USER, "C0GENERAL")
        wait_for_clock(time.monotonic() + fake.response_url_ttl)
        response = WebhookClient(url).send(text="late")
        assert (response.status_code, response.body) == (404, "expired_url")


def test_wait_for_message_sees_every_private_route(fake: FakeSlack, client: WebClient) -> None:
    url = fake.new_response_url(USER, "C0GENERAL")
    WebhookClient(url).send(text="via response_url", response_type="ephemeral")
    client.chat_postEphemeral(channel="C0GENERAL", user=USER, text="via ephemeral")
    client.chat_postEphemeral(channel="C0GENERAL", user=OTHER_USER, text="someone else")
    dm = client.conversations_open(users=USER)["channel"]["id"]
    client.chat_postMessage(channel=dm, text="via dm")
    messages = fake.messages_for(USER)
    assert [(m["route"], m["text"], m["channel"]) for m in messages] == [
        ("response_url", "via response_url", "C0GENERAL"),
        ("ephemeral", "via ephemeral", "C0GENERAL"),
        ("dm", "via dm", dm),
    ]
    assert fake.wait_for_message(USER)["route"] == "response_url"
    dm_message = fake.wait_for_message(USER, predicate=lambda m: m["route"] == "dm")
    assert dm_message["raw"]["channel"] == dm
    with pytest.raises(AssertionError, match="no message for U0NOBODY"):
        fake.wait_for_message("U0NOBODY", timeout=0.05)


def test_waiters_see_calls_that_arrive_later(fake: FakeSlack, client: WebClient) -> None:
    later = threading.Thread(
        target=client.chat_postMessage, kwargs={"channel": USER, "text": "late"}
    )
    later.start()
    assert fake.wait_for_message(USER)["text"] == "late"
    assert fake.wait_for_call("chat.postMessage").args["text"] == "late"
    later.join()
    with pytest.raises(AssertionError, match=r"no views\.open call"):
        fake.wait_for_call("views.open", timeout=0.05)


def test_keep_alive_and_disconnects(fake: FakeSlack, client: WebClient) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    headers = {"Authorization": f"Bearer {fake.bot_token}", "Content-Type": "application/json"}
    sockets = []
    try:
        for _ in range(2):
            connection.request("POST", "/api/auth.test", body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200
            assert int(response.headers["Content-Length"]) == len(body)
            assert json.loads(body)["ok"] is True
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert sockets[0] is sockets[1]  # the second request reused the connection
    # A client that promises a body and hangs up must not take the server down.
    with socket.create_connection(("127.0.0.1", fake.port)) as raw:
        raw.sendall(b"POST /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    assert client.auth_test()["ok"] is True


def test_signed_headers_verify_with_slack_sdk(fake: FakeSlack) -> None:
    body = b"token=x&command=%2Flenspin"
    headers = fake.signed_headers(body)
    assert headers["User-Agent"].startswith("Slackbot 1.0")
    assert SignatureVerifier(fake.signing_secret).is_valid_request(body, headers)
    stale = fake.signed_headers(body, timestamp=int(time.time()) - 360)
    assert not SignatureVerifier(fake.signing_secret).is_valid_request(body, stale)


def test_view_submission_payload_rejects_unknown_block_ids(fake: FakeSlack) -> None:
    with pytest.raises(KeyError, match="cod"):
        fake.view_submission_payload(pin_modal(), user_id=USER, values={"cod": "typo"})


# --- towards a real Bolt app ---------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of the test output."""


@dataclass
class BoltApp:
    url: str
    submissions: list[dict[str, Any]] = field(default_factory=list)
    submitted: threading.Condition = field(default_factory=threading.Condition)
    # When set, the app answers a submission with response_action=update and this view.
    update_to: dict[str, Any] | None = None

    def wait_for_submission(self, timeout: float = 5.0) -> dict[str, Any]:
        with self.submitted:
            assert self.submitted.wait_for(lambda: self.submissions, timeout)
            return self.submissions[-1]


@pytest.fixture
def bolt_app(fake: FakeSlack) -> Iterator[BoltApp]:
    app = App(
        token=fake.bot_token,
        signing_secret=fake.signing_secret,
        client=WebClient(token=fake.bot_token, base_url=fake.api_url),
        request_verification_enabled=True,
        token_verification_enabled=False,
    )

    @app.command("/lenspin")
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=pin_modal(body["channel_id"]))

    @app.view("pin_request")
    def record(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        with harness.submitted:
            harness.submissions.append(
                {
                    "user": body["user"]["id"],
                    "values": view["state"]["values"],
                    "private_metadata": view["private_metadata"],
                }
            )
            harness.submitted.notify_all()
        if harness.update_to is None:
            ack()
        else:
            ack(response_action="update", view=harness.update_to)

    server = make_server(
        "127.0.0.1",
        0,
        SlackRequestHandler(app),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    harness = BoltApp(url=f"http://127.0.0.1:{server.server_port}/slack/events")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield harness
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_send_command_reaches_the_handler(fake: FakeSlack, bolt_app: BoltApp) -> None:
    before = time.monotonic()
    response, trigger_id, response_url = fake.send_command(
        bolt_app.url, user_id=USER, text="123456", channel_id="C0SUPPORT"
    )
    after = time.monotonic()
    assert response.status == 200
    assert response.elapsed > 0
    # The benchmark times a submission from when its request left.
    assert before <= response.sent_at <= response.sent_at + response.elapsed <= after
    call = fake.wait_for_call("views.open")
    assert call.args["trigger_id"] == trigger_id
    assert call.args["view"]["private_metadata"] == "C0SUPPORT"
    assert call.error is None
    assert response_url.startswith(f"{fake.url}/commands/")


def test_bad_signatures_get_401(fake: FakeSlack, bolt_app: BoltApp) -> None:
    forged, _, _ = fake.send_command(bolt_app.url, user_id=USER, signing_secret="not-the-secret")
    assert forged.status == 401
    stale, _, _ = fake.send_command(bolt_app.url, user_id=USER, timestamp=int(time.time()) - 360)
    assert stale.status == 401
    payload = fake.view_submission_payload(pin_modal(), user_id=USER)
    assert fake.send_payload(bolt_app.url, payload, signing_secret="nope").status == 401
    assert fake.calls_to("views.open") == []
    assert bolt_app.submissions == []


def test_submit_view_delivers_state(fake: FakeSlack, bolt_app: BoltApp) -> None:
    fake.send_command(bolt_app.url, user_id=USER, channel_id="C0SUPPORT")
    view = fake.wait_for_call("views.open").args["view"]
    response = fake.submit_view(
        bolt_app.url, view, user_id=USER, values={"note": "", "confirm": ["recorded"]}
    )
    assert response.status == 200
    submission = bolt_app.wait_for_submission()
    assert submission["user"] == USER
    assert submission["private_metadata"] == "C0SUPPORT"
    values = submission["values"]
    assert values["code"]["code_input"] == {"type": "plain_text_input", "value": "ABC123"}
    assert values["note"]["note_input"]["value"] is None
    selected = values["confirm"]["confirm_box"]["selected_options"]
    assert selected == [view["blocks"][2]["element"]["options"][1]]


def test_submit_view_passes_oversized_input_through(
    fake: FakeSlack, client: WebClient, bolt_app: BoltApp
) -> None:
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=pin_modal())["view"]
    oversized = "9" * 5000
    fake.submit_view(bolt_app.url, copy.deepcopy(opened), user_id=USER, values={"code": oversized})
    values = bolt_app.wait_for_submission()["values"]
    assert values["code"]["code_input"]["value"] == oversized
    assert values["confirm"]["confirm_box"]["selected_options"] == []
    payload = fake.view_submission_payload(opened, user_id=USER)
    assert payload["view"]["id"] == opened["id"]
    assert payload["view"]["hash"] == opened["hash"]


def test_a_view_the_app_answers_a_submission_with_is_checked(
    fake: FakeSlack, bolt_app: BoltApp
) -> None:
    bolt_app.update_to = pin_modal("C0NEXT")
    answered = fake.submit_view(bolt_app.url, pin_modal(), user_id=USER)
    assert answered.json()["response_action"] == "update"
    bolt_app.update_to = {**pin_modal(), "title": {"type": "plain_text", "text": "x" * 25}}
    with pytest.raises(AssertionError, match=r"response_action=update.*/view/title/text"):
        fake.submit_view(bolt_app.url, pin_modal(), user_id=USER)


def test_the_block_checks_can_be_turned_off_for_the_benchmark() -> None:
    too_long = [section("y" * 3001)]
    with FakeSlack() as checking, FakeSlack(check_blocks=False) as trusting:
        refused = slack_error(
            lambda: WebClient(token=checking.bot_token, base_url=checking.api_url).chat_postMessage(
                channel="C1", text="x", blocks=too_long
            )
        )
        assert refused.response["error"] == "invalid_blocks"
        trusted = WebClient(token=trusting.bot_token, base_url=trusting.api_url)
        assert trusted.chat_postMessage(channel="C1", text="x", blocks=too_long)["ok"] is True
