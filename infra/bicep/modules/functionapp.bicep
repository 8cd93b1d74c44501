// The Function App (Python 3.11, v2 programming model, Durable Functions) with a system-assigned
// identity. Flex Consumption by default, Elastic Premium as an option.
//
// App settings are exactly what the code reads:
//   * `datawaveSettings`: one entry per field of core.settings.Settings (env prefix DATAWAVE_), except
//     DATAWAVE_AUTH_DEV_SECRET (the settings model refuses it outside local mode) and
//     DATAWAVE_COSMOS_KEY (Cosmos DB keys are disabled; the app uses its managed identity);
//   * `hostSettings` / `elasticPremiumSettings`: the Functions platform settings. The host storage
//     connection is identity-based (AzureWebJobsStorage__accountName + __credential), never a key.
// tests/infra/test_app_settings.py keeps these names in step with the settings model and
// local.settings.sample.json.

@description('Azure region.')
param location string

@description('Function App name.')
param name string

@description('Hosting plan name.')
param planName string

@description('FlexConsumption (default) or ElasticPremium.')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Spread instances over availability zones (Flex: at least two always-ready instances are kept).')
param zoneRedundant bool = false

@description('Elastic Premium SKU when hostingPlan is ElasticPremium.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param elasticPremiumSku string = 'EP1'

@description('Flex Consumption: largest number of instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Host storage account (AzureWebJobsStorage, Durable task hub, deployment package).')
param hostStorageAccountName string

@description('Blob container holding the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Application Insights component receiving telemetry.')
param appInsightsName string

@description('Log Analytics workspace for diagnostics.')
param workspaceId string

@description('DATAWAVE_ENV.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('DATAWAVE_LOG_LEVEL.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('PostgreSQL server FQDN for DATAWAVE_POSTGRES_URL.')
param postgresHost string

@description('PostgreSQL database name.')
param postgresDatabase string

@description('DATAWAVE_POSTGRES_POOL_MAX.')
@minValue(1)
@maxValue(200)
param postgresPoolMax int = 10

@description('DATAWAVE_TASK_HUB (Durable Functions task hub).')
param taskHubName string = 'DataWaveHub'

@description('Entra tenant issuing the API tokens.')
param tenantId string

@description('DATAWAVE_AUTH_AUDIENCE: the API app registration (Application ID URI or client id).')
param authAudience string

@description('DATAWAVE_AUTH_CLOCK_SKEW_SECONDS.')
@minValue(0)
@maxValue(600)
param authClockSkewSeconds int = 60

@description('DATAWAVE_MAX_REQUEST_BYTES.')
@minValue(1024)
param maxRequestBytes int = 1048576

@description('DATAWAVE_QUOTA_DEFAULT_DATA_SOURCES: data sources per workspace until a quota is set.')
@minValue(0)
param quotaDefaultDataSources int = 50

@description('DATAWAVE_QUOTA_DEFAULT_CONCURRENT_SCANS: running scans per workspace until a quota is set.')
@minValue(0)
param quotaDefaultConcurrentScans int = 5

@description('DATAWAVE_COSMOS_ENDPOINT: Cosmos DB account endpoint holding the audit trail.')
param cosmosEndpoint string

@description('DATAWAVE_COSMOS_DATABASE.')
param cosmosDatabase string

@description('DATAWAVE_COSMOS_AUDIT_CONTAINER.')
param cosmosAuditContainer string

@description('DATAWAVE_KEYVAULT_URL: Key Vault holding data-source credentials (data sources keep kv:// references).')
param keyVaultUri string

@description('DATAWAVE_SERVICEBUS_NAMESPACE: the namespace events and scan requests travel through.')
param serviceBusFullyQualifiedNamespace string

@description('Storage account (data lake) holding the landing container watched by the blob trigger.')
param dataLakeAccountName string

param tags object = {}

var isFlex = hostingPlan == 'FlexConsumption'
// environment().authentication.loginEndpoint is https://login.microsoftonline.com/ in the public cloud.
var entraAuthority = '${environment().authentication.loginEndpoint}${tenantId}'

// The app connects as a database role named after itself, with its managed-identity token as password:
// no password appears in this URL (docs/deploy.md creates the role).
var postgresUrl = 'postgresql://${name}@${postgresHost}:5432/${postgresDatabase}?sslmode=require'

var datawaveSettings = [
  {
    name: 'DATAWAVE_ENV'
    value: environmentName
  }
  {
    name: 'DATAWAVE_LOG_LEVEL'
    value: logLevel
  }
  {
    // Scratch space only: Azure has no embedded PostgreSQL, local secret store or dev signing key.
    name: 'DATAWAVE_DATA_DIR'
    value: '/tmp/datawave'
  }
  {
    name: 'DATAWAVE_POSTGRES_URL'
    value: postgresUrl
  }
  {
    // The URL has no password: each connection signs in with a Microsoft Entra token of the managed identity.
    name: 'DATAWAVE_POSTGRES_ENTRA_AUTH'
    value: 'true'
  }
  {
    name: 'DATAWAVE_POSTGRES_POOL_MAX'
    value: string(postgresPoolMax)
  }
  {
    name: 'DATAWAVE_TASK_HUB'
    value: taskHubName
  }
  {
    name: 'DATAWAVE_AUTH_JWKS_URL'
    value: '${entraAuthority}/discovery/v2.0/keys'
  }
  {
    name: 'DATAWAVE_AUTH_ISSUER'
    value: '${entraAuthority}/v2.0'
  }
  {
    name: 'DATAWAVE_AUTH_AUDIENCE'
    value: authAudience
  }
  {
    name: 'DATAWAVE_AUTH_CLOCK_SKEW_SECONDS'
    value: string(authClockSkewSeconds)
  }
  {
    name: 'DATAWAVE_MAX_REQUEST_BYTES'
    value: string(maxRequestBytes)
  }
  {
    name: 'DATAWAVE_QUOTA_DEFAULT_DATA_SOURCES'
    value: string(quotaDefaultDataSources)
  }
  {
    name: 'DATAWAVE_QUOTA_DEFAULT_CONCURRENT_SCANS'
    value: string(quotaDefaultConcurrentScans)
  }
  {
    // In Azure the audit trail lives in Cosmos DB, reached with the managed identity (no key setting).
    name: 'DATAWAVE_AUDIT_STORE'
    value: 'cosmos'
  }
  {
    name: 'DATAWAVE_COSMOS_ENDPOINT'
    value: cosmosEndpoint
  }
  {
    name: 'DATAWAVE_COSMOS_DATABASE'
    value: cosmosDatabase
  }
  {
    name: 'DATAWAVE_COSMOS_AUDIT_CONTAINER'
    value: cosmosAuditContainer
  }
  {
    name: 'DATAWAVE_COSMOS_VERIFY_TLS'
    value: 'true'
  }
  {
    // Data-source credentials live in Key Vault, reached with the managed identity (Secrets Officer).
    name: 'DATAWAVE_SECRET_STORE'
    value: 'keyvault'
  }
  {
    name: 'DATAWAVE_KEYVAULT_URL'
    value: keyVaultUri
  }
  {
    // Local-folder data sources are for development: refused in prod; scratch space elsewhere.
    name: 'DATAWAVE_LOCAL_SOURCE_ROOT'
    value: '/tmp/datawave/sources'
  }
  {
    // The outbox relay publishes CloudEvents to the datawave-events topic with the managed identity.
    name: 'DATAWAVE_EVENT_BUS'
    value: 'servicebus'
  }
  {
    name: 'DATAWAVE_SERVICEBUS_NAMESPACE'
    value: serviceBusFullyQualifiedNamespace
  }
]

var hostSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: hostStorageAccountName
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsFeatureFlags'
    value: 'EnableWorkerIndexing'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    // Locates the ingestion endpoint; with local auth disabled it cannot write without an Entra token.
    value: appInsights.properties.ConnectionString
  }
  {
    // Telemetry is sent with the managed identity (Application Insights local auth is disabled).
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD'
  }
  {
    // The scan-requests queue trigger, identity-based (Service Bus local auth is disabled).
    name: 'ServiceBusConnection__fullyQualifiedNamespace'
    value: serviceBusFullyQualifiedNamespace
  }
  {
    name: 'ServiceBusConnection__credential'
    value: 'managedidentity'
  }
  {
    // The landing container's blob trigger, identity-based (blob receipts use the account's queues).
    name: 'LandingStorage__blobServiceUri'
    value: 'https://${dataLakeAccountName}.blob.${environment().suffixes.storage}'
  }
  {
    name: 'LandingStorage__queueServiceUri'
    value: 'https://${dataLakeAccountName}.queue.${environment().suffixes.storage}'
  }
  {
    name: 'LandingStorage__credential'
    value: 'managedidentity'
  }
]

// Flex Consumption takes the runtime from functionAppConfig and rejects these settings.
var elasticPremiumSettings = [
  {
    name: 'FUNCTIONS_EXTENSION_VERSION'
    value: '~4'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'python'
  }
  {
    // No Azure Files content share (it would need an account key): run from the deployed package.
    name: 'WEBSITE_RUN_FROM_PACKAGE'
    value: '1'
  }
]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex ? {
    name: 'FC1'
    tier: 'FlexConsumption'
  } : {
    name: elasticPremiumSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: isFlex ? null : 20
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    functionAppConfig: isFlex ? {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    } : null
    siteConfig: {
      linuxFxVersion: isFlex ? null : 'Python|3.11'
      // Platform health checks exist on Elastic Premium only; Flex Consumption does not support them.
      healthCheckPath: isFlex ? null : '/api/health'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
      appSettings: concat(hostSettings, datawaveSettings, isFlex ? [] : elasticPremiumSettings)
    }
  }
}

// No basic-auth (publishing profile) credentials: deployments authenticate with Entra ID.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output principalId string = site.identity.principalId
