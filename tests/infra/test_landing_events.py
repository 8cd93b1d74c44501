"""The landing container's blob trigger in Azure: Event Grid delivers the data lake's BlobCreated events
of the trigger's container to the Functions blobs extension webhook of the trigger's function.

Flex Consumption (the default plan) runs blob triggers only with ``source=EventGrid``; the default
polling source never fires there, and devhost (which lists containers locally) would not show it. So the
app's blob triggers, the system topic and the post-publish event subscription are kept in step here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from devhost.app_loader import load_app

SUBSCRIPTION_MODULE = "modules/landing-subscription.bicep"
FLAG = "subscribeLandingEvents"
FLAG_FROM_ENVIRONMENT = "bool(readEnvironmentVariable('DW_SUBSCRIBE_LANDING_EVENTS', 'false'))"
# a DFS CreateFile raises BlobCreated for an empty file before the content is flushed
COMPLETE_WRITES = {"PutBlob", "PutBlockList", "CopyBlob", "FlushWithClose"}


@pytest.fixture(scope="module")
def blob_triggers(repo_root: Path) -> dict[str, dict[str, Any]]:
    """{function name: {container, path, source, connection}} of the app's blob triggers."""
    found = {}
    for function in load_app(repo_root).functions:
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "blobTrigger":
            found[function.get_function_name()] = {
                "container": trigger.path.split("/", 1)[0],
                "path": trigger.path,
                "source": trigger.source,
                "connection": trigger.connection,
            }
    return found


def accessor(templates, node: Any) -> list[str]:
    """``dataLake.outputs.name`` → ["dataLake", "outputs", "name"]."""
    return [s for s in templates.strings(node) if s != "property_accessor"]


def variable(templates, name: str) -> Any:
    return templates.tree("main.bicep")["variables"][name]["value"]


def test_every_blob_trigger_uses_the_event_grid_source(blob_triggers) -> None:
    assert blob_triggers, "the app has the landing container's blob trigger"
    for name, trigger in blob_triggers.items():
        assert trigger["source"] == "EventGrid", f"{name}: Flex Consumption runs blob triggers only from Event Grid"


def test_main_subscribes_each_blob_trigger_of_the_app(templates, blob_triggers) -> None:
    main = templates.tree("main.bicep")
    subscriptions = [m for m in main["modules"].values() if m["detail"]["path"] == SUBSCRIPTION_MODULE]
    assert len(subscriptions) == len(blob_triggers) == 1
    params = templates.module_config(subscriptions[0])["params"]
    function_name = variable(templates, params["functionName"])
    container = variable(templates, params["containerName"])
    assert blob_triggers == {
        function_name: {
            "container": container,
            "path": f"{container}/{{name}}",
            "source": "EventGrid",
            "connection": "LandingStorage",
        }
    }
    assert accessor(templates, params["functionAppName"]) == ["functionApp", "outputs", "name"]
    assert accessor(templates, params["systemTopicName"]) == ["dataLakeEvents", "outputs", "name"]


def test_the_topic_publishes_the_account_the_trigger_connection_reads(templates) -> None:
    modules = templates.tree("main.bicep")["modules"]
    container = templates.tree("main.bicep")["modules"]["landingSubscription"]
    container = templates.module_config(container)["params"]["containerName"]
    assert container in templates.module_config(modules["dataLake"])["params"]["containers"]
    topic = modules["dataLakeEvents"]
    assert topic["detail"]["path"] == "modules/storage-events.bicep"
    assert templates.module_condition(topic) is None, "the topic is part of the first deployment"
    account = ["dataLake", "outputs", "name"]
    assert accessor(templates, templates.module_config(topic)["params"]["storageAccountName"]) == account
    # LandingStorage__blobServiceUri (modules/functionapp.bicep) is built from dataLakeAccountName
    assert accessor(templates, templates.module_config(modules["functionApp"])["params"]["dataLakeAccountName"]) == (
        account
    )


def test_system_topic_is_the_storage_accounts(templates) -> None:
    topic = templates.one("Microsoft.EventGrid/systemTopics")
    assert topic.file == "modules/storage-events.bicep"
    assert topic.properties["topicType"] == "Microsoft.Storage.StorageAccounts"
    assert accessor(templates, topic.properties["source"]) == ["account", "id"]
    account = templates.tree(topic.file)["resources"]["account"]
    assert account["existing"] and account["type"] == "Microsoft.Storage/storageAccounts"
    assert account["config"]["name"] == "storageAccountName"


def test_the_subscription_is_deployed_only_after_publish(templates, bicep_dir: Path) -> None:
    main = templates.tree("main.bicep")
    assert main["parameters"][FLAG]["default"] is False
    assert templates.module_condition(main["modules"]["landingSubscription"]) == FLAG
    for path in sorted(bicep_dir.glob("*.bicepparam")):
        _, values = templates.read_bicepparam(path)
        assert values[FLAG] == FLAG_FROM_ENVIRONMENT, f"{path.name}: the flag comes from the environment"


def test_blob_created_events_of_the_container_reach_the_blobs_extension_webhook(templates) -> None:
    subscription = templates.one("Microsoft.EventGrid/systemTopics/eventSubscriptions")
    assert subscription.file == SUBSCRIPTION_MODULE
    tree = templates.tree(SUBSCRIPTION_MODULE)
    props = subscription.properties
    assert props["eventDeliverySchema"] == "EventGridSchema"
    destination = props["destination"]
    assert destination["endpointType"] == "WebHook"
    assert tree["variables"]["webhook"]["value"] == "https://${site.properties.defaultHostName}/runtime/webhooks/blobs"
    site = tree["resources"]["site"]
    assert site["existing"] and site["type"] == "Microsoft.Web/sites" and site["config"]["name"] == "functionAppName"
    url = destination["properties"]["endpointUrl"]
    assert re.fullmatch(
        r"\$\{webhook\}\?functionName=Host\.Functions\.\$\{functionName\}"
        r"&code=\$\{listKeys\('\$\{site\.id\}/host/default', '\d{4}-\d{2}-\d{2}'\)\.systemKeys\.blobs_extension\}",
        url,
    ), url
    assert destination["properties"]["maxEventsPerBatch"] == 1

    event_filter = props["filter"]
    assert event_filter["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    assert event_filter["subjectBeginsWith"] == "/blobServices/default/containers/${containerName}/blobs/"
    (api,) = event_filter["advancedFilters"]
    assert (api["operatorType"], api["key"]) == ("StringIn", "data.api")
    assert set(api["values"]) == COMPLETE_WRITES
    assert props["retryPolicy"] == {
        "maxDeliveryAttempts": "maxDeliveryAttempts",
        "eventTimeToLiveInMinutes": "eventTimeToLiveInMinutes",
    }


def test_the_webhook_key_is_never_a_parameter_or_an_output(templates, bicep_dir: Path) -> None:
    tree = templates.tree(SUBSCRIPTION_MODULE)
    for name, output in (tree.get("outputs") or {}).items():
        text = " ".join(templates.strings(output["value"]))
        assert "listKeys" not in text and "properties" not in text, f"output {name} may expose the endpoint URL"
    assert not any(re.search(r"key|code|url", name, re.I) for name in tree["parameters"])
    passed = templates.module_config(templates.tree("main.bicep")["modules"]["landingSubscription"])["params"]
    assert not any(re.search(r"key|code|url", name, re.I) for name in passed)
    for path in sorted(bicep_dir.glob("*.bicepparam")):
        assert "blobs_extension" not in path.read_text() and "code=" not in path.read_text()
