"""devhost: runs the function app without Azure (HTTP today; durable, blob, Service Bus and timer
triggers with their issue). A development and test host, faithful to the Functions contract."""
