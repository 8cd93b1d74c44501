"""Data sources: registration with typed connection settings, credentials in the secret store,
connection tests and the lifecycle state machine (``core.datasources.service``)."""
