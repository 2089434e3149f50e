"""Slack I/O: the calls to Slack's Web API and response_urls, each with its deadline."""

from slack_sdk.errors import SlackClientError

# What a Slack call can raise: SlackApiError is a SlackClientError, and sockets raise OSError.
SLACK_FAILURES = (SlackClientError, OSError)
