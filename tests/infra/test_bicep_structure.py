"""Structural assertions on the parsed Bicep: the footprint issue 9 asks for, secured the way the
architecture says (Entra ID everywhere, TLS 1.2+, no keys or passwords, least-privilege roles).

checkov has no checks for PostgreSQL flexible servers or Service Bus, so those are checked here by hand.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

REQUIRED_TYPES = [
    "Microsoft.Resources/resourceGroups",
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Insights/components",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Storage/storageAccounts/blobServices/containers",
    "Microsoft.KeyVault/vaults",
    "Microsoft.ServiceBus/namespaces",
    "Microsoft.ServiceBus/namespaces/topics",
    "Microsoft.ServiceBus/namespaces/topics/subscriptions",
    "Microsoft.ServiceBus/namespaces/topics/subscriptions/rules",
    "Microsoft.ServiceBus/namespaces/queues",
    "Microsoft.DocumentDB/databaseAccounts",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers",
    "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
    "Microsoft.DBforPostgreSQL/flexibleServers",
    "Microsoft.DBforPostgreSQL/flexibleServers/administrators",
    "Microsoft.DBforPostgreSQL/flexibleServers/configurations",
    "Microsoft.DBforPostgreSQL/flexibleServers/databases",
    "Microsoft.Web/serverfarms",
    "Microsoft.Web/sites",
    "Microsoft.EventGrid/systemTopics",
    "Microsoft.EventGrid/systemTopics/eventSubscriptions",
    "Microsoft.ApiManagement/service",
    "Microsoft.ApiManagement/service/apis",
    "Microsoft.ApiManagement/service/apis/policies",
    "Microsoft.ApiManagement/service/namedValues",
    "Microsoft.Authorization/roleAssignments",
]

# Built-in role definition ids granted to the Function App identity, with the name the comment must give.
EXPECTED_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": "Azure Service Bus Data Sender",
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": "Azure Service Bus Data Receiver",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"
# Control-plane or administrator roles the app must never hold.
FORBIDDEN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "090c5cfd-751d-490a-894a-3ce6f1109419": "Azure Service Bus Data Owner",
    "5bd9cd88-fe45-4216-938b-f97437e15450": "DocumentDB Account Contributor",
}

SECRET_NAME = re.compile(r"password|secret|(^|[a-z])key$|apikey|accesskey|token|connectionstring|sas", re.I)
SECRET_EXPRESSION = re.compile(
    r"listKeys|listConnectionStrings|listCredentials|listSecrets|primaryKey|secondaryKey|"
    r"ConnectionString|AccountKey|SharedAccessKey|password",
    re.I,
)
# The one key a template may read: the Functions host's blobs_extension system key, which Event Grid
# presents to the blob trigger's webhook. Only the post-publish landing subscription reads it, straight
# into the endpoint URL (tests/infra/test_landing_events.py checks where it goes).
HOST_KEY_READ = re.compile(
    r"listKeys\('\$\{site\.id\}/host/default', '\d{4}-\d{2}-\d{2}'\)\.systemKeys\.blobs_extension"
)
HOST_KEY_READERS = {"landing-subscription.bicep": 1}


def decorators(param: dict[str, Any]) -> dict[str, Any]:
    return {d["type"]: d.get("argument") for d in param.get("decorators") or []}


def param_default(templates: Any, rel: str, name: str) -> Any:
    return templates.tree(rel)["parameters"][name]["default"]


# --- the footprint -------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", REQUIRED_TYPES)
def test_resource_type_is_provisioned(templates, type_: str) -> None:
    assert templates.resources(type_), f"no {type_} in infra/bicep"


def test_api_versions_are_dated_and_stable_where_available(templates) -> None:
    for resource in templates.resources(include_existing=True):
        version = resource.body["api_version"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", version), (resource.symbol, version)
        if resource.type != "Microsoft.Insights/diagnosticSettings":
            assert not version.endswith("-preview"), f"{resource.file}:{resource.symbol} uses {version}"


def test_main_deploys_at_subscription_scope_into_one_resource_group(templates) -> None:
    main = templates.tree("main.bicep")
    assert main["globals"]["scope"]["value"] == "subscription"
    assert all(templates.module_config(m)["scope"] == "rg" for m in main["modules"].values())


# --- secrets ---------------------------------------------------------------------------------------


def test_secret_looking_parameters_are_secure(templates) -> None:
    for rel, tree in templates.trees.items():
        for name, param in (tree.get("parameters") or {}).items():
            if SECRET_NAME.search(name):
                assert "secure" in decorators(param), f"{rel}: parameter {name} needs @secure()"


def test_the_host_key_allowance_is_that_one_key_only() -> None:
    allowed = "listKeys('${site.id}/host/default', '2024-04-01').systemKeys.blobs_extension"
    assert HOST_KEY_READ.fullmatch(allowed)
    assert not HOST_KEY_READ.search(allowed.replace("blobs_extension", "durabletask_extension"))
    assert not HOST_KEY_READ.search(allowed.replace("systemKeys.blobs_extension", "masterKey"))
    assert not HOST_KEY_READ.search("listKeys('${storage.id}', '2023-05-01').keys[0].value")


def test_the_secure_parameter_guard_catches_an_unmarked_secret() -> None:
    assert SECRET_NAME.search("adminPassword")
    assert SECRET_NAME.search("storageAccountKey")
    assert not SECRET_NAME.search("keyVaultName")
    assert not SECRET_NAME.search("postgresAdminObjectId")


def test_outputs_carry_no_secrets(templates) -> None:
    for rel, tree in templates.trees.items():
        for name, output in (tree.get("outputs") or {}).items():
            assert not SECRET_NAME.search(name), f"{rel}: output {name} looks secret"
            for text in templates.strings(output["value"]):
                assert not SECRET_EXPRESSION.search(text), f"{rel}: output {name} exposes {text!r}"


def test_no_key_or_password_is_read_or_written_anywhere(bicep_dir: Path, templates) -> None:
    for path in sorted(bicep_dir.rglob("*.bicep")):
        code = templates.strip_comments(path.read_text())
        host_key_reads = len(HOST_KEY_READ.findall(code))
        assert host_key_reads == HOST_KEY_READERS.get(path.name, 0), f"{path.name} reads the blobs_extension key"
        code = HOST_KEY_READ.sub("", code)
        for marker in (
            "listKeys(",
            "listConnectionStrings(",
            "AccountKey=",
            "SharedAccessKey",
            "administratorLoginPassword",
            "Password=",
        ):
            assert marker not in code, f"{path.name} contains {marker}"


def test_main_outputs_describe_the_deployment(templates) -> None:
    outputs = templates.tree("main.bicep")["outputs"]
    for name in (
        "functionAppName",
        "functionAppPrincipalId",
        "apiGatewayUrl",
        "keyVaultUri",
        "serviceBusNamespace",
        "cosmosEndpoint",
        "postgresHost",
        "postgresDatabase",
    ):
        assert name in outputs


# --- Function App ---------------------------------------------------------------------------------


def test_function_app_defaults_to_flex_consumption_with_elastic_premium_option(templates) -> None:
    for rel in ("main.bicep", "modules/functionapp.bicep"):
        param = templates.tree(rel)["parameters"]["hostingPlan"]
        assert param["default"] == "FlexConsumption"
        assert set(decorators(param)["allowed"]) == {"FlexConsumption", "ElasticPremium"}
    plan = templates.one("Microsoft.Web/serverfarms")
    skus = templates.strings(plan.config["sku"])
    assert "FC1" in skus
    assert "FlexConsumption" in skus
    assert "ElasticPremium" in skus
    assert plan.properties["reserved"] is True  # Linux


def test_function_app_runs_python_311_with_a_system_assigned_identity(templates) -> None:
    site = templates.one("Microsoft.Web/sites")
    assert site.config["kind"] == "functionapp,linux"
    assert site.config["identity"] == {"type": "SystemAssigned"}
    flex = site.properties["functionAppConfig"]["operator"]["operands"]["true_value"]
    assert flex["runtime"] == {"name": "python", "version": "3.11"}
    fx = site.properties["siteConfig"]["linuxFxVersion"]["operator"]["operands"]
    assert fx["false_value"] == "Python|3.11"


def test_function_app_is_https_only_without_basic_auth_publishing(templates) -> None:
    site = templates.one("Microsoft.Web/sites")
    assert site.properties["httpsOnly"] is True
    config = site.properties["siteConfig"]
    assert config["minTlsVersion"] == "1.2"
    assert config["scmMinTlsVersion"] == "1.2"
    assert config["ftpsState"] == "Disabled"
    assert config["remoteDebuggingEnabled"] is False
    policies = templates.resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {p.config["name"]: p.properties["allow"] for p in policies} == {"ftp": False, "scm": False}


def test_flex_deployment_package_is_read_with_the_managed_identity(templates) -> None:
    site = templates.one("Microsoft.Web/sites")
    flex = site.properties["functionAppConfig"]["operator"]["operands"]["true_value"]
    storage = flex["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {"type": "SystemAssignedIdentity"}


# --- storage ----------------------------------------------------------------------------------------


def test_storage_accounts_refuse_keys_anonymous_access_and_old_tls(templates) -> None:
    account = templates.one("Microsoft.Storage/storageAccounts")
    props = account.properties
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["allowBlobPublicAccess"] is False
    assert props["allowSharedKeyAccess"] is False
    assert props["defaultToOAuthAuthentication"] is True
    containers = templates.one("Microsoft.Storage/storageAccounts/blobServices/containers")
    assert containers.properties["publicAccess"] == "None"


def test_main_creates_host_storage_and_a_data_lake(templates) -> None:
    modules = templates.tree("main.bicep")["modules"]
    storage = {k: m for k, m in modules.items() if m["detail"]["path"] == "modules/storage.bicep"}
    assert set(storage) == {"hostStorage", "dataLake"}
    assert storage["dataLake"]["config"]["params"]["isHnsEnabled"] is True


# --- Application Insights, Key Vault -----------------------------------------------------------------


def test_application_insights_is_workspace_based_with_local_auth_disabled(templates) -> None:
    props = templates.one("Microsoft.Insights/components").properties
    assert props["DisableLocalAuth"] is True
    assert props["WorkspaceResourceId"] == "workspace.id" or "workspace" in str(props["WorkspaceResourceId"])


def test_key_vault_uses_rbac_soft_delete_and_purge_protection(templates) -> None:
    props = templates.one("Microsoft.KeyVault/vaults").properties
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert "accessPolicies" not in props
    retention = templates.tree("modules/keyvault.bicep")["parameters"]["softDeleteRetentionInDays"]
    assert retention["default"] >= 7


def test_every_data_service_sends_logs_to_log_analytics(templates) -> None:
    with_diagnostics = {r.file for r in templates.resources("Microsoft.Insights/diagnosticSettings")}
    for rel in (
        "modules/keyvault.bicep",
        "modules/servicebus.bicep",
        "modules/cosmos.bicep",
        "modules/postgres.bicep",
        "modules/functionapp.bicep",
        "modules/apim.bicep",
        "modules/storage.bicep",
    ):
        assert rel in with_diagnostics, f"{rel} has no diagnostic settings"


# --- Service Bus (no checkov checks exist) -----------------------------------------------------------


def test_service_bus_namespace_is_entra_only_with_tls_12(templates) -> None:
    namespace = templates.one("Microsoft.ServiceBus/namespaces")
    assert namespace.properties["minimumTlsVersion"] == "1.2"
    assert namespace.properties["disableLocalAuth"] is True
    allowed = decorators(templates.tree("modules/servicebus.bicep")["parameters"]["skuName"])["allowed"]
    assert "Basic" not in allowed, "topics need Standard or Premium"


def test_service_bus_entity_names_match_the_event_design(templates) -> None:
    params = templates.tree("modules/servicebus.bicep")["parameters"]
    assert params["eventsTopicName"]["default"] == "datawave-events"
    assert params["scanRequestsQueueName"]["default"] == "scan-requests"


def test_subscriptions_dead_letter_expired_and_unfilterable_messages(templates) -> None:
    sub = templates.one("Microsoft.ServiceBus/namespaces/topics/subscriptions")
    props = sub.properties
    assert props["deadLetteringOnMessageExpiration"] is True
    assert props["deadLetteringOnFilterEvaluationExceptions"] is True
    assert props["maxDeliveryCount"] == "maxDeliveryCount"
    assert 1 <= param_default(templates, "modules/servicebus.bicep", "maxDeliveryCount") <= 20
    assert sub.looped, "one subscription per domain group"
    assert sub.body["config"]["loop_type"]["detail"]["array_name"] == "eventSubscriptions"


def test_scan_requests_queue_dead_letters_and_bounds_deliveries(templates) -> None:
    queue = templates.one("Microsoft.ServiceBus/namespaces/queues").properties
    assert queue["deadLetteringOnMessageExpiration"] is True
    assert queue["maxDeliveryCount"] == "maxDeliveryCount"
    assert queue["requiresDuplicateDetection"] is True


def test_event_topic_drops_duplicate_event_ids(templates) -> None:
    topic = templates.one("Microsoft.ServiceBus/namespaces/topics").properties
    assert topic["requiresDuplicateDetection"] is True


def test_each_domain_group_subscription_filters_on_the_event_type(templates) -> None:
    rule = templates.one("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules")
    assert rule.config["name"] == "$Default", "the match-all default rule must be replaced"
    assert rule.properties["filterType"] == "SqlFilter"
    subscriptions = param_default(templates, "main.bicep", "eventSubscriptions")
    names = [s["name"] for s in subscriptions]
    assert len(names) == len(set(names)) >= 1  # one per topic trigger: test_event_subscriptions.py
    for sub in subscriptions:
        expression = sub["sqlExpression"].replace("\\'", "'")
        terms = re.split(r"\s+OR\s+", expression)
        assert all(re.fullmatch(r"sys\.Label LIKE 'datawave\.[a-z_]+\.%'", t) for t in terms), expression


# --- Cosmos DB ----------------------------------------------------------------------------------------


def test_cosmos_is_nosql_with_local_auth_disabled_and_tls_12(templates) -> None:
    account = templates.one("Microsoft.DocumentDB/databaseAccounts")
    assert account.config["kind"] == "GlobalDocumentDB"
    props = account.properties
    assert props["disableLocalAuth"] is True
    assert props["disableKeyBasedMetadataWriteAccess"] is True
    assert props["minimalTlsVersion"] == "Tls12"
    assert props["backupPolicy"]["type"] == "Continuous"


def test_audit_container_is_partitioned_by_workspace(templates) -> None:
    container = templates.one("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers")
    assert param_default(templates, "modules/cosmos.bicep", "auditContainerName") == "audit"
    key = container.properties["resource"]["partitionKey"]
    assert key["paths"] == ["/workspaceId"]
    assert key["kind"] == "Hash"


# --- PostgreSQL (no checkov checks exist) ------------------------------------------------------------


def test_postgres_uses_entra_auth_only(templates) -> None:
    server = templates.one("Microsoft.DBforPostgreSQL/flexibleServers")
    props = server.properties
    assert props["authConfig"]["activeDirectoryAuth"] == "Enabled"
    assert props["authConfig"]["passwordAuth"] == "Disabled"
    assert "administratorLogin" not in props
    assert "administratorLoginPassword" not in props
    admin = templates.one("Microsoft.DBforPostgreSQL/flexibleServers/administrators")
    assert admin.config["name"] == "administratorObjectId"
    assert admin.properties["principalType"] == "administratorPrincipalType"


def test_postgres_backups_geo_redundancy_and_ha_are_parameters(templates) -> None:
    props = templates.one("Microsoft.DBforPostgreSQL/flexibleServers").properties
    params = templates.tree("modules/postgres.bicep")["parameters"]
    assert props["backup"] == {
        "backupRetentionDays": "backupRetentionDays",
        "geoRedundantBackup": "geoRedundantBackup",
    }
    retention = decorators(params["backupRetentionDays"])
    assert retention["min_value"] >= 7
    assert retention["max_value"] <= 35
    assert set(decorators(params["geoRedundantBackup"])["allowed"]) == {"Enabled", "Disabled"}
    assert props["highAvailability"] == {"mode": "highAvailabilityMode"}
    assert set(decorators(params["highAvailabilityMode"])["allowed"]) == {
        "Disabled",
        "SameZone",
        "ZoneRedundant",
    }
    passed = templates.tree("main.bicep")["modules"]["postgres"]["config"]["params"]
    for name in ("highAvailabilityMode", "geoRedundantBackup", "backupRetentionDays"):
        assert name in passed, f"main.bicep must expose {name}"


def test_postgres_requires_tls_12(templates) -> None:
    configs = {
        c.config["name"]: c.properties["value"]
        for c in templates.resources("Microsoft.DBforPostgreSQL/flexibleServers/configurations")
    }
    assert configs["require_secure_transport"] == "on"
    assert configs["ssl_min_protocol_version"] in ("TLSv1.2", "TLSv1.3")


def test_postgres_server_changes_are_serialized(templates) -> None:
    # Flexible Server rejects concurrent configuration updates: each child after the first depends on one.
    children = [
        r
        for r in templates.resources()
        if r.type.startswith("Microsoft.DBforPostgreSQL/flexibleServers/") and r.symbol != "requireTls"
    ]
    for child in children:
        assert child.config.get("dependsOn"), f"{child.symbol} must depend on the previous server change"


# --- API Management -----------------------------------------------------------------------------------


def test_api_is_imported_from_the_apps_openapi_document(templates) -> None:
    tree = templates.tree("modules/apim.bicep")
    variables = tree["variables"]
    assert variables["openApiImport"]["value"]["format"] == "openapi+json-link"
    assert variables["openApiImport"]["value"]["value"] == "documentUrl"
    assert "/api/openapi.json" in str(variables["documentUrl"]["value"])
    api = templates.one("Microsoft.ApiManagement/service/apis")
    assert "openApiImport" in templates.strings(api.properties)
    base = variables["apiProperties"]["value"]
    assert base["protocols"] == ["https"]
    assert base["subscriptionRequired"] is False  # identity is the Entra token
    assert "functionAppHostName" in base["serviceUrl"]


def test_api_management_gateway_refuses_old_tls(templates) -> None:
    custom = templates.one("Microsoft.ApiManagement/service").properties["customProperties"]
    custom = {templates.unquote(k): v for k, v in custom.items()}
    prefix = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
    for name in (
        "Protocols.Tls10",
        "Protocols.Tls11",
        "Backend.Protocols.Tls10",
        "Backend.Protocols.Tls11",
        "Backend.Protocols.Ssl30",
    ):
        assert custom[prefix + name] == "False"


@pytest.fixture(scope="module")
def api_policy(templates, bicep_dir: Path) -> ET.Element:
    policy = templates.one("Microsoft.ApiManagement/service/apis/policies")
    value = policy.properties["value"]["function"]
    assert value["type"] == "load_text_content"
    path = (bicep_dir / "modules" / value["parameters"]["file_path"]).resolve()
    return ET.fromstring(path.read_text())


def test_policy_validates_entra_jwt(api_policy: ET.Element) -> None:
    jwt = api_policy.find("./inbound/validate-jwt")
    assert jwt is not None
    assert jwt.get("header-name") == "Authorization"
    assert jwt.get("require-scheme") == "Bearer"
    assert jwt.get("failed-validation-httpcode") == "401"
    assert jwt.get("require-expiration-time") == "true"
    assert jwt.get("require-signed-tokens") == "true"
    openid = jwt.find("./openid-config")
    assert openid is not None
    assert openid.get("url") == "{{datawave-openid-config-url}}"
    assert [a.text for a in jwt.findall("./audiences/audience")] == ["{{datawave-audience}}"]
    assert [i.text for i in jwt.findall("./issuers/issuer")] == ["{{datawave-issuer}}"]


def test_policy_rate_limits_per_ip_and_per_caller(api_policy: ET.Element) -> None:
    section = api_policy.find("./inbound")
    assert section is not None
    inbound = [child.tag for child in section]
    assert inbound.index("rate-limit-by-key") < inbound.index("validate-jwt")
    limits = api_policy.findall("./inbound/rate-limit-by-key")
    keys = [limit.get("counter-key") or "" for limit in limits]
    assert "@(context.Request.IpAddress)" in keys
    assert any("Subject" in key for key in keys)
    assert all(limit.get("renewal-period") for limit in limits)


def test_policy_placeholders_are_named_values(api_policy: ET.Element, templates) -> None:
    text = ET.tostring(api_policy, encoding="unicode")
    placeholders = set(re.findall(r"\{\{([\w-]+)\}\}", text))
    named = {r.config["name"] for r in templates.resources("Microsoft.ApiManagement/service/namedValues")}
    assert placeholders
    assert placeholders <= named, placeholders - named
    values = {
        r.config["name"]: r.properties["value"]
        for r in templates.resources("Microsoft.ApiManagement/service/namedValues")
    }
    assert values["datawave-openid-config-url"].endswith("/v2.0/.well-known/openid-configuration")
    assert values["datawave-issuer"].endswith("/v2.0")


def test_rate_limit_by_key_is_not_offered_on_a_tier_without_it(templates) -> None:
    allowed = decorators(templates.tree("modules/apim.bicep")["parameters"]["skuName"])["allowed"]
    assert "Consumption" not in allowed


# --- role assignments ---------------------------------------------------------------------------------


def test_app_identity_gets_each_expected_role_and_nothing_broader(templates, bicep_dir: Path) -> None:
    access = templates.tree("modules/access.bicep")
    roles = access["variables"]["roles"]["value"]
    assert set(roles.values()) == set(EXPECTED_ROLES)
    assignments = templates.resources("Microsoft.Authorization/roleAssignments")
    used = set()
    for assignment in assignments:
        assert assignment.file == "modules/access.bicep"
        props = assignment.properties
        assert props["principalId"] == "principalId"
        assert props["principalType"] == "ServicePrincipal"
        keys = [
            node["operands"]["operand_2"]
            for node in templates.walk(props["roleDefinitionId"])
            if isinstance(node, dict)
            and node.get("type") == "property_accessor"
            and node["operands"]["operand_1"] == "roles"
        ]
        assert len(keys) == 1, f"{assignment.symbol} must use one entry of the roles variable"
        used.add(roles[keys[0]])
        scope = assignment.config["scope"]
        assert access["resources"][scope]["existing"], f"{assignment.symbol} must target one resource"
    assert used == set(EXPECTED_ROLES)
    text = "\n".join(p.read_text() for p in bicep_dir.rglob("*.bicep"))
    for guid, name in FORBIDDEN_ROLES.items():
        assert guid not in text, f"{name} must not be granted"


def test_each_role_id_is_commented_with_its_name(bicep_dir: Path) -> None:
    lines = (bicep_dir / "modules" / "access.bicep").read_text().splitlines()
    for guid, name in {
        **EXPECTED_ROLES,
        COSMOS_DATA_CONTRIBUTOR: "Cosmos DB Built-in Data Contributor",
    }.items():
        index = next(i for i, line in enumerate(lines) if guid in line)
        assert name in lines[index - 1], f"the line above {guid} must name {name!r}"


def test_every_resource_the_app_uses_has_a_role_for_it(templates) -> None:
    access = templates.tree("modules/access.bicep")["resources"]
    assignments = templates.resources("Microsoft.Authorization/roleAssignments")
    scoped_types = {access[a.config["scope"]]["type"] for a in assignments}
    assert scoped_types == {
        "Microsoft.Storage/storageAccounts",
        "Microsoft.KeyVault/vaults",
        "Microsoft.ServiceBus/namespaces/topics",
        "Microsoft.ServiceBus/namespaces/queues",
        "Microsoft.Insights/components",
    }
    cosmos = templates.one("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments").properties
    assert cosmos["roleDefinitionId"].endswith("/sqlRoleDefinitions/${cosmosDataContributor}")
    role = templates.tree("modules/access.bicep")["variables"]["cosmosDataContributor"]["value"]
    assert role == COSMOS_DATA_CONTRIBUTOR
    assert "/dbs/" in cosmos["scope"], "Cosmos access is scoped to the database, not the account"
    passed = templates.tree("main.bicep")["modules"]["access"]["config"]["params"]
    names = [s for s in templates.strings(passed["principalId"]) if s != "property_accessor"]
    assert names == ["functionApp", "outputs", "principalId"]
