"""The Slack layer: Bolt listeners, Block Kit builders and Slack I/O; knows nothing of zeep.

listeners/ answer Slack (listeners/__init__.py is the routing table), blocks/ build views and
messages without side effects, io/ talks to Slack; deps.py is what create_app hands in.
"""
