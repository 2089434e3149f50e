"""Acting in Slack as the people of a workspace lenspin serves among several: the Home tab,
buttons, the PIN form, the settings modal, the connect page; each request from its team."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import ids
from bot.texts import admin as admin_words
from devtools.fake_slack import ApiCall
from tests.support.connect_page import link_in, open_page, paste_code
from tests.support.workspaces_e2e import TIMEOUT, World


def wait_call(
    w: World, method: str, after: float, predicate: Callable[[ApiCall], bool] = lambda c: True
) -> ApiCall:
    """The first call to method since `after` that matches predicate."""
    return w.slack.wait_for_call(
        method, lambda c: c.received_at >= after and predicate(c), timeout=TIMEOUT
    )


def open_home(w: World, user: str, team_id: str) -> dict[str, Any]:
    """The user opens lenspin's Home tab: the view lenspin publishes for them."""
    started = time.monotonic()
    answer = w.slack.send_event(
        w.web.events_url, {"type": "app_home_opened", "user": user, "tab": "home"}, team_id=team_id
    )
    assert answer.status == 200, answer.body
    call = wait_call(w, "views.publish", started, lambda c: c.args.get("user_id") == user)
    view: dict[str, Any] = call.args["view"]
    return view


def buttons_of(view: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The buttons of a view or message, by action_id."""
    return {
        e["action_id"]: e
        for block in view.get("blocks", [])
        if block.get("type") == "actions"
        for e in block["elements"]
    }


def click(
    w: World,
    *,
    user: str,
    team_id: str,
    action_id: str,
    value: str | None = None,
    view: Mapping[str, Any] | None = None,
    channel: str = "",
    response_url: str | None = None,
) -> tuple[Any, str, str]:
    """user of team_id clicks a button (block_actions, signed); the answer, trigger and URL.

    Everything else in the payload is the test's to forge: the value, the view, the channel
    and the response_url (a fresh one of the user's own unless given).
    """
    trigger = w.slack.new_trigger_id(team_id=team_id)
    if response_url is None:
        # Slack's own, for the user's message in their workspace (whatever channel is forged).
        response_url = w.slack.new_response_url(
            user, w.slack.general_channel(team_id), team_id=team_id
        )
    w.keep_secret("response_url", response_url)
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button"}
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        **w.slack.payload_fields(user, team_id=team_id),
        "trigger_id": trigger,
        "response_url": response_url,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }
    if view is not None:
        payload["view"] = dict(view)
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
    else:
        channel = channel or w.slack.general_channel(team_id)
        payload["channel"] = {"id": channel, "name": "general"}
        payload["container"] = {"type": "message", "channel_id": channel, "is_ephemeral": True}
    return w.slack.send_payload(w.web.events_url, payload), trigger, response_url


def opened_with(w: World, trigger: str) -> dict[str, Any]:
    """The view lenspin opened with this trigger."""
    call = w.slack.wait_for_call(
        "views.open", lambda c: c.args.get("trigger_id") == trigger, timeout=TIMEOUT
    )
    view: dict[str, Any] = call.args["view"]
    return view


@dataclass(frozen=True)
class Asked:
    """A /lenspin with a customer's name: the form lenspin opened and where its answer goes."""

    form: dict[str, Any]
    response_url: str
    channel: str


def ask_form(w: World, user: str, team_id: str, name: str) -> Asked:
    """user types /lenspin name in team_id's general channel; lenspin opens the PIN form."""
    ack, trigger, response_url = w.slack.send_command(
        w.web.events_url, user_id=user, text=name, team_id=team_id
    )
    assert ack.status == 200, ack.body
    w.keep_secret("response_url", response_url)
    return Asked(opened_with(w, trigger), response_url, w.slack.general_channel(team_id))


def get_pin(
    w: World, user: str, team_id: str, name: str, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """user asks for a PIN for the customer name (and values, by block_id): the message."""
    asked = ask_form(w, user, team_id, name)
    answer = w.slack.submit_view(
        w.web.events_url, asked.form, user_id=user, team_id=team_id, values=values
    )
    assert answer.status == 200, answer.body
    assert answer.body == "", answer.body  # the form closes: the PIN comes privately
    message = w.slack.wait_for_message(
        user, timeout=TIMEOUT, predicate=lambda m: name in m["text"] and "PIN" in m["text"]
    )
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", str(message["text"]))
    if found:
        w.keep_secret("PIN", found.group(1))
    return message


def pin_calls(w: World, code: str) -> list[dict[str, str | None]]:
    """The fields of every PIN request the stand-in Rescue got with this auth code."""
    return [
        c.fields
        for c in w.rescue.calls
        if c.operation == "requestLensPINCodeV2" and c.fields.get("sAuthCode") == code
    ]


def settings_values(
    *,
    users: list[str] | None = None,
    code: str = "",
    sso_company: str = "",
    sso_password: str = "",
    language: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What an admin types into the settings modal, by block_id (the rest as it opened)."""
    values: dict[str, Any] = {}
    if users is not None:
        values[ids.ADMIN_USERS_MODE_BLOCK] = ids.ADMIN_USERS_CHOSEN
        values[ids.ADMIN_USERS_BLOCK] = users
    if code:
        values[ids.ADMIN_CODE_BLOCK] = code
    if sso_company:
        values[ids.ADMIN_SSO_COMPANY_BLOCK] = sso_company
        values[ids.ADMIN_SSO_PASSWORD_BLOCK] = sso_password
    if language is not None:
        values[ids.ADMIN_LANGUAGE_BLOCK] = language
    for key, label in (labels or {}).items():
        values[ids.admin_label_block(key)] = label
    return values


def open_settings(w: World, admin: str, team_id: str) -> dict[str, Any]:
    """The admin opens the Home tab and clicks its Admin section's button: the modal."""
    home = open_home(w, admin, team_id)
    assert ids.ADMIN_OPEN_ACTION in buttons_of(home), "no Admin section for an admin"
    answer, trigger, _ = click(
        w, user=admin, team_id=team_id, action_id=ids.ADMIN_OPEN_ACTION, view=home
    )
    assert answer.status == 200, answer.body
    return opened_with(w, trigger)


def save_settings(w: World, admin: str, team_id: str, **typed: Any) -> dict[str, Any]:
    """The admin changes the workspace's settings in the modal, the real way; the view after."""
    modal = open_settings(w, admin, team_id)
    assert modal["callback_id"] == ids.ADMIN_MODAL
    values = settings_values(**typed)
    w.keep_secret("SSO password", values.get(ids.ADMIN_SSO_PASSWORD_BLOCK, ""))
    started = time.monotonic()
    answer = w.slack.submit_view(
        w.web.events_url, modal, user_id=admin, team_id=team_id, values=values
    )
    assert answer.status == 200, answer.body
    assert answer.json().get("response_action") == "update", answer.body
    call = wait_call(w, "views.update", started, lambda c: admin_words.SAVED_TITLE in str(c.args))
    view: dict[str, Any] = call.args["view"]
    return view


def connect_link(w: World, user: str, team_id: str) -> str:
    """user types /lenspin connect: the link to the connect page lenspin answers with."""
    w.slack.send_command(w.web.events_url, user_id=user, team_id=team_id, text="connect")
    message = w.slack.wait_for_message(
        user, timeout=TIMEOUT, predicate=lambda m: ids.CONNECT_LINK_ACTION in str(m["blocks"])
    )
    url = link_in(message)
    w.keep_secret("connect link", url.rsplit("/", 1)[1])
    return url


def connect_own_account(w: World, user: str, team_id: str) -> str:
    """user connects a Rescue account of their own on lenspin's page; its auth code."""
    url = connect_link(w, user, team_id)
    own = f"own{secrets.token_hex(20)}"
    w.rescue.add_auth_code(own)
    w.keep_secret("own code", own)
    done = paste_code(url, open_page(url), own)
    assert done.status == 200, done.text
    assert done.by_id.get("account-email"), done.text
    return own
