"""Every view and message, fed the longest and most-escaping inputs the form allows, fits Slack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bot import texts
from bot.accounts import Accounts, LinkStale, NotConnected, Status, StatusKind
from bot.connect import ConnectLinks
from bot.domain import AuditRecord, CodeSource, Link, LinkSource, Policy, Requester
from bot.fields import FIELD_LIMITS, PIN_FIELDS
from bot.lanes import NotSent, QueueFull, WaitedTooLong
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import SMS_LANGUAGES, Account, AuthResult, Pin, PinRequest, ResultCode
from bot.slack import ids
from bot.slack.blocks.connect import connect_link_message, connect_link_modal
from bot.slack.blocks.history import history, history_blocks
from bot.slack.blocks.home import home
from bot.slack.blocks.messages import (
    customer_post,
    pin_failed,
    pin_ready,
    queue_note,
    share_failed,
)
from bot.slack.blocks.modals import notice_modal, pin_modal_for
from bot.slack.blocks.mrkdwn import SECTION_LIMIT
from bot.slack.blocks.outcomes import connect_failure
from bot.slack.blocks.status import connected_text, status_text
from bot.slack.forms import PinButtons, rescue_length
from bot.slack.io.delivery import Destination
from bot.slack.listeners.views import PinFormSubmitted
from devtools.fake_slack import home_view_errors, message_problem, view_errors
from tests.support import settings_for
from tests.support.doubles import MemoryConnectLinks, MemoryRescue, MemoryStore

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# Each of these grows fivefold or fourfold when escaped for mrkdwn.
WORST = "&<>"


def worst(limit: int) -> str:
    """The longest text the form takes, all of it characters that escaping lengthens."""
    return (WORST * limit)[:limit]


def records(count: int = 10) -> list[AuditRecord]:
    """count requests, each with the longest, most-escaping fields, half of them failed."""
    return [
        AuditRecord(
            team_id="T1",
            user_id="U1",
            requested_at=NOW - timedelta(minutes=i),
            fields={f.key: worst(f.limit) for f in PIN_FIELDS},
            no_tech_console=False,
            code_source=CodeSource.SHARED,
            result="OK" if i % 2 else "USER_DELETED_OR_DISABLED",
            latency_ms=900,
            pin="004821" if i % 2 else None,
            id=10_000_000 + i,
        )
        for i in range(count)
    ]


def section_texts(blocks: list[dict[str, object]]) -> list[str]:
    return [str(b["text"]["text"]) for b in blocks if b["type"] == "section"]  # type: ignore[index]


def test_ten_worst_case_lines_fit_in_sections_slack_accepts() -> None:
    message = history(records(), now=NOW, visible_minutes=20)
    assert message_problem(message) is None
    sections = section_texts(message["blocks"])
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    # Every request is still listed: lines are packed into more sections, never dropped.
    assert sum(text.count("\n• ") + text.startswith("• ") for text in sections) == 10
    # The way it was before (one section) would not fit.
    assert sum(len(text) + 1 for text in sections) > SECTION_LIMIT


def test_the_home_tab_with_the_worst_history_is_accepted() -> None:
    status = Status(StatusKind.SHARED)
    view = home(
        status_text(status),
        connected=False,
        can_connect=True,
        history=history_blocks(records(), now=NOW, visible_minutes=20),
    )
    assert home_view_errors(view) == []


@pytest.mark.parametrize("shared", [False, True])
def test_the_pin_message_with_the_longest_name_and_buttons_is_accepted(shared: bool) -> None:
    name = worst(FIELD_LIMITS["name"])
    value = PinButtons(10_000_000, "004821", name, "+" + "9" * 15, "pt-br").to_value()
    message = pin_ready(
        Pin("004821"), name=name, sms_number="+" + "9" * 15, buttons=value, shared=shared
    )
    assert message_problem(message) is None


def test_a_failure_with_the_longest_name_is_accepted() -> None:
    error = Rejected(ResultCode.NO_TECH_CONSOLE_RUNNING)
    message = pin_failed(error, name=worst(FIELD_LIMITS["name"]), timeout_seconds=120)
    assert message_problem(message) is None


def test_the_form_prefilled_with_every_longest_value_is_accepted() -> None:
    settings = settings_for(**{f"LENSPIN_HINT_{f.setting}": "h" * 2000 for f in PIN_FIELDS})
    metadata = Destination("U" + "0" * 20, "C" + "0" * 20, "https://hooks.slack.com/" + "x" * 200)
    view = pin_modal_for(
        settings,
        settings.policy,
        values={f.key: worst(f.limit) for f in PIN_FIELDS} | {"sms_number": "+" + "9" * 40},
        no_tech_console=True,
        private_metadata=metadata.to_metadata(),
    )
    assert view_errors(view) == []


# Every builder, fed each kind of longest input: what escaping lengthens most (& alone grows
# fivefold), what Rescue counts twice (emoji: two UTF-16 units each), and wide CJK text.
KINDS = {
    "escaping": worst,
    "ampersands": lambda limit: "&" * limit,
    "emoji": lambda limit: "\U0001f600" * limit,
    "cjk": lambda limit: "\u4e2d\u6587" * (limit // 2),
}
LONG_EMAIL = 254  # an address can't be longer; Rescue's organization names get the same room
OUTCOMES: list[RescueError] = [
    *(Rejected(code) for code in ResultCode),
    *(Rejected(code) for code in AuthResult),
    Timeout("slow"),
    Unavailable("down"),
    NotSent("stopping"),
    NotConnected("none"),
    LinkStale("stale"),
    QueueFull(3),
    WaitedTooLong(45.0),
    RescueError("bug"),
]


def kind_records(kind: str) -> list[AuditRecord]:
    """Ten requests of this kind, one per result the history words, PINs shown and hidden."""
    results = ["OK", *texts.SHORT_REASONS, "SOMETHING_NEW"]
    return [
        replace(
            record,
            fields={f.key: KINDS[kind](f.limit) for f in PIN_FIELDS},
            result=results[i % len(results)],
            pin="004821" if results[i % len(results)] == "OK" else None,
        )
        for i, record in enumerate(records(len(results)))
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", texts.CUSTOMER_LANGUAGES)
def test_every_pin_message_and_customer_post_is_accepted(kind: str, language: str) -> None:
    name = KINDS[kind](FIELD_LIMITS["name"])
    pin = Pin("004821")
    for sms_language in SMS_LANGUAGES:
        value = PinButtons(10_000_000, "004821", name, "+" + "9" * 15, sms_language).to_value()
        for shared in (False, True):
            message = pin_ready(
                pin,
                name=name,
                language=language,
                sms_number="+" + "9" * 15,
                buttons=value,
                shared=shared,
            )
            assert message_problem(message) is None
    assert message_problem(customer_post(pin, language)) is None
    assert message_problem(share_failed(pin, language)) is None


@pytest.mark.parametrize("kind", KINDS)
def test_every_failure_and_the_place_in_line_are_accepted(kind: str) -> None:
    name = KINDS[kind](FIELD_LIMITS["name"])
    for error in OUTCOMES:
        assert message_problem(pin_failed(error, name=name, timeout_seconds=120)) is None
        view = notice_modal(texts.CONNECT_FAILED_TITLE, connect_failure(error))
        assert view_errors(view) == []
    assert message_problem(queue_note(10_000, 86_400.0)) is None


@pytest.mark.parametrize("kind", KINDS)
def test_history_home_and_every_status_are_accepted(kind: str) -> None:
    entries = kind_records(kind)
    assert message_problem(history(entries, now=NOW, visible_minutes=20)) is None
    long = KINDS[kind](LONG_EMAIL)
    link = Link("T1", "U1", "code", long, long, LinkSource.TOKEN, NOW, stale=False)
    account = Account(1, long, 1, 2, long, console_running=False)
    statuses = [
        Status(StatusKind.LINKED, link, account),
        Status(StatusKind.LINKED, link),
        Status(StatusKind.STALE, replace(link, stale=True)),
        Status(StatusKind.SSO, link),
        Status(StatusKind.SHARED),
        Status(StatusKind.NOTHING),
    ]
    for status in statuses:
        text = status_text(status)
        assert message_problem({"text": text}) is None
        view = home(
            text,
            connected=status.kind in (StatusKind.LINKED, StatusKind.STALE),
            can_connect=True,
            history=history_blocks(entries, now=NOW, visible_minutes=20),
        )
        assert home_view_errors(view) == []
    connected = notice_modal(texts.CONNECT_DONE_TITLE, connected_text(account))
    assert view_errors(connected) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sms_language", SMS_LANGUAGES)
def test_the_form_prefilled_with_each_kind_is_accepted(kind: str, sms_language: str) -> None:
    settings = settings_for(LENSPIN_SMS_LANGUAGE=sms_language)
    view = pin_modal_for(
        settings,
        settings.policy,
        values={f.key: KINDS[kind](f.limit) for f in PIN_FIELDS} | {"sms_number": "+" + "9" * 40},
        no_tech_console=True,
    )
    assert view_errors(view) == []
    # Every prefill fits its field as Rescue counts, so lenspin takes back what it offered.
    for block in view["blocks"]:
        element = block.get("element", {})
        if "initial_value" in element and "max_length" in element:
            assert rescue_length(element["initial_value"]) <= element["max_length"]


# The connect page's link: the longest LENSPIN_PUBLIC_URL worth allowing (200 characters),
# then /connect/ and the 43-character token, as ConnectLinks makes it.
LONG_PUBLIC_URL = ("https://lenspin.example.com/" + "tools&more/" * 20)[:200]
LINK_PATH_LENGTH = len("/connect/") + 43
# Slack's documented limit on a button's url.
BUTTON_URL_LIMIT = 3000


def long_link_maker(team_name: str = "T", user_name: str = "U") -> SimpleNamespace:
    """What PinFormSubmitted needs to make a link: the settings, ConnectLinks, Slack's names."""
    rescue = MemoryRescue()
    accounts = Accounts(
        links=MemoryStore(),
        rescue=rescue,
        policy_of=lambda _who: Policy(),
    )
    links = ConnectLinks(
        MemoryConnectLinks(lambda: None),
        accounts,
        public_url=LONG_PUBLIC_URL,
        form_secret="form-secret",
    )
    return SimpleNamespace(
        settings=settings_for(RESCUE_TIMEOUT="120"),
        connect_links=links,
        clients=SimpleNamespace(
            for_=lambda _who: SimpleNamespace(
                lookups=SimpleNamespace(team_name=lambda: team_name, real_name=lambda _: user_name)
            )
        ),
    )


