"""devhost's implementation of the Durable Functions extension: instances, history and pending work
in PostgreSQL, orchestrators driven through the SDK's own replay protocol, activities on a pool,
and the extension's management HTTP API for the real ``DurableOrchestrationClient``."""
