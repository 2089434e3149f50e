"""Views as Slack keeps them: the ids and defaults it adds, the stack, and a submission's state."""

from __future__ import annotations

import copy
import json
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.fake_slack.state import Workspace

_ALNUM = string.ascii_uppercase + string.digits
# Stands for "the test gave no value for this input": the element's initial value is submitted.
_MISSING: Any = object()

# The view fields a view_submission payload carries, in Slack's order.
SUBMISSION_VIEW_KEYS = (
    "id",
    "team_id",
    "type",
    "blocks",
    "private_metadata",
    "callback_id",
    "hash",
    "title",
    "clear_on_close",
    "notify_on_close",
    "close",
    "submit",
    "previous_view_id",
    "root_view_id",
    "app_id",
    "external_id",
    "app_installed_team_id",
    "bot_id",
)

# Element types whose state is {"value": str | None}.
_VALUE_ELEMENTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}
)
# Element types whose state is a list of full option objects.
_MULTI_OPTION_ELEMENTS = frozenset({"checkboxes", "multi_static_select"})
# Element types whose state is a single option object.
_SINGLE_OPTION_ELEMENTS = frozenset({"static_select", "radio_buttons"})
# Other elements: (state key, initial key), passed through as given.
_OTHER_ELEMENTS = {
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}


def random_id(prefix: str, length: int = 10) -> str:
    """An id shaped like Slack's (upper-case letters and digits)."""
    # One call for every character: a PIN form has a dozen blocks to name at each views.open.
    return prefix + "".join(_ALNUM[byte % len(_ALNUM)] for byte in secrets.token_bytes(length))


def canonical(value: Any) -> str:
    """One JSON text per equal value, to find the view a test hands back."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def fill_ids(blocks: list[Any]) -> None:
    """Give blocks and elements the random ids Slack adds when the app leaves them out."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", random_id("", 5))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("element", "accessory"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in (None, "image"):
                element.setdefault("action_id", random_id("", 5))


# --- view_submission state ----------------------------------------------------------------------


def _find_option(element: Mapping[str, Any], value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    # Not among the element's options: forge one, as a tampered request would.
    return {"text": {"type": "plain_text", "text": str(value)}, "value": value}


def _element_state(element: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """One element's entry in state.values; value is _MISSING when the test gave none."""
    kind = element.get("type", "")
    state: dict[str, Any] = {"type": kind}
    if kind in _VALUE_ELEMENTS:
        given = element.get("initial_value") if value is _MISSING else value
        # Slack sends null for an input left empty, never "".
        state["value"] = None if given == "" else given
    elif kind in _MULTI_OPTION_ELEMENTS:
        if value is _MISSING:
            state["selected_options"] = copy.deepcopy(element.get("initial_options") or [])
        else:
            state["selected_options"] = [_find_option(element, v) for v in value]
    elif kind in _SINGLE_OPTION_ELEMENTS:
        if value is _MISSING:
            state["selected_option"] = copy.deepcopy(element.get("initial_option"))
        else:
            state["selected_option"] = _find_option(element, value)
    elif kind in _OTHER_ELEMENTS:
        state_key, initial_key = _OTHER_ELEMENTS[kind]
        state[state_key] = element.get(initial_key) if value is _MISSING else value
    else:
        state["value"] = None if value is _MISSING else value
    return state


def state_values(blocks: list[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The view's state.values when a user submits these values (by block_id); others initial."""
    inputs = {
        b["block_id"]: b
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "input" and "block_id" in b
    }
    unknown = sorted(set(values) - set(inputs))
    if unknown:
        raise KeyError(f"block_id(s) {unknown} are not input blocks of the view: {sorted(inputs)}")
    result: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block.get("element") or {}
        action_id = element.get("action_id") or random_id("", 5)
        result[block_id] = {action_id: _element_state(element, values.get(block_id, _MISSING))}
    return result


# --- the views Slack holds ----------------------------------------------------------------------


@dataclass
class StoredView:
    """A view as Slack holds it, and the app's own dict of it."""

    view: dict[str, Any]
    # Canonical JSON of the view as the app sent it, so tests can hand back the app's own dict.
    original: str
    # The workspace the view was opened in: only its tokens may update it.
    team_id: str


class ViewRegistry:
    """The views the app opened, pushed or updated, by id; callers hold the fake's lock."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._views: dict[str, StoredView] = {}

    def get(self, view_id: str) -> StoredView | None:
        """The view with this id, if the app made it."""
        return self._views.get(view_id)

    def by_external_id(self, external_id: Any, team_id: str | None = None) -> StoredView | None:
        """The view the app gave this external_id (in team_id: Slack scopes them by workspace)."""
        if not external_id:
            return None
        for stored in self._views.values():
            if team_id is not None and stored.team_id != team_id:
                continue
            if stored.view.get("external_id") == external_id:
                return stored
        return None

    def store(
        self,
        view: dict[str, Any],
        *,
        view_id: str | None = None,
        previous_view_id: str | None = None,
        root_view_id: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Keep the view the app sent in team_id, completed as Slack does; returns a copy."""
        team = team_id or self.workspace.team_id
        # The view came as JSON: its canonical text, parsed again, is the copy to complete
        # (copy.deepcopy of a PIN form took the stand-in more time than the app's handler).
        text = canonical(view)
        full = self._completed(json.loads(text), view_id=view_id, team_id=team)
        full["previous_view_id"] = previous_view_id
        full["root_view_id"] = root_view_id or full["id"]
        self._views[full["id"]] = StoredView(full, text, team)
        answer: dict[str, Any] = json.loads(json.dumps(full))
        return answer

    def complete(
        self, view: dict[str, Any], *, view_id: str | None = None, team_id: str | None = None
    ) -> dict[str, Any]:
        """The view with everything Slack adds: ids, hash, state and the defaults."""
        return self._completed(copy.deepcopy(view), view_id=view_id, team_id=team_id)

    def _completed(
        self, full: dict[str, Any], *, view_id: str | None, team_id: str | None
    ) -> dict[str, Any]:
        """full (a copy the caller made) with what Slack adds, in place."""
        team = team_id or self.workspace.team_id
        fill_ids(full.setdefault("blocks", []))
        for key, default in (
            ("private_metadata", ""),
            ("callback_id", ""),
            ("external_id", ""),
            ("clear_on_close", False),
            ("notify_on_close", False),
            ("close", None),
            ("submit", None),
            ("previous_view_id", None),
        ):
            full.setdefault(key, default)
        full["id"] = view_id or full.get("id") or random_id("V")
        full["root_view_id"] = full.get("root_view_id") or full["id"]
        full.update(
            team_id=team,
            state={"values": {}},
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            app_id=self.workspace.api_app_id,
            app_installed_team_id=team,
            bot_id=self.workspace.bot_id,
        )
        return full

    def resolve(self, view: dict[str, Any], team_id: str | None = None) -> dict[str, Any]:
        """The full view a test means: as returned by the fake, or the app's dict we stored.

        A view the fake never saw is completed as if opened in team_id.
        """
        if view.get("id") and view.get("hash"):
            full = copy.deepcopy(view)
            fill_ids(full.get("blocks") or [])
            return full
        stored = self._views.get(str(view.get("id") or ""))
        if stored is None:
            wanted = canonical(view)
            matches = [s for s in self._views.values() if s.original == wanted]
            stored = matches[-1] if matches else None
        if stored is not None:
            return copy.deepcopy(stored.view)
        return self.complete(view, team_id=team_id)
