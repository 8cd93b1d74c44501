-- Topic subscription filters on the local bus (core/events/subscriptions.py): a receiver with
-- subject_like set gets a delivery row only for messages whose subject matches one of the patterns, as
-- a Service Bus subscription's SQL filter on sys.Label does; NULL is the match-all default rule.
-- depends: 0007.local_bus

ALTER TABLE local_bus_receivers ADD COLUMN subject_like text[];
