"""The Admin section of a workspace admin's Home tab, its settings modal, and its inline errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import texts
from bot.accounts import CODE_MAX_LENGTH, PASSWORD_MAX_LENGTH
from bot.domain import Policy, PolicyChange
from bot.fields import FieldSpec
from bot.slack import ids
from bot.slack.blocks.modals import input_block
from bot.slack.blocks.mrkdwn import (
    Block,
    actions,
    button,
    context,
    escape,
    packed,
    plain,
    section,
    slack_date,
)
from bot.texts import admin as words
from bot.workspaces import COMPANY_MAX_LENGTH, Problem, label_setting

# The most people of the allowlist the section names; the rest are counted. A mention is
# about 14 characters: far inside a section's 3,000.
USERS_SHOWN = 30


def admin_section(
    policy: Policy, changes: Sequence[PolicyChange], *, fields: Sequence[FieldSpec]
) -> list[Block]:
    """The workspace's settings in words (never a secret: only "set"), its latest changes,
    and the button that opens the settings modal. fields: the deployment's PIN fields."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(words.HEADING)},
        context(words.INTRO),
    ]
    lines = _settings_lines(policy, fields)
    blocks += [section(text) for text in packed(lines[0], lines[1:])]
    blocks.append(actions(button(ids.ADMIN_OPEN_ACTION, words.CHANGE_BUTTON)))
    if changes:
        found = [_change_line(change) for change in changes]
        blocks += [section(text) for text in packed(words.CHANGES_HEADING, found)]
    else:
        blocks.append(section(words.CHANGES_NONE))
    return blocks


def _settings_lines(policy: Policy, fields: Sequence[FieldSpec]) -> list[str]:
    lines = [_users_line(policy.allowed_users)]
    lines.append(words.CODE_SET if policy.shared_code else words.CODE_NOT_SET)
    if policy.sso_company_id:
        password = words.SECRET_SET if policy.sso_password else words.SECRET_NOT_SET
        lines.append(words.SSO_ON.format(company=escape(policy.sso_company_id), password=password))
    else:
        lines.append(words.SSO_OFF)
    own = [
        words.LABEL_LINE.format(default=escape(f.label), label=escape(policy.labels[f.key]))
        for f in fields
        if policy.labels.get(f.key)
    ]
    lines += [words.LABELS_OWN, *own] if own else [words.LABELS_DEFAULT]
    lines.append(words.LANGUAGE.format(language=_language(policy.customer_language)))
    lines.append(words.AUDIT_DAYS.format(days=policy.audit_days))
    return lines


def _users_line(allowed: frozenset[str]) -> str:
    if "*" in allowed:
        return words.USERS_EVERYONE
    if not allowed:
        return words.USERS_NOBODY
    ordered = sorted(allowed)
    people = ", ".join(f"<@{escape(u)}>" for u in ordered[:USERS_SHOWN])
    if len(ordered) > USERS_SHOWN:
        people = words.USERS_MORE.format(people=people, count=len(ordered) - USERS_SHOWN)
    return words.USERS_SOME.format(people=people)


def _change_line(change: PolicyChange) -> str:
    what = ", ".join(_changed(name, change.values.get(name)) for name in change.changed)
    return words.CHANGE_LINE.format(
        when=slack_date(change.changed_at, "{date_short_pretty} {time}"),
        user=escape(change.changed_by.user_id),
        what=what or words.NOTHING,
    )


def _changed(name: str, value: str | None) -> str:
    """One changed setting in words, with its new value where it is short and no secret."""
    word = words.SETTING_NAMES.get(name, escape(name))
    if value is None or name == "labels":
        return word
    if name == "allowed_users":
        people = [u for u in value.split(",") if u]
        value = words.EVERYONE if "*" in people else words.PEOPLE.format(count=len(people))
    elif name == "customer_language":
        value = _language(value)
    elif not value:
        return word
    # A company id or a number of days, from the change log: cut, in case it is not.
    return words.SETTING_VALUE.format(name=word, value=escape(value[:COMPANY_MAX_LENGTH]))


def _language(code: str) -> str:
    return texts.SMS_LANGUAGE_NAMES.get(code, code)


def admin_modal(
    policy: Policy, *, fields: Sequence[FieldSpec], max_audit_days: int, label_limit: int
) -> dict[str, Any]:
    """The settings modal: secrets never shown (empty keeps them), every other value prefilled.

    fields: the PIN fields the form shows, with the deployment's labels.
    """
    blocks: list[Block] = [context(words.MODAL_INTRO), *_users_inputs(policy.allowed_users)]
    code_hint = words.CODE_HINT_SET if policy.shared_code else words.CODE_HINT_NOT_SET
    blocks.append(_text(ids.ADMIN_CODE_BLOCK, words.CODE_LABEL, CODE_MAX_LENGTH, hint=code_hint))
    if policy.shared_code:
        option = {"text": plain(words.CODE_FORGET_OPTION), "value": ids.ADMIN_CODE_FORGET_OPTION}
        blocks.append(
            input_block(
                ids.ADMIN_CODE_FORGET_BLOCK,
                words.CODE_FORGET_LABEL,
                {"type": "checkboxes", "options": [option]},
            )
        )
    blocks.append(
        _text(
            ids.ADMIN_SSO_COMPANY_BLOCK,
            words.SSO_COMPANY_LABEL,
            COMPANY_MAX_LENGTH,
            value=policy.sso_company_id,
            hint=words.SSO_COMPANY_HINT,
        )
    )
    password_hint = (
        words.SSO_PASSWORD_HINT_SET if policy.sso_password else words.SSO_PASSWORD_HINT_NOT_SET
    )
    blocks.append(
        _text(
            ids.ADMIN_SSO_PASSWORD_BLOCK,
            words.SSO_PASSWORD_LABEL,
            PASSWORD_MAX_LENGTH,
            hint=password_hint,
        )
    )
    blocks += [
        _text(
            ids.admin_label_block(f.key),
            words.FIELD_LABEL.format(default=f.label),
            label_limit,
            value=policy.labels.get(f.key) or f.label,
            hint=words.FIELD_HINT.format(default=f.label),
        )
        for f in fields
    ]
    blocks.append(_language_input(policy.customer_language))
    blocks.append(_days_input(policy.audit_days, max_audit_days))
    return {
        "type": "modal",
        "callback_id": ids.ADMIN_MODAL,
        "title": plain(words.TITLE),
        "submit": plain(words.SUBMIT),
        "close": plain(texts.MODAL_CLOSE),
        "blocks": blocks,
    }


