"""Durable activities: thin, idempotent calls into core services."""
