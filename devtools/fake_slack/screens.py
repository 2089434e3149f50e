"""What each user sees now: their private messages, as replaced, edited or deleted since.

The log of everything that reached a user (SlackState.messages) keeps every post; a screen
keeps each message once, as it looks now, the way the user's Slack client shows it:

- a response_url post is a new message, unless it says replace_original: it then takes the
  place of the message that response_url posted last (a new one if it posted none yet);
  delete_original removes that message;
- chat.update edits the message with that channel and ts, chat.delete removes it;
- an ephemeral post is a message of its own that nothing can edit (as in Slack).

Callers hold the state's condition, and notify it after a change.
"""

from __future__ import annotations

import copy
from typing import Any


class Screens:
    """Every user's messages as they look now."""

    def __init__(self) -> None:
        self._shown: dict[str, list[dict[str, Any]]] = {}
        # The message each response_url (by path) posted last: what replace_original replaces.
        self._by_url: dict[str, dict[str, Any]] = {}

    def show(self, message: dict[str, Any], *, ts: str, url_path: str | None = None) -> None:
        """Put a new message on its user's screen (message: as SlackState records it)."""
        shown = {**copy.deepcopy(message), "ts": ts, "edits": 0}
        self._shown.setdefault(shown["user"], []).append(shown)
        if url_path is not None:
            self._by_url[url_path] = shown

    def replace_by_url(self, url_path: str, message: dict[str, Any], *, ts: str) -> None:
        """replace_original through a response_url: its last message changes, else a new one."""
        shown = self._by_url.get(url_path)
        if shown is None or not self._on_screen(shown):
            self.show(message, ts=ts, url_path=url_path)
            return
        self._edit(shown, message)

    def delete_by_url(self, url_path: str) -> None:
        """delete_original through a response_url: its last message goes."""
        shown = self._by_url.pop(url_path, None)
        if shown is not None:
            self._remove(shown)

    def edit(self, channel: str, ts: str, message: dict[str, Any]) -> bool:
        """chat.update: the message at channel and ts changes; False if nobody sees one."""
        shown = self._find(channel, ts)
        if shown is None:
            return False
        self._edit(shown, message)
        return True

    def delete(self, channel: str, ts: str) -> None:
        """chat.delete: the message at channel and ts goes."""
        shown = self._find(channel, ts)
        if shown is not None:
            self._remove(shown)

    def of(self, user_id: str) -> list[dict[str, Any]]:
        """A copy of what user_id sees now, oldest message first."""
        return copy.deepcopy(self._shown.get(user_id, []))

    def _edit(self, shown: dict[str, Any], message: dict[str, Any]) -> None:
        for key in ("text", "blocks", "raw"):
            shown[key] = copy.deepcopy(message[key])
        shown["edits"] += 1

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next(
            (
                m
                for messages in self._shown.values()
                for m in messages
                if m["channel"] == channel and m["ts"] == ts and m["route"] != "ephemeral"
            ),
            None,
        )

    def _on_screen(self, shown: dict[str, Any]) -> bool:
        return any(m is shown for m in self._shown.get(shown["user"], []))

    def _remove(self, shown: dict[str, Any]) -> None:
        messages = self._shown.get(shown["user"], [])
        messages[:] = [m for m in messages if m is not shown]
