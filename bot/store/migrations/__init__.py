"""Alembic migrations for lenspin's tables; run them with `python -m bot migrate`."""
