"""Persistence: SQLAlchemy models, sessions, query functions, migrations and the outbox."""
