"""A fake Slack on loopback: the Web API and response_urls, OAuth installs in several workspaces,
and the platform calling the app."""

from devtools.fake_slack.blocks import (
    MessageProblem,
    home_view_errors,
    message_problem,
    view_errors,
)
from devtools.fake_slack.fake import FakeSlack
from devtools.fake_slack.installs import (
    CODE_TTL,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    TOKEN_LIFETIME,
    InstallRecord,
)
from devtools.fake_slack.oauth import AuthorizeRequest
from devtools.fake_slack.records import ApiCall, AppResponse, ResponsePost
from devtools.fake_slack.signing import SLACKBOT_USER_AGENT, signed_headers
from devtools.fake_slack.state import (
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    RESPONSE_URL_MAX_POSTS,
    RESPONSE_URL_TTL,
)
from devtools.fake_slack.workspaces import Team

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "CODE_TTL",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SIGNING_SECRET",
    "RESPONSE_URL_MAX_POSTS",
    "RESPONSE_URL_TTL",
    "SLACKBOT_USER_AGENT",
    "TOKEN_LIFETIME",
    "ApiCall",
    "AppResponse",
    "AuthorizeRequest",
    "FakeSlack",
    "InstallRecord",
    "MessageProblem",
    "ResponsePost",
    "Team",
    "home_view_errors",
    "message_problem",
    "signed_headers",
    "view_errors",
]
