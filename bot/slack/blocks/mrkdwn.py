"""The small pieces every builder uses: escaping, text objects, sections, buttons, dates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Block = dict[str, Any]
Message = dict[str, Any]

# Slack refuses a section whose text, as sent (escaped), is over 3,000 characters.
SECTION_LIMIT = 3000


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> dict[str, Any]:
    """A plain_text object."""
    return {"type": "plain_text", "text": text, "emoji": True}


def section(mrkdwn: str) -> Block:
    """A section block with mrkdwn text."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn: str) -> Block:
    """A context block with one mrkdwn element."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def actions(*elements: dict[str, Any]) -> Block:
    """An actions block holding these elements."""
    return {"type": "actions", "elements": list(elements)}


def button(
    action_id: str, text: str, value: str = "", *, primary: bool = False, url: str = ""
) -> dict[str, Any]:
    """A button; a value is carried back in the click's payload, a url opens in the browser."""
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text)}
    if value:
        element["value"] = value
    if url:
        element["url"] = url
    if primary:
        element["style"] = "primary"
    return element


def slack_date(moment: datetime, format_: str) -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{format_}|{fallback}>"


def packed(title: str, lines: list[str]) -> list[str]:
    """The title and lines as few section texts as fit SECTION_LIMIT, lines kept whole."""
    texts: list[str] = [title]
    for line in lines:
        if len(texts[-1]) + 1 + len(line) > SECTION_LIMIT:
            texts.append(line)
        else:
            texts[-1] += "\n" + line
    return texts
