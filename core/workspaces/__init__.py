"""Workspaces: the tenancy boundary. Every resource belongs to exactly one workspace."""
