"""What the fake Slack records of the app's calls, posts and messages, and waiting for them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import threading

    from devtools.fake_slack.state import SlackState

_T = TypeVar("_T")
# How many recorded items a timeout message lists.
_SHOWN = 20
# Arguments a repr never shows: tokens, and what oauth.v2.access exchanges.
_SECRET_ARGS = frozenset({"token", "client_secret", "code", "refresh_token"})


@dataclass(frozen=True, repr=False)
class ApiCall:
    """One Web API call the fake received (recorded even when it was answered with an error)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    received_at: float
    # Not part of the request: what the fake answered (None when ok), for asserting on failures.
    error: str | None = None

    def __repr__(self) -> str:
        # Test failures print reprs; keep tokens and OAuth secrets out of them.
        args = {k: ("<redacted>" if k in _SECRET_ARGS else v) for k, v in self.args.items()}
        return f"ApiCall(method={self.method!r}, args={args!r}, error={self.error!r})"


@dataclass(frozen=True)
class ResponsePost:
    """One POST the app made to a response_url (recorded even when it was refused)."""

    url: str
    body: dict[str, Any]
    received_at: float
    # Not part of the request: the HTTP status the fake answered.
    status: int = 200


@dataclass(frozen=True)
class AppResponse:
    """What the app answered to a request the fake sent it."""

    status: int
    body: str
    headers: dict[str, str]
    elapsed: float
    # When the request left, on time.monotonic(): after the payload was built and signed.
    sent_at: float = 0.0

    def json(self) -> Any:
        """The body decoded as JSON (Bolt answers view_submission errors this way)."""
        return json.loads(self.body)


class Recordings:
    """What the app did, as FakeSlack shows it: snapshots, and waits that return once it did."""

    _state: SlackState
    _cond: threading.Condition

    # --- what the app did --------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API call so far, in arrival order."""
        with self._cond:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls to one Web API method, in arrival order."""
        with self._cond:
            return [c for c in self._state.calls if c.method == method]

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
    ) -> ApiCall:
        """The first call to method matching predicate, waiting for it if needed."""

        def match(call: ApiCall) -> bool:
            return call.method == method and (predicate is None or predicate(call))

        with self._cond:
            found = self._wait_first(lambda: self._state.calls, match, timeout)
            if found is None:
                seen = [f"{c.method} ({c.error or 'ok'})" for c in self._state.calls[-_SHOWN:]]
                matching = " matching the predicate" if predicate else ""
                raise AssertionError(
                    f"FakeSlack: no {method} call{matching} within {timeout}s; received: {seen}"
                )
            return found

    @property
    def response_posts(self) -> list[ResponsePost]:
        """Every POST to a response_url so far, in arrival order."""
        with self._cond:
            return list(self._state.posts)

    def wait_for_response_post(
        self,
        url: str | None = None,
        predicate: Callable[[ResponsePost], bool] | None = None,
        timeout: float = 5.0,
    ) -> ResponsePost:
        """The first response_url post (to url, matching predicate), waiting for it if needed."""
        path = urlsplit(url).path if url else None

        def match(post: ResponsePost) -> bool:
            return (path is None or urlsplit(post.url).path == path) and (
                predicate is None or predicate(post)
            )

        with self._cond:
            found = self._wait_first(lambda: self._state.posts, match, timeout)
            if found is None:
                seen = [f"{p.url} ({p.status})" for p in self._state.posts[-_SHOWN:]]
                raise AssertionError(
                    f"FakeSlack: no response_url post to {url or 'any url'} within {timeout}s; "
                    f"received: {seen}"
                )
            return found

    def wait_for_message(
        self,
        user_id: str,
        timeout: float = 5.0,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The first message that reached user_id by response_url, ephemeral or DM."""

        def match(entry: tuple[str, dict[str, Any]]) -> bool:
            return entry[0] == user_id and (predicate is None or predicate(entry[1]))

        with self._cond:
            found = self._wait_first(lambda: self._state.messages, match, timeout)
            if found is None:
                messages = self._state.messages
                seen = [(m["route"], m["channel"]) for uid, m in messages if uid == user_id]
                raise AssertionError(
                    f"FakeSlack: no message for {user_id} within {timeout}s; "
                    f"their messages so far (route, channel): {seen[-_SHOWN:]}"
                )
            return copy.deepcopy(found[1])

    def _wait_first(
        self, items: Callable[[], list[_T]], match: Callable[[_T], bool], timeout: float
    ) -> _T | None:
        """The first item matching, waiting up to timeout; call with self._cond held."""
        # Each notify wakes every waiter: scan only what arrived since this waiter last looked,
        # or a benchmark with many waiters goes quadratic.
        seen: list[_T] | None = None
        cursor = 0

        def find() -> _T | None:
            nonlocal seen, cursor
            current = items()
            if current is not seen:  # reset() swapped the list: start over
                seen, cursor = current, 0
            while cursor < len(current):
                item = current[cursor]
                cursor += 1
                if match(item):
                    return item
            return None

        return self._cond.wait_for(find, timeout)

    def messages_for(self, user_id: str) -> list[dict[str, Any]]:
        """Every message that reached user_id privately, in arrival order."""
        with self._cond:
            return [copy.deepcopy(m) for uid, m in self._state.messages if uid == user_id]

    def shown_to(self, user_id: str) -> list[dict[str, Any]]:
        """The private messages user_id sees now, oldest first, each as it looks now.

        Unlike messages_for (every post), a message replaced through its response_url
        (replace_original) or edited with chat.update is one message, at its place, with its
        "ts" and how many "edits" changed it since; deleted ones are gone.
        """
        with self._cond:
            return self._state.screens.of(user_id)

    def wait_for_shown(
        self,
        user_id: str,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The first message user_id sees now that matches predicate, waiting for one."""

        def find() -> dict[str, Any] | None:
            return next((m for m in self._state.screens.of(user_id) if predicate(m)), None)

        with self._cond:
            found = self._cond.wait_for(find, timeout)
            if found is None:
                seen = [(m["route"], m["text"]) for m in self._state.screens.of(user_id)]
                raise AssertionError(
                    f"FakeSlack: {user_id} saw no matching message within {timeout}s; "
                    f"they see (route, text): {seen[-_SHOWN:]}"
                )
            return found
