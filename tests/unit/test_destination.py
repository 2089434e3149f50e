"""Destination: where a private answer may go, carried in a modal's private_metadata.

Delivering along those routes, against the fake Slack, is tests/integration/test_delivery.py.
"""

from __future__ import annotations

from bot.slack.io.delivery import Destination


def test_metadata_round_trips_for_its_own_user_only() -> None:
    destination = Destination("U1", "C1", "https://hooks.slack.com/commands/T/1/x")
    assert Destination.from_metadata("U1", destination.to_metadata()) == destination
    # Another user's routes are dropped: only their own DM remains.
    assert Destination.from_metadata("U2", destination.to_metadata()) == Destination("U2")
