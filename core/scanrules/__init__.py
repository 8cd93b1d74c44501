"""Scan rule sets: versioned, per-workspace classification rule documents (persistence + services)."""
