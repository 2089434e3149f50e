"""End to end, serving several workspaces (issue 14): every button and every form lenspin
answers, sent from workspace B by B's people while carrying workspace A's ids (its Home views,
its PIN's button values, its forms with their private_metadata), acts on B alone: nothing of
A is read, changed or shown, in the database or in Slack."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot import texts
from bot.slack import ids
from bot.slack.blocks.modals import connect_modal
from bot.texts import admin as admin_words
from bot.texts import page as page_words
from tests.support import DATABASE_KINDS, database_dump
from tests.support.connect_page import link_in, open_page
from tests.support.workspaces_e2e import (
    Shop,
    World,
    assert_no_secret_in,
    install,
    new_shop,
    note_tokens,
    rows,
    serving_several,
    wait_until,
)
from tests.support.workspaces_slack import (
    Asked,
    ask_form,
    buttons_of,
    click,
    connect_own_account,
    get_pin,
    open_home,
    open_settings,
    opened_with,
    pin_calls,
    save_settings,
    settings_values,
    wait_call,
)

# A's rows as the test compares them: whole, but for what following a PIN's session changes.
FOLLOWED = {
    "lenspin_watches": ("id", "audit_id", "user_id", "reply_encrypted", "reply_uses"),
    "lenspin_audit": ("id", "user_id", "name", "custom1", "tracking", "result", "pin_encrypted"),
}
TABLES = (
    "lenspin_installations",
    "lenspin_workspace_settings",
    "lenspin_settings_changes",
    "lenspin_links",
    "lenspin_connect_links",
    *FOLLOWED,
)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def w(request: pytest.FixtureRequest) -> Iterator[World]:
    with serving_several(request.param) as world:
        yield world


@dataclass
class Pair:
    """Workspace A with something of everything, workspace B, and A as it was before."""

    a: Shop
    b: Shop
    pin: dict[str, Any]  # A's technician's PIN message, with its buttons
    form: Asked  # A's technician's PIN form, open, its routes in its private_metadata
    home: dict[str, Any]  # the Home tab of A's technician with a connected account
    admin_home: dict[str, Any]  # A's admin's Home tab, with its Admin section
    modal: dict[str, Any]  # A's settings modal, as A's admin opened it
    marks: tuple[str, ...]  # what only A's records hold: never in anything B gets
    before: dict[str, list[dict[str, Any]]]
    messages: int  # how many private messages A's people got before
    started: float


def snapshot(w: World, shop: Shop) -> dict[str, list[dict[str, Any]]]:
    """A's rows in every table lenspin keeps per workspace."""
    found = {}
    for table in TABLES:
        kept = rows(w, table, team_id=shop.team_id)
        columns = FOLLOWED.get(table)
        found[table] = [{c: r[c] for c in columns} for r in kept] if columns else kept
    return found


def tokens_of(w: World, shop: Shop) -> set[str]:
    record = w.slack.installation(shop.team_id)
    assert record is not None
    return set(record.tokens)


@pytest.fixture
def pair(w: World) -> Pair:
    a, b = new_shop(w, "Anchor Shop"), new_shop(w, "Brig Shop")
    note, tracking = f"anchor note {secrets.token_hex(4)}", f"ANCHOR-{secrets.token_hex(3)}"
    for shop in (a, b):
        install(w, shop.team_id, user_id=shop.admin)
    save_settings(
        w, a.admin, a.team_id, users=[a.tech], code=a.code, labels={"custom1": "Anchor ticket"}
    )
    save_settings(w, b.admin, b.team_id, users=[b.tech], code=b.code)
    values = {ids.field_block("custom1"): note, ids.field_block("tracking"): tracking}
    pin = get_pin(w, a.tech, a.team_id, "Ada Anchor", values)
    connect_own_account(w, a.outsider, a.team_id)
    connect_own_account(w, b.outsider, b.team_id)  # something of B's for a Disconnect to forget
    wait_until(lambda: rows(w, "lenspin_watches", team_id=a.team_id))
    form = ask_form(w, a.tech, a.team_id, "Second Anchor")
    home = open_home(w, a.outsider, a.team_id)
    admin_home = open_home(w, a.admin, a.team_id)
    modal = open_settings(w, a.admin, a.team_id)
    a_people = (a.admin, *a.techs)
    return Pair(
        a,
        b,
        pin,
        form,
        home,
        admin_home,
        modal,
        marks=(note, tracking, "Anchor ticket", a.code, a.tech, a.outsider, form.response_url),
        before=snapshot(w, a),
        messages=sum(len(w.slack.messages_for(u)) for u in a_people),
        started=time.monotonic(),
    )


