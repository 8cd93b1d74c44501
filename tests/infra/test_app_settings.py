"""The app settings in Azure (infra/bicep/modules/functionapp.bicep), the local sample
(local.settings.sample.json) and the typed settings model (core.settings.Settings) name the same things.

* DATAWAVE_* names: derived from ``Settings.model_fields`` (env prefix DATAWAVE_), so a field added to
  the model fails this test until Bicep and the sample file set it too.
* Platform names (FUNCTIONS_*, AzureWebJobs*, APPLICATIONINSIGHTS_*, WEBSITE_*) are not read by our code;
  they differ on purpose between local and Azure and are pinned by the allow-lists below.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

PREFIX = "DATAWAVE_"

# Model settings that must never be set in Azure, with the reason.
NEVER_IN_AZURE = {
    # HS256 dev tokens: the model refuses it outside DATAWAVE_ENV=local; Azure uses Entra ID tokens.
    "DATAWAVE_AUTH_DEV_SECRET",
    # Cosmos DB account keys are disabled (disableLocalAuth); the app uses its managed identity.
    "DATAWAVE_COSMOS_KEY",
}

# Platform settings in local.settings.sample.json: the storage connection is the Azurite connection string.
# Trigger connections: ServiceBusConnection (scan-requests queue; devhost's local bus ignores its
# value) and LandingStorage (the landing container's blob trigger; Azurite locally).
LOCAL_PLATFORM = {
    "FUNCTIONS_WORKER_RUNTIME",
    "AzureWebJobsStorage",
    "AzureWebJobsFeatureFlags",
    "ServiceBusConnection",
    "LandingStorage",
}

# Platform settings on every Azure plan. AzureWebJobsStorage is identity-based: the account name plus
# `managedidentity` replace the local connection string; telemetry authenticates with Entra ID.
AZURE_PLATFORM = {
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsFeatureFlags",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    # Identity-based trigger connections (the managed identity has the data roles on both).
    "ServiceBusConnection__fullyQualifiedNamespace",
    "ServiceBusConnection__credential",
    "LandingStorage__blobServiceUri",
    "LandingStorage__queueServiceUri",
    "LandingStorage__credential",
}

# Extra settings on Elastic Premium only. Flex Consumption takes the runtime and version from
# functionAppConfig and rejects FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION.
ELASTIC_PREMIUM_PLATFORM = {
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "WEBSITE_RUN_FROM_PACKAGE",
}

# Settings Flex Consumption does not accept (Microsoft Learn, "Flex Consumption plan deprecations" in
# azure-functions/functions-app-settings): the runtime comes from functionAppConfig, the package from its
# deployment container, and per-instance concurrency is platform-managed. FUNCTIONS_WORKER_PROCESS_COUNT
# is one of them; devhost reads it to emulate the Python worker's processes, the app code never does.
FLEX_UNSUPPORTED = {
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_WORKER_PROCESS_COUNT",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
}
APP_CODE = ("core", "functions", "activities", "orchestrations", "function_app.py")

PLATFORM_PREFIXES = (
    "FUNCTIONS_",
    "AzureWebJobs",
    "APPLICATIONINSIGHTS_",
    "WEBSITE_",
    "ServiceBusConnection",
    "LandingStorage",
)
FUNCTION_APP = "modules/functionapp.bicep"


@pytest.fixture(scope="module")
def settings_module(repo_root: Path) -> Any:
    if str(repo_root) not in sys.path:  # running pytest from another directory
        sys.path.insert(0, str(repo_root))
    return importlib.import_module("core.settings")


@pytest.fixture(scope="module")
def model_names(settings_module: Any) -> set[str]:
    return {PREFIX + name.upper() for name in settings_module.Settings.model_fields}


@pytest.fixture(scope="module")
def sample_names(repo_root: Path) -> set[str]:
    return set(json.loads((repo_root / "local.settings.sample.json").read_text())["Values"])


@pytest.fixture(scope="module")
def bicep_settings(templates) -> dict[str, list[dict[str, Any]]]:
    variables = templates.tree(FUNCTION_APP)["variables"]
    groups = ("datawaveSettings", "hostSettings", "elasticPremiumSettings")
    return {group: variables[group]["value"] for group in groups}


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["name"] for entry in entries]


def value_of(bicep_settings: dict[str, list[dict[str, Any]]], name: str) -> Any:
    return next(e["value"] for e in bicep_settings["datawaveSettings"] if e["name"] == name)


def test_site_app_settings_are_built_from_exactly_these_groups(templates) -> None:
    site = templates.one("Microsoft.Web/sites")
    expression = site.properties["siteConfig"]["appSettings"]["function"]
    assert expression["type"] == "concat"
    referenced = {s for s in templates.strings(expression["parameters"]) if s.endswith("Settings")}
    assert referenced == {"hostSettings", "datawaveSettings", "elasticPremiumSettings"}
    flex_only = expression["parameters"]["arg_3"]["operator"]["operands"]
    assert flex_only["condition"] == "isFlex"
    assert flex_only["true_value"] == []


def test_bicep_sets_every_model_setting_except_local_only_ones(model_names, bicep_settings) -> None:
    datawave = names(bicep_settings["datawaveSettings"])
    assert len(datawave) == len(set(datawave)), "duplicate app setting"
    assert model_names >= NEVER_IN_AZURE, "NEVER_IN_AZURE names a setting the model no longer has"
    assert set(datawave) == model_names - NEVER_IN_AZURE, (
        f"missing in Bicep: {sorted(model_names - NEVER_IN_AZURE - set(datawave))}; "
        f"unknown to the model: {sorted(set(datawave) - model_names)}"
    )


def test_local_sample_lists_every_model_setting(model_names, sample_names) -> None:
    datawave = {name for name in sample_names if name.startswith(PREFIX)}
    assert datawave == model_names, (
        f"missing in sample: {sorted(model_names - datawave)}; unknown: {sorted(datawave - model_names)}"
    )


def test_platform_settings_match_the_allow_lists(bicep_settings, sample_names) -> None:
    assert set(names(bicep_settings["hostSettings"])) == AZURE_PLATFORM
    assert set(names(bicep_settings["elasticPremiumSettings"])) == ELASTIC_PREMIUM_PLATFORM
    assert {name for name in sample_names if not name.startswith(PREFIX)} == LOCAL_PLATFORM
    for name in AZURE_PLATFORM | ELASTIC_PREMIUM_PLATFORM | LOCAL_PLATFORM:
        assert name.startswith(PLATFORM_PREFIXES), f"{name} is neither DATAWAVE_* nor a platform setting"


def test_flex_consumption_gets_no_setting_it_rejects(bicep_settings) -> None:
    on_every_plan = names(bicep_settings["hostSettings"]) + names(bicep_settings["datawaveSettings"])
    assert not FLEX_UNSUPPORTED & set(on_every_plan)


def test_worker_process_count_is_read_by_devhost_only(repo_root: Path) -> None:
    # The Python worker's process count is a Functions host setting: devhost emulates it, the app never
    # reads it, and Flex Consumption rejects it, so Bicep does not set it (docs/deploy.md).
    from devhost.durable.activities import PROCESS_COUNT_SETTING

    assert PROCESS_COUNT_SETTING in FLEX_UNSUPPORTED
    for entry in APP_CODE:
        path = repo_root / entry
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            assert PROCESS_COUNT_SETTING not in source.read_text(), f"{source} reads {PROCESS_COUNT_SETTING}"


def test_host_storage_connection_is_identity_based(bicep_settings) -> None:
    host = {e["name"]: e["value"] for e in bicep_settings["hostSettings"]}
    assert "AzureWebJobsStorage" not in host, "a connection string would carry an account key"
    assert host["AzureWebJobsStorage__credential"] == "managedidentity"
    assert host["AzureWebJobsStorage__accountName"] == "hostStorageAccountName"
    assert host["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"


def test_secret_settings_are_never_set_in_azure(templates, bicep_dir: Path) -> None:
    for path in bicep_dir.rglob("*.bicep*"):
        code = templates.strip_comments(path.read_text())
        for name in NEVER_IN_AZURE:
            assert name not in code, f"{path.name} sets {name}"


def test_postgres_url_has_no_password_and_requires_tls(bicep_settings, templates) -> None:
    value = value_of(bicep_settings, "DATAWAVE_POSTGRES_URL")
    url = templates.tree(FUNCTION_APP)["variables"][value]["value"]
    assert re.fullmatch(r"postgresql://[^:@/]+@[^/]+:5432/[^?]+\?sslmode=require", url), url
    assert "password" not in url.lower()


def test_environment_is_one_of_the_azure_environments(bicep_settings, templates, settings_module) -> None:
    param = templates.tree(FUNCTION_APP)["parameters"][value_of(bicep_settings, "DATAWAVE_ENV")]
    allowed = next(d["argument"] for d in param["decorators"] if d["type"] == "allowed")
    assert set(allowed) == {"dev", "test", "prod"}
    assert set(allowed) <= {e.value for e in settings_module.Environment}


def test_numeric_parameters_respect_the_model_bounds(bicep_settings, templates, settings_module) -> None:
    params = templates.tree(FUNCTION_APP)["parameters"]
    fields = settings_module.Settings.model_fields
    for entry in bicep_settings["datawaveSettings"]:
        value = entry["value"]
        if not (isinstance(value, dict) and value.get("function", {}).get("type") == "string"):
            continue
        param = params[value["function"]["parameters"]["value_to_convert"]]
        decorators = {d["type"]: d.get("argument") for d in param["decorators"]}
        field = fields[entry["name"].removeprefix(PREFIX).lower()]
        bounds = {type(m).__name__: m for m in field.metadata}
        if "Ge" in bounds:
            assert decorators.get("min_value", -1) >= bounds["Ge"].ge, entry["name"]
        if "Le" in bounds:
            assert decorators.get("max_value", 10**12) <= bounds["Le"].le, entry["name"]
        assert param["default"] == field.default, f"{entry['name']}: Bicep and model defaults differ"


def _azure_value(value: Any, params: dict[str, Any], sample: dict[str, str]) -> str:
    """A representative value of a setting in Azure: parameters take their default (or the sample),
    interpolations are filled the same way."""
    if isinstance(value, dict):
        inner = value["function"]["parameters"]["value_to_convert"]
        return str(params[inner]["default"])
    if value in sample:
        return sample[value]
    if value in params:
        return str(params[value]["default"])

    def fill(match: re.Match[str]) -> str:
        return sample.get(match.group(1), "x")

    return re.sub(r"\$\{([^}]+)\}", fill, value)


def test_model_accepts_azure_settings(bicep_settings, templates, settings_module, monkeypatch) -> None:
    tree = templates.tree(FUNCTION_APP)
    sample = {
        "environmentName": "prod",
        "name": "func-datawave-prod-abc123",
        "postgresHost": "psql-datawave-prod-abc123.postgres.database.azure.com",
        "postgresDatabase": "datawave",
        "entraAuthority": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000",
        "authAudience": "api://datawave",
        "cosmosEndpoint": "https://cosmos-datawave-prod-abc123.documents.azure.com:443/",
        "cosmosDatabase": "datawave",
        "cosmosAuditContainer": "audit",
        "keyVaultUri": "https://kv-datawave-prod-abc123.vault.azure.net/",
    }
    for variable in ("postgresUrl",):
        sample[variable] = _azure_value(tree["variables"][variable]["value"], tree["parameters"], sample)
    params = tree["parameters"]
    env = {e["name"]: _azure_value(e["value"], params, sample) for e in bicep_settings["datawaveSettings"]}
    assert env["DATAWAVE_AUTH_JWKS_URL"].endswith("/discovery/v2.0/keys")
    assert env["DATAWAVE_AUTH_ISSUER"].endswith("/v2.0")
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = settings_module.Settings()
    assert settings.env.value == "prod"
    assert settings.auth_dev_secret is None
    assert settings.postgres_url is not None
    assert settings.postgres_entra_auth is True  # the URL has no password: Entra token sign-in
    assert settings.cosmos_key is None
    assert settings.secret_store.value == "keyvault"
    assert settings.keyvault_url == "https://kv-datawave-prod-abc123.vault.azure.net/"
