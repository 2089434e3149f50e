"""Every view and message, fed the longest and most-escaping inputs the form allows, fits Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.accounts import Status, StatusKind
from bot.domain import AuditRecord, CodeSource
from bot.fields import FIELD_LIMITS, PIN_FIELDS
from bot.rescue.errors import Rejected
from bot.rescue.models import Pin, ResultCode
from bot.slack.blocks.history import SECTION_LIMIT, history, history_blocks
from bot.slack.blocks.home import home
from bot.slack.blocks.messages import pin_failed, pin_ready
from bot.slack.blocks.modals import pin_modal_for
from bot.slack.blocks.status import status_text
from bot.slack.forms import PinButtons
from bot.slack.io.delivery import Destination
from devtools.fake_slack import home_view_errors, message_problem, view_errors
from tests.support import settings_for

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
        values={f.key: worst(f.limit) for f in PIN_FIELDS} | {"sms_number": "+" + "9" * 40},
        no_tech_console=True,
        private_metadata=metadata.to_metadata(),
    )
    assert view_errors(view) == []
