"""Scans: a data source scanned as a Durable saga (discover → fan-out sample/profile/classify →
fan-in → catalog → events), with progress, pause/resume/cancel, history and diffs."""
