"""End to end on SQLite and PostgreSQL: own Rescue accounts, history, Home tab, audit, SSO."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import texts
from bot.rescue.models import ResultCode
from bot.slack import ids
from bot.store import make_engine
from tests.support import (
    AUTH_CODE,
    DATABASE_KINDS,
    SSO_PASSWORD,
    FakeRescue,
    FakeSlack,
    Result,
    WebProcess,
    app_env,
    click,
    database_dump,
    fresh_database,
    open_pin_modal,
    run_bot,
    submit_pin_modal,
)

EMAIL = "jane.tech@helpdesk.example"
ALLOWED = "U0ALLOWED1"
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
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=database_url, LENSPIN_ALLOWED_USERS=ALLOWED)
        with WebProcess(env) as web:
            yield World(slack, rescue, web, database_url)


@pytest.fixture
def w(world: World) -> World:
    world.slack.reset()
    world.rescue.reset()
    return world


@pytest.fixture
def user() -> str:
    return f"U0LINKED{next(_users):03d}"


def connect(w: World, user: str, values: dict[str, str]) -> dict:
    """Run /lenspin connect, submit the form, and return the view lenspin ends on."""
    w.slack.send_command(w.web.events_url, user_id=user, text="connect")
    opened = w.slack.wait_for_call(
        "views.open", lambda c: c.args["view"]["callback_id"] == ids.CONNECT_MODAL
    )
    ack = w.slack.submit_view(w.web.events_url, opened.args["view"], user_id=user, values=values)
    assert ack.json()["response_action"] == "update"
    assert ack.json()["view"]["blocks"][0]["text"]["text"] == texts.CONNECT_CHECKING
    outcome = w.slack.wait_for_call("views.update").args["view"]
    # Connecting ends by refreshing the Home tab (which asks Rescue about the account).
    w.slack.wait_for_call("views.publish", lambda c: c.args["user_id"] == user)
    return outcome


def get_pin(w: World, user: str, name: str = "Jane") -> dict:
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=user, text=name)
    submit_pin_modal(w.slack, w.web.events_url, opened, user_id=user, values={})
    return w.slack.wait_for_message(user, predicate=lambda m: name in m["text"])


def code_login(w: World, user: str) -> dict:
    """Connect the user with a pasted auth code (the Slack form without LENSPIN_PUBLIC_URL)."""
    code = f"pastedcode{user.lower()}"
    w.rescue.add_auth_code(code)
    return connect(w, user, {ids.CONNECT_CODE_BLOCK: code})


def test_a_bad_code_is_explained_in_the_form(w: World, user: str) -> None:
    bad_code = connect(w, user, {ids.CONNECT_CODE_BLOCK: "not-a-real-code"})
    assert bad_code["blocks"][0]["text"]["text"] == texts.CONNECT_WRONG_CODE


def test_an_empty_code_gets_an_inline_error(w: World, user: str) -> None:
    w.slack.send_command(w.web.events_url, user_id=user, text="connect")
    view = w.slack.wait_for_call("views.open").args["view"]
    empty = w.slack.submit_view(
        w.web.events_url, view, user_id=user, values={ids.CONNECT_CODE_BLOCK: "  "}
    )
    assert empty.json()["errors"] == {ids.CONNECT_CODE_BLOCK: texts.CONNECT_NEED_CODE}
    assert w.rescue.calls == []


def test_a_pasted_code_connects_and_status_and_disconnect_follow(w: World, user: str) -> None:
    code = f"pastedcode{user.lower()}"
    w.rescue.add_auth_code(code)
    done = connect(w, user, {ids.CONNECT_CODE_BLOCK: f"  {code}  "})
    assert done["title"]["text"] == texts.CONNECT_DONE_TITLE

    w.slack.send_command(w.web.events_url, user_id=user, text="status")
    status = w.slack.wait_for_message(user, predicate=lambda m: "own Rescue account" in m["text"])
    assert "Technician Console: running" in status["text"]

    w.slack.send_command(w.web.events_url, user_id=user, text="disconnect")
    gone = w.slack.wait_for_message(user, predicate=lambda m: m["text"] == texts.DISCONNECTED)
    assert gone["route"] == "response_url"
    # Not on the allowlist and no longer connected: no form, a pointer to connect instead.
    w.slack.send_command(w.web.events_url, user_id=user)
    w.slack.wait_for_message(user, predicate=lambda m: m["text"] == texts.NEEDS_CONNECT)


def test_a_refused_linked_code_is_marked_stale_and_never_swapped(w: World) -> None:
    user = ALLOWED  # on the allowlist too: the shared code must still not be used for them
    code = "stalecodeforallowedtech"
    w.rescue.add_auth_code(code)
    connect(w, user, {ids.CONNECT_CODE_BLOCK: code})
    w.rescue.queue(Result(code=ResultCode.INVALID_SECRET_AUTH_CODE.value))
    first = get_pin(w, user, name="First")
    assert texts.LINK_STALE in first["text"]
    second = get_pin(w, user, name="Second")
    assert texts.LINK_STALE in second["text"]
    pin_calls = [c for c in w.rescue.calls if c.operation == "requestLensPINCodeV2"]
    assert [c.fields["sAuthCode"] for c in pin_calls] == [code]  # one try, never AUTH_CODE
    w.slack.send_command(w.web.events_url, user_id=user, text="status")
    w.slack.wait_for_message(user, predicate=lambda m: "stopped accepting" in m["text"])
    # Disconnecting returns them to the shared code they are allowed.
    w.slack.send_command(w.web.events_url, user_id=user, text="disconnect")
    w.slack.wait_for_message(user, predicate=lambda m: m["text"] == texts.DISCONNECTED)
    get_pin(w, user, name="Third")
    assert w.rescue.calls[-1].fields["sAuthCode"] == AUTH_CODE


def test_history_shows_the_techs_own_requests_newest_first(w: World) -> None:
    user = ALLOWED
    get_pin(w, user, name="Older")
    w.rescue.queue(Result(code=ResultCode.NO_TECH_CONSOLE_RUNNING.value))
    get_pin(w, user, name="Newer")
    w.slack.send_command(w.web.events_url, user_id=user, text="history")
    message = w.slack.wait_for_message(user, predicate=lambda m: m["text"] == texts.HISTORY_TITLE)
    lines = message["blocks"][0]["text"]["text"].splitlines()[1:]
    assert "Newer" in lines[0]
    assert texts.SHORT_REASONS["NO_TECH_CONSOLE_RUNNING"] in lines[0]
    assert "Older" in lines[1]
    assert "`1" in lines[1]  # a young PIN is shown (the fake's PINs start at 100000)


def test_the_home_tab_shows_status_history_and_opens_the_connect_form(w: World, user: str) -> None:
    answer = w.slack.send_event(
        w.web.events_url, {"type": "app_home_opened", "user": user, "tab": "home"}
    )
    assert answer.status == 200
    published = w.slack.wait_for_call("views.publish").args
    assert published["user_id"] == user
    home = published["view"]
    assert home["type"] == "home"
    assert texts.STATUS_NOTHING in str(home)
    assert texts.HISTORY_EMPTY in str(home)
    click(w.slack, w.web.events_url, user_id=user, action_id=ids.HOME_CONNECT_ACTION, view=home)
    opened = w.slack.wait_for_call("views.open").args["view"]
    assert opened["callback_id"] == ids.CONNECT_MODAL


def test_connecting_refreshes_the_home_tab(w: World, user: str) -> None:
    done = code_login(w, user)
    (home,) = [c.args for c in w.slack.calls_to("views.publish") if c.args["user_id"] == user]
    # The Home tab names the account the connection confirmed.
    email = done["blocks"][0]["text"]["text"].split("*")[1]
    assert "@" in email
    assert email in str(home["view"])


def test_the_audit_export_lists_requests_without_codes_or_pins(w: World, tmp_path: Path) -> None:
    # A name a spreadsheet would run as a formula is exported defused.
    message = get_pin(w, ALLOWED, name="=SUM(A1) export")
    pin = message["text"].rsplit(": ", 1)[1]
    env = app_env(w.slack, w.rescue, DATABASE_URL=w.database_url)
    result = run_bot(["audit", "--since", "2026-01-01"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    mine = [r for r in rows if r["name"] == "'=SUM(A1) export"]
    assert len(mine) == 1
    assert mine[0]["user_id"] == ALLOWED
    assert mine[0]["code_source"] == "shared"
    assert mine[0]["result"] == "OK"
    assert AUTH_CODE not in result.stdout
    assert pin not in result.stdout


def test_every_request_is_audited_with_the_pin_encrypted(w: World) -> None:
    message = get_pin(w, ALLOWED, name="Audited")
    pin = message["text"].rsplit(": ", 1)[1]
    engine = make_engine(w.database_url)
    with engine.connect() as connection:
        row = (
            connection.execute(text("SELECT * FROM lenspin_audit WHERE name = 'Audited'"))
            .mappings()
            .one()
        )
    engine.dispose()
    assert row["user_id"] == ALLOWED
    assert row["code_source"] == "shared"
    assert row["result"] == "OK"
    assert row["latency_ms"] is not None
    assert pin not in str(dict(row))


SSO_COMPANY = "424242"


def test_single_sign_on_gets_each_tech_their_own_code_without_linking(tmp_path: Path) -> None:
    user, email = "U0SSOTECH1", "sso.tech@helpdesk.example"
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        slack.add_user(user, email=email)
        rescue.enable_sso(SSO_COMPANY, SSO_PASSWORD, [email])
        env = app_env(
            slack,
            rescue,
            LENSPIN_ALLOWED_USERS=ALLOWED,
            RESCUE_SSO_COMPANY_ID=SSO_COMPANY,
            RESCUE_SSO_PASSWORD=SSO_PASSWORD,
        )
        with WebProcess(env) as web:
            w = World(slack, rescue, web, env["DATABASE_URL"])
            get_pin(w, user, name="First")
            sso_call, first_pin = rescue.calls
            assert sso_call.operation == "requestAuthCodeSSO"
            assert sso_call.fields["sSSOID"] == email
            assert sso_call.fields["sCompany"] == SSO_COMPANY
            code = first_pin.fields["sAuthCode"]
            assert code not in (AUTH_CODE, "")

            # The code is kept (encrypted) and reused; when Rescue stops taking it, a fresh
            # one is fetched for the same technician and the request goes through.
            get_pin(w, user, name="Second")
            assert rescue.calls[2].fields["sAuthCode"] == code
            rescue.queue(Result(code=ResultCode.INVALID_SECRET_AUTH_CODE.value))
            third = get_pin(w, user, name="Third")
            assert "Rescue Lens PIN for Third" in third["text"]
            operations = [c.operation for c in rescue.calls[3:]]
            assert operations == [
                "requestLensPINCodeV2",
                "requestAuthCodeSSO",
                "requestLensPINCodeV2",
            ]
        logs = web.output()
    assert SSO_PASSWORD not in logs
    assert code not in logs
    assert SSO_PASSWORD not in database_dump(env["DATABASE_URL"])


def test_help_lists_the_subcommands_and_other_words_are_a_name(w: World) -> None:
    ack, _, _ = w.slack.send_command(w.web.events_url, user_id=ALLOWED, text="Help")
    assert ack.json()["text"] == texts.HELP
    assert w.slack.calls_to("views.open") == []
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=ALLOWED, text="helpdesk caller")
    assert opened.view["blocks"][1]["element"]["initial_value"] == "helpdesk caller"


def test_disconnecting_from_the_home_tab(w: World, user: str) -> None:
    code = f"homecode{user.lower()}"
    w.rescue.add_auth_code(code)
    connect(w, user, {ids.CONNECT_CODE_BLOCK: code})
    home = w.slack.calls_to("views.publish")[-1].args["view"]
    assert EMAIL not in str(home)
    click(w.slack, w.web.events_url, user_id=user, action_id=ids.HOME_DISCONNECT_ACTION, view=home)
    refreshed = w.slack.wait_for_call(
        "views.publish", lambda c: texts.STATUS_NOTHING in str(c.args["view"])
    )
    assert refreshed.args["user_id"] == user
    w.slack.send_command(w.web.events_url, user_id=user)
    w.slack.wait_for_message(user, predicate=lambda m: m["text"] == texts.NEEDS_CONNECT)


def test_with_zero_visible_minutes_history_masks_every_pin(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, LENSPIN_ALLOWED_USERS=ALLOWED, LENSPIN_PIN_VISIBLE_MINUTES="0")
        with WebProcess(env) as web:
            w = World(slack, rescue, web, env["DATABASE_URL"])
            pin = get_pin(w, ALLOWED, name="Masked")["text"].rsplit(": ", 1)[1]
            slack.send_command(web.events_url, user_id=ALLOWED, text="history")
            message = slack.wait_for_message(
                ALLOWED, predicate=lambda m: m["text"] == texts.HISTORY_TITLE
            )
    assert "Masked" in str(message["blocks"])
    assert pin not in str(message["blocks"])
    assert texts.HISTORY_ALL_MASKED in str(message["blocks"])
