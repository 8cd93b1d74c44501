"""Durable orchestrators: deterministic generators, no I/O, no clock but context.current_utc_datetime."""
