"""The one typed settings object. Nothing else in the code base reads ``os.environ``.

Values come from app settings (Azure) or the process environment (local), every name prefixed
``DATAWAVE_``. ``local.settings.sample.json`` lists each of them with a working local default and
``infra/bicep`` sets the same names in Azure; a test keeps the three in step.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    LOCAL = "local"
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class AuditStoreKind(StrEnum):
    POSTGRES = "postgres"
    COSMOS = "cosmos"


class SecretStoreKind(StrEnum):
    LOCAL = "local"
    KEYVAULT = "keyvault"


class EventBusKind(StrEnum):
    LOCAL = "local"
    SERVICEBUS = "servicebus"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAWAVE_", extra="ignore", frozen=True, env_ignore_empty=True)

    env: Environment = Field(Environment.LOCAL, description="Deployment environment.")
    log_level: str = Field("INFO", description="Root log level (DEBUG, INFO, WARNING, ERROR).")
    data_dir: Path = Field(
        PROJECT_ROOT / ".datawave",
        description="Local state: embedded PostgreSQL, local secret store, dev signing key.",
    )

    postgres_url: SecretStr | None = Field(
        None,
        description="PostgreSQL connection URL. Unset: an embedded PostgreSQL (pgserver) under data_dir.",
    )
    postgres_pool_max: int = Field(10, ge=1, le=200, description="Connection pool size per worker.")
    postgres_entra_auth: bool = Field(
        False,
        description="Sign in to PostgreSQL with a Microsoft Entra access token of the app's identity "
        "(DefaultAzureCredential: the managed identity in Azure) as the password; the URL carries none.",
    )

    task_hub: str = Field("DataWaveHub", description="Durable Functions task hub name (host.json).")

    auth_dev_secret: SecretStr | None = Field(
        None,
        description="HS256 secret for dev tokens. Unset in local mode: generated under data_dir. "
        "Never set outside local mode.",
    )
    auth_jwks_url: str | None = Field(None, description="Entra ID JWKS URL (RS256 tokens).")
    auth_issuer: str | None = Field(
        None,
        description="Expected token issuer (Entra ID); required for RS256 tokens. When it names a tenant id, "
        "tokens must carry that tid.",
    )
    auth_audience: str = Field("api://datawave", description="Expected token audience.")
    auth_clock_skew_seconds: int = Field(60, ge=0, le=600, description="Allowed exp/nbf skew.")

    max_request_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted request body.")

    quota_default_data_sources: int = Field(50, ge=0, description="Data sources per workspace until a quota is set.")
    quota_default_concurrent_scans: int = Field(
        5, ge=0, description="Concurrently running scans per workspace until a quota is set."
    )

    audit_store: AuditStoreKind = Field(
        AuditStoreKind.POSTGRES, description="Where audit records live: postgres (default) or cosmos."
    )
    cosmos_endpoint: str | None = Field(None, description="Azure Cosmos DB account endpoint (audit_store=cosmos).")
    cosmos_key: SecretStr | None = Field(
        None, description="Cosmos DB account key; unset: managed identity (DefaultAzureCredential)."
    )
    cosmos_database: str = Field("datawave", description="Cosmos DB database name.")
    cosmos_audit_container: str = Field("audit", description="Cosmos DB container for audit records (/workspaceId).")
    cosmos_verify_tls: bool = Field(
        True, description="Verify the Cosmos DB TLS certificate (false only for emulators)."
    )

    secret_store: SecretStoreKind = Field(
        SecretStoreKind.LOCAL,
        description="Where data-source credentials live: local (a 0600 file under data_dir) or keyvault.",
    )
    keyvault_url: str | None = Field(
        None, description="Azure Key Vault URI (https://<name>.vault.azure.net/) when secret_store=keyvault."
    )
    local_source_root: Path | None = Field(
        None,
        description="Folder that local-folder data sources must live under. Unset: data_dir/sources.",
    )

    event_bus: EventBusKind = Field(
        EventBusKind.LOCAL,
        description="Where events and scan requests travel: local (PostgreSQL, delivered by devhost) or servicebus.",
    )
    servicebus_namespace: str | None = Field(
        None, description="Service Bus namespace (<name>.servicebus.windows.net) when event_bus=servicebus."
    )

    @field_validator("data_dir")
    @classmethod
    def _anchor_data_dir(cls, value: Path) -> Path:
        # A relative data_dir (as in local.settings.sample.json) is relative to the project.
        return value if value.is_absolute() else PROJECT_ROOT / value

    @model_validator(mode="after")
    def _dev_tokens_only_locally(self) -> Settings:
        if self.env is not Environment.LOCAL and self.auth_dev_secret is not None:
            raise ValueError("DATAWAVE_AUTH_DEV_SECRET may only be set when DATAWAVE_ENV=local")
        if self.env is not Environment.LOCAL and not self.auth_jwks_url:
            raise ValueError("DATAWAVE_AUTH_JWKS_URL is required outside local mode")
        if self.env is not Environment.LOCAL and not self.auth_issuer:
            # Entra ID signs every tenant's tokens with the same keys: without an issuer, any tenant's would do.
            raise ValueError("DATAWAVE_AUTH_ISSUER is required outside local mode")
        if self.postgres_entra_auth and self.postgres_url is None:
            raise ValueError(
                "DATAWAVE_POSTGRES_ENTRA_AUTH=true needs DATAWAVE_POSTGRES_URL (Azure Database for PostgreSQL)"
            )
        if self.audit_store is AuditStoreKind.COSMOS and not self.cosmos_endpoint:
            raise ValueError("DATAWAVE_COSMOS_ENDPOINT is required when DATAWAVE_AUDIT_STORE=cosmos")
        if self.secret_store is SecretStoreKind.KEYVAULT and not self.keyvault_url:
            raise ValueError("DATAWAVE_KEYVAULT_URL is required when DATAWAVE_SECRET_STORE=keyvault")
        if self.event_bus is EventBusKind.SERVICEBUS and not self.servicebus_namespace:
            raise ValueError("DATAWAVE_SERVICEBUS_NAMESPACE is required when DATAWAVE_EVENT_BUS=servicebus")
        if self.env is Environment.PROD and not self.cosmos_verify_tls:
            raise ValueError("DATAWAVE_COSMOS_VERIFY_TLS may only be false outside prod")
        return self

    @property
    def sources_root(self) -> Path:
        """The resolved folder local-folder data sources must live under."""
        root = self.local_source_root or self.data_dir / "sources"
        return (root if root.is_absolute() else PROJECT_ROOT / root).resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def reset_settings_cache() -> None:
    """Forget the cached settings (tests and devhost change the environment before reuse)."""
    get_settings.cache_clear()