def _users_inputs(allowed: frozenset[str]) -> list[Block]:
    options = {
        ids.ADMIN_USERS_EVERYONE: {
            "text": plain(words.USERS_EVERYONE_OPTION),
            "value": ids.ADMIN_USERS_EVERYONE,
        },
        ids.ADMIN_USERS_CHOSEN: {
            "text": plain(words.USERS_CHOSEN_OPTION),
            "value": ids.ADMIN_USERS_CHOSEN,
        },
    }
    everyone = "*" in allowed
    mode = input_block(
        ids.ADMIN_USERS_MODE_BLOCK,
        words.USERS_MODE_LABEL,
        {
            "type": "radio_buttons",
            "options": list(options.values()),
            "initial_option": options[
                ids.ADMIN_USERS_EVERYONE if everyone else ids.ADMIN_USERS_CHOSEN
            ],
        },
        optional=False,
    )
    people: dict[str, Any] = {"type": "multi_users_select"}
    chosen = sorted(u for u in allowed if u != "*")
    if chosen:
        people["initial_users"] = chosen
    return [
        mode,
        input_block(ids.ADMIN_USERS_BLOCK, words.USERS_LABEL, people, hint=words.USERS_HINT),
    ]


def _language_input(language: str) -> Block:
    options = [{"text": plain(_language(code)), "value": code} for code in texts.CUSTOMER_LANGUAGES]
    chosen = next((o for o in options if o["value"] == language), options[0])
    element = {"type": "static_select", "options": options, "initial_option": chosen}
    return input_block(ids.ADMIN_LANGUAGE_BLOCK, words.LANGUAGE_LABEL, element, optional=False)


def _days_input(days: int, most: int) -> Block:
    element = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(most),
        # A retention saved before LENSPIN_AUDIT_DAYS was lowered shows as the new longest.
        "initial_value": str(min(max(days, 1), most)),
    }
    hint = words.AUDIT_DAYS_HINT.format(most=most)
    return input_block(
        ids.ADMIN_AUDIT_DAYS_BLOCK, words.AUDIT_DAYS_LABEL, element, optional=False, hint=hint
    )


def _text(block_id: str, label: str, limit: int, *, value: str = "", hint: str = "") -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": limit}
    if value:
        element["initial_value"] = value[:limit]
    return input_block(block_id, label, element, hint=hint)


# Where each setting's problem shows in the modal.
_BLOCKS = {
    "allowed_users": ids.ADMIN_USERS_BLOCK,
    "shared_code": ids.ADMIN_CODE_BLOCK,
    "sso_company_id": ids.ADMIN_SSO_COMPANY_BLOCK,
    "sso_password": ids.ADMIN_SSO_PASSWORD_BLOCK,
    "customer_language": ids.ADMIN_LANGUAGE_BLOCK,
    "audit_days": ids.ADMIN_AUDIT_DAYS_BLOCK,
}


def admin_errors(
    problems: Mapping[str, Problem],
    *,
    fields: Sequence[FieldSpec],
    max_audit_days: int,
    label_limit: int,
) -> dict[str, str]:
    """Inline errors for the settings modal, keyed by block_id (response_action "errors")."""
    where = dict(_BLOCKS)
    where.update({label_setting(f.key): ids.admin_label_block(f.key) for f in fields})
    said = {
        Problem.NOT_USER_IDS: words.NOT_USER_IDS,
        Problem.CODE_UNUSABLE: words.CODE_UNUSABLE,
        Problem.COMPANY_NOT_NUMBER: words.COMPANY_NOT_NUMBER.format(most=COMPANY_MAX_LENGTH),
        Problem.SSO_NEEDS_PASSWORD: words.SSO_NEEDS_PASSWORD,
        Problem.PASSWORD_UNUSABLE: words.CODE_UNUSABLE,
        Problem.LABEL_EMPTY: words.LABEL_EMPTY,
        Problem.LABEL_TOO_LONG: words.LABEL_TOO_LONG.format(limit=label_limit),
        Problem.UNKNOWN_FIELD: words.UNUSABLE,
        Problem.UNKNOWN_LANGUAGE: words.UNKNOWN_LANGUAGE,
        Problem.AUDIT_DAYS: words.AUDIT_DAYS_RANGE.format(most=max_audit_days),
    }
    errors: dict[str, str] = {}
    for setting, problem in problems.items():
        # A setting the form has no input for (never one it sent) shows on the first input.
        block_id = where.get(setting, ids.ADMIN_USERS_MODE_BLOCK)
        errors.setdefault(block_id, said[problem])
    return errors