def long_link() -> str:
    url = long_link_maker().connect_links.issue(Requester("T1", "U1"), team_name="T", user_name="U")
    assert len(url) == 200 + LINK_PATH_LENGTH
    return url


def link_buttons(blocks: list[dict[str, object]]) -> list[tuple[str, str]]:
    return [
        (str(e["action_id"]), str(e["url"]))  # type: ignore[index]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("lead", ["", texts.NEEDS_CONNECT], ids=["connect", "needs-connect"])
def test_the_connect_link_message_with_the_longest_url_is_accepted(lead: str) -> None:
    url = long_link()
    message = connect_link_message(url, lead)
    assert message_problem(message) is None
    assert link_buttons(message["blocks"]) == [(ids.CONNECT_LINK_ACTION, url)]


def test_the_connect_link_modal_with_the_longest_url_is_accepted() -> None:
    url = long_link()
    view = connect_link_modal(url)
    assert view_errors(view) == []
    assert link_buttons(view["blocks"]) == [(ids.CONNECT_LINK_ACTION, url)]


def test_a_link_past_slacks_url_limit_would_be_refused() -> None:
    # The checks above would catch a URL that grew past the limit: they do look at it.
    url = "https://lenspin.example.com/" + "x" * BUTTON_URL_LIMIT
    assert message_problem(connect_link_message(url, texts.NEEDS_CONNECT)) is not None
    assert view_errors(connect_link_modal(url)) != []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "error", [NotConnected("none"), LinkStale("stale")], ids=lambda e: type(e).__name__
)
def test_a_failure_with_the_link_under_it_is_accepted(kind: str, error: RescueError) -> None:
    name = KINDS[kind](FIELD_LIMITS["name"])
    deps = long_link_maker(team_name=KINDS[kind](100), user_name=KINDS[kind](100))
    form = PinFormSubmitted(deps)  # type: ignore[arg-type]
    request = PinRequest(**{f.key: KINDS[kind](f.limit) for f in PIN_FIELDS})
    message = form._message(Requester("T1", "U1"), Policy(), request, error, None)
    alone = pin_failed(error, name=name, timeout_seconds=120)
    # The failure as it was, then the link's blocks, all within Slack's limits.
    assert message["text"] == alone["text"]
    assert message["blocks"][: len(alone["blocks"])] == alone["blocks"]
    assert len(message["blocks"]) > len(alone["blocks"])
    assert len(message["blocks"]) <= 50
    ((action, url),) = link_buttons(message["blocks"])
    assert action == ids.CONNECT_LINK_ACTION
    assert len(url) == 200 + LINK_PATH_LENGTH
    assert message_problem(message) is None