def assert_a_untouched(w: World, pair: Pair) -> None:
    """Nothing of A changed, nothing reached A's Slack, nothing of A reached B's."""
    a, b = pair.a, pair.b
    assert snapshot(w, a) == pair.before
    since = [c for c in w.slack.calls if c.received_at >= pair.started]
    assert [c.method for c in since if c.token in tokens_of(w, a)] == []
    assert sum(len(w.slack.messages_for(u)) for u in (a.admin, *a.techs)) == pair.messages
    own = tokens_of(w, b)
    shown = [c.args for c in since if c.token in own] + [
        m for u in (b.admin, *b.techs) for m in w.slack.messages_for(u)
    ]
    leaked = [mark for mark in pair.marks if mark in json.dumps(shown)]
    assert leaked == []


def test_home_buttons_act_on_the_clicking_workspace_whatever_view_they_carry(
    w: World, pair: Pair
) -> None:
    b = pair.b
    # Connect: a link for B's technician, in B.
    _, trigger, _ = click(
        w, user=b.tech, team_id=b.team_id, action_id=ids.HOME_CONNECT_ACTION, view=pair.home
    )
    assert opened_with(w, trigger)["title"]["text"] == texts.CONNECT_TITLE
    update = wait_call(
        w, "views.update", pair.started, lambda c: ids.CONNECT_LINK_ACTION in str(c.args)
    )
    page = open_page(link_in(update.args["view"]))
    assert page_words.HEADING.format(user=f"{b.name} Tech", workspace=b.name) in page.text
    # Disconnect: B's own connected account goes, A's stays (checked below).
    started = time.monotonic()
    click(
        w, user=b.outsider, team_id=b.team_id, action_id=ids.HOME_DISCONNECT_ACTION, view=pair.home
    )
    wait_call(w, "views.publish", started, lambda c: c.args["user_id"] == b.outsider)
    assert rows(w, "lenspin_links", team_id=b.team_id, user_id=b.outsider) == []
    # Admin: B's technician is no admin of B; B's admin gets B's settings, not A's.
    _, trigger, _ = click(
        w, user=b.tech, team_id=b.team_id, action_id=ids.ADMIN_OPEN_ACTION, view=pair.admin_home
    )
    assert opened_with(w, trigger)["title"]["text"] == admin_words.NOT_ADMIN_TITLE
    _, trigger, _ = click(
        w, user=b.admin, team_id=b.team_id, action_id=ids.ADMIN_OPEN_ACTION, view=pair.admin_home
    )
    modal = opened_with(w, trigger)
    (people,) = [x for x in modal["blocks"] if x.get("block_id") == ids.ADMIN_USERS_BLOCK]
    assert people["element"]["initial_users"] == [b.tech]
    # The connect page's button only opens the browser: the click is acked, nothing more.
    answer, _, _ = click(
        w, user=b.tech, team_id=b.team_id, action_id=ids.CONNECT_LINK_ACTION, view=pair.home
    )
    assert (answer.status, answer.body) == (200, "")
    assert_a_untouched(w, pair)


def test_buttons_under_a_pin_carrying_another_workspaces_values(w: World, pair: Pair) -> None:
    b, buttons = pair.b, buttons_of(pair.pin)
    share, again = buttons[ids.SHARE_ACTION]["value"], buttons[ids.AGAIN_ACTION]["value"]
    # Share into A's channel: B's token cannot post there, so B's technician is told.
    _, _, url = click(
        w,
        user=b.tech,
        team_id=b.team_id,
        action_id=ids.SHARE_ACTION,
        value=share,
        channel=pair.form.channel,
    )
    told = w.slack.wait_for_response_post(url)
    assert str(told.body["text"]).startswith(texts.SHARE_FAILED)
    (tried,) = [
        c for c in w.slack.calls_to("chat.postMessage") if c.args["channel"] == pair.form.channel
    ]
    assert tried.error is not None
    # Share into B's own channel: only what the button carried, in B; A's watch keeps its reply.
    _, _, url = click(w, user=b.tech, team_id=b.team_id, action_id=ids.SHARE_ACTION, value=share)
    w.slack.wait_for_response_post(url, lambda p: p.body.get("replace_original") is True)
    # New PIN like this, text again: A's request is no request of B's technician.
    for action in (ids.AGAIN_ACTION, ids.TEXT_AGAIN_ACTION):
        _, trigger, url = click(w, user=b.tech, team_id=b.team_id, action_id=action, value=again)
        assert w.slack.wait_for_response_post(url).body["text"] == texts.AGAIN_GONE
        assert [c for c in w.slack.calls_to("views.open") if c.args["trigger_id"] == trigger] == []
    assert_a_untouched(w, pair)


