"""The events topic's subscriptions and the event types each admits: one definition for Azure and the
local bus.

In Azure each subscription's ``$Default`` rule is a SQL filter on the message subject (``sys.Label``,
the CloudEvents type: core/events/relay.py); ``sql_filter`` renders it, and main.bicep's
``eventSubscriptions`` default carries exactly that text (tests/infra/test_event_subscriptions.py).
Locally devhost applies the same prefixes when it writes delivery rows (``like_patterns``), so a
consumer sees only what it would see in Azure. A subscription not listed here keeps the match-all
default rule.
"""

from __future__ import annotations

from core.events.relay import EVENTS_TOPIC

#: Subscription name -> the event-type prefixes its rule admits.
EVENT_SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # compliance_event_received (core/compliance/monitoring.py): scan ends, classifications, grant changes.
    "compliance": ("datawave.scan.", "datawave.classification.", "datawave.authz."),
}


def sql_filter(subscription: str) -> str:
    """The Service Bus SQL filter of ``subscription``'s rule."""
    return " OR ".join(f"sys.Label LIKE '{prefix}%'" for prefix in EVENT_SUBSCRIPTIONS[subscription])


def like_patterns(topic: str = EVENTS_TOPIC) -> dict[str, list[str]]:
    """{local receiver name: SQL LIKE patterns its messages' subjects must match} for ``topic``."""
    return {
        f"{topic}/subscriptions/{name}": [prefix + "%" for prefix in prefixes]
        for name, prefixes in EVENT_SUBSCRIPTIONS.items()
    }
