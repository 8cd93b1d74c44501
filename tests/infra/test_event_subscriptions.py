"""The Service Bus topic subscriptions in Bicep are exactly the app's topic triggers, and each one's
SQL filter admits the event types its consumer acts on.

Messages carry the CloudEvents type as their subject (``sys.Label``, core/events/relay.py). The filters
are defined once, in core/events/subscriptions.py: Bicep carries the SQL it renders and devhost applies
the same prefixes locally, so a filter that drops what a consumer needs fails here and in every local
run; a subscription nobody consumes would keep every event for its TTL and then dead-letter it,
filling the topic's quota.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from core.compliance.monitoring import SCAN_ENDED
from core.events.subscriptions import EVENT_SUBSCRIPTIONS, sql_filter
from devhost.app_loader import load_app

# Event types each consumer acts on (its module docstring has the table), by subscription name.
CONSUMED = {
    "compliance": [
        *SCAN_ENDED,
        "datawave.classification.suggested",
        "datawave.authz.assignment.created",
        "datawave.authz.role.updated",
        "datawave.authz.app_role.mapped",
    ],
}
TERM = re.compile(r"sys\.Label LIKE '([a-z_.]+)%'")


def admits(expression: str, event_type: str) -> bool:
    """Evaluate a filter made of ``sys.Label LIKE 'prefix%'`` terms joined by OR."""
    terms = re.split(r"\s+OR\s+", expression.replace("\\'", "'"))
    prefixes = []
    for term in terms:
        match = TERM.fullmatch(term.strip())
        assert match, f"unsupported filter term {term!r}"
        prefixes.append(match.group(1))
    return any(event_type.startswith(prefix) for prefix in prefixes)


@pytest.fixture(scope="module")
def topic_triggers(repo_root: Path) -> dict[str, str]:
    """{subscription name: topic name} of the app's Service Bus topic triggers."""
    found = {}
    for function in load_app(repo_root).functions:
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "serviceBusTrigger" and getattr(trigger, "topic_name", None):
            found[trigger.subscription_name] = trigger.topic_name
    return found


@pytest.fixture(scope="module")
def subscriptions(templates) -> dict[str, str]:
    """{name: sqlExpression} of main.bicep's eventSubscriptions default."""
    entries: list[dict[str, Any]] = templates.tree("main.bicep")["parameters"]["eventSubscriptions"]["default"]
    return {entry["name"]: entry["sqlExpression"] for entry in entries}


def test_the_filter_evaluator_reads_prefix_terms() -> None:
    expression = "sys.Label LIKE \\'datawave.scan.%\\' OR sys.Label LIKE \\'datawave.authz.%\\'"
    assert admits(expression, "datawave.scan.completed")
    assert admits(expression, "datawave.authz.role.created")
    assert not admits(expression, "datawave.catalog.asset.created")


def test_every_topic_trigger_has_a_subscription_and_every_subscription_a_consumer(
    topic_triggers, subscriptions, templates
) -> None:
    topic = templates.tree("modules/servicebus.bicep")["parameters"]["eventsTopicName"]["default"]
    assert topic_triggers, "the app consumes the events topic somewhere"
    assert set(topic_triggers.values()) == {topic}
    assert set(subscriptions) == set(topic_triggers), (
        f"no subscription for {sorted(set(topic_triggers) - set(subscriptions))}; "
        f"no consumer for {sorted(set(subscriptions) - set(topic_triggers))}"
    )


def test_each_subscription_admits_what_its_consumer_acts_on(subscriptions) -> None:
    assert set(CONSUMED) == set(subscriptions), "list the event types of every consumer above"
    for name, event_types in CONSUMED.items():
        dropped = [t for t in event_types if not admits(subscriptions[name], t)]
        assert not dropped, f"subscription {name} drops {dropped}"


def test_bicep_carries_the_filters_the_app_defines(subscriptions) -> None:
    assert set(subscriptions) == set(EVENT_SUBSCRIPTIONS)
    for name, expression in subscriptions.items():
        assert expression.replace("\\'", "'") == sql_filter(name)
