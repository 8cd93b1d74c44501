"""devhost's non-HTTP triggers: Service Bus (local bus), blobs (Azurite or any Blob endpoint), timers."""
