"""Pure Block Kit builders: settings and values in, views and messages out; no client, no store."""
