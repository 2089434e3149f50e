"""Stand-ins for Slack and Rescue on loopback, used by the demo and the tests."""
