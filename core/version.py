"""The product version, reported by the health endpoint and the OpenAPI document."""

__version__ = "0.1.0"