def test_a_pin_form_carrying_another_workspaces_routes_answers_its_sender_in_their_workspace(
    w: World, pair: Pair
) -> None:
    b, name = pair.b, ids.field_block("name")
    # B's technician's own form, its private_metadata A's: A's technician, channel, URL.
    form = ask_form(w, b.tech, b.team_id, "Forged").form
    theirs = pair.form.form["private_metadata"]
    forged = {**form, "private_metadata": theirs}
    w.slack.submit_view(
        w.web.events_url, forged, user_id=b.tech, team_id=b.team_id, values={name: "Forged One"}
    )
    first = w.slack.wait_for_message(b.tech, predicate=lambda m: "Forged One" in m["text"])
    assert first["route"] == "dm"
    # The same routes, said to be B's technician's own.
    mine = json.dumps({**json.loads(theirs), "user_id": b.tech})
    w.slack.submit_view(
        w.web.events_url,
        {**form, "private_metadata": mine},
        user_id=b.tech,
        team_id=b.team_id,
        values={name: "Forged Two"},
    )
    second = w.slack.wait_for_message(b.tech, predicate=lambda m: "Forged Two" in m["text"])
    assert second["route"] == "dm"
    assert [c["sCField0"] for c in pin_calls(w, b.code)] == ["Forged One", "Forged Two"]
    assert [p for p in w.slack.response_posts if p.url == pair.form.response_url] == []
    assert_a_untouched(w, pair)


def test_a_connect_form_naming_another_workspaces_user_connects_its_sender(
    w: World, pair: Pair
) -> None:
    a, b = pair.a, pair.b
    view = {**connect_modal(), "private_metadata": json.dumps({"user_id": a.outsider})}
    own = f"brig{secrets.token_hex(20)}"
    w.rescue.add_auth_code(own)
    w.keep_secret("own code", own)
    answer = w.slack.submit_view(
        w.web.events_url,
        view,
        user_id=b.outsider,
        team_id=b.team_id,
        values={ids.CONNECT_CODE_BLOCK: own},
    )
    assert answer.json()["view"]["title"]["text"] == texts.CONNECT_TITLE
    wait_call(w, "views.update", pair.started, lambda c: texts.CONNECT_DONE_TITLE in str(c.args))
    (link,) = rows(w, "lenspin_links", user_id=b.outsider)
    assert link["team_id"] == b.team_id
    assert rows(w, "lenspin_links", user_id=a.outsider)[0]["team_id"] == a.team_id
    assert_a_untouched(w, pair)


def test_a_settings_form_from_another_workspace_changes_that_workspaces_settings_only(
    w: World, pair: Pair
) -> None:
    a, b = pair.a, pair.b
    metadata = json.dumps({"team_id": a.team_id, "user_id": a.admin})
    modal = {**pair.modal, "private_metadata": metadata}
    typed = settings_values(users=[b.tech, b.outsider], labels={"custom1": "Custom field 1"})
    refused = w.slack.submit_view(
        w.web.events_url, modal, user_id=b.tech, team_id=b.team_id, values=typed
    )
    assert refused.json()["view"]["title"]["text"] == admin_words.NOT_ADMIN_TITLE
    saved = w.slack.submit_view(
        w.web.events_url, modal, user_id=b.admin, team_id=b.team_id, values=typed
    )
    assert saved.json()["response_action"] == "update"
    wait_call(w, "views.update", pair.started, lambda c: admin_words.SAVED_TITLE in str(c.args))
    (settings,) = rows(w, "lenspin_workspace_settings", team_id=b.team_id)
    assert json.loads(settings["allowed_users"]) == sorted([b.tech, b.outsider])
    changes = rows(w, "lenspin_settings_changes", team_id=b.team_id)
    assert [c["changed_by_user_id"] for c in changes] == [b.admin, b.admin]
    assert_a_untouched(w, pair)


def test_none_of_it_put_a_secret_in_a_log_line_or_a_table(w: World, pair: Pair) -> None:
    # After the tests above (or only this pair's set-up, run alone), at DEBUG.
    note_tokens(w)
    assert_no_secret_in(w, w.web.output(), database_dump(w.database_url))
