"""The pages of an install: 'Add to Slack', installed, and why an install did not happen."""

from __future__ import annotations

from collections.abc import Sequence

from bot.page.render import Pages
from bot.texts import install as words

# lenspin's own reason: a request its edge refused before Bolt saw it (bot.web).
BAD_REQUEST = "bad_request"
# Bolt's and Slack's reasons for an install that did not happen, in plain words; any other
# reason Slack gives (or a visitor forges) gets the general one, never its own text.
_FAILURES = {
    "access_denied": words.DENIED,
    "invalid_state": words.STATE_EXPIRED,
    "invalid_browser": words.OTHER_BROWSER,
    "missing_code": words.CODE_REFUSED,
    "invalid_code": words.CODE_REFUSED,
    "storage_error": words.DATABASE,
    BAD_REQUEST: words.BAD_REQUEST,
}
# A reload of the installed page lands here too (Bolt drops the state cookie on success):
# these pages must not claim that nothing was installed.
_LINK_SPENT = frozenset({"invalid_state", "invalid_browser"})


class InstallPages:
    """The HTML of each install page, and the headers each carries (bot.slack.oauth's screens)."""

    def __init__(self, *, install_path: str) -> None:
        self._pages = Pages()
        self._render = self._pages.render
        # Where "Start again" leads: the 'Add to Slack' page, with a new state.
        self._install_path = install_path

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """The Content-Security-Policy and the other headers of every lenspin page."""
        return self._pages.headers

    def add_to_slack(self, authorize_url: str) -> str:
        """The page with the 'Add to Slack' button, a plain link to Slack's authorize step."""
        content = self._render.fragment(
            "install",
            heading=words.HEADING,
            intro=words.INTRO,
            url=authorize_url,
            button=words.BUTTON,
            note=words.NOTE,
        )
        return self._render.page(words.TITLE, content).decode("utf-8")

    def installed(self, name: str) -> str:
        """lenspin is installed in the workspace (or org) called name."""
        content = self._render.fragment(
            "message", title=words.INSTALLED_TITLE, text=words.INSTALLED.format(name=name)
        )
        return self._render.page(words.INSTALLED_TITLE, content).decode("utf-8")

    def failed(self, reason: str) -> str:
        """The install did not happen: why, in plain words, and the way to start again."""
        title = words.LINK_SPENT_TITLE if reason in _LINK_SPENT else words.FAILED_TITLE
        content = self._render.fragment(
            "install_failed",
            title=title,
            text=_FAILURES.get(reason, words.SLACK_REFUSED),
            again=self._install_path,
            again_text=words.START_AGAIN,
        )
        return self._render.page(title, content).decode("utf-8")
