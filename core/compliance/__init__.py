"""Compliance: framework packs, declarative policies over catalog facts, violations, risk, reports."""
