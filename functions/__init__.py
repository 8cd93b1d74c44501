"""Azure Functions triggers, one module per domain group. Handlers only translate; core does the work."""
