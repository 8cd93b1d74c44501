// DataWave: the whole Azure footprint for one environment (dev, test or prod).
//
//   az deployment sub create --location <region> --template-file infra/bicep/main.bicep \
//     --parameters infra/bicep/main.<env>.bicepparam
//
// Creates the resource group and, inside it: Log Analytics + Application Insights, the Functions host
// storage account, a data lake account, Key Vault, Service Bus, Cosmos DB (audit), PostgreSQL Flexible
// Server, the Function App with its system-assigned identity, that identity's role assignments, the
// data lake's Event Grid system topic and API Management in front of the app. Every connection is
// identity-based; no key, password or connection secret is created, passed or output. After the app is
// published, a second run with subscribeLandingEvents subscribes the landing container's blob trigger
// to that topic. docs/deploy.md has the full procedure.

targetScope = 'subscription'

@description('Environment name; also the value of DATAWAVE_ENV.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Azure region for every resource.')
param location string = deployment().location

@description('Prefix of resource names (lower-case letters and digits).')
@minLength(3)
@maxLength(10)
param baseName string = 'datawave'

@description('Entra tenant that issues API tokens and authenticates to PostgreSQL and Key Vault.')
param tenantId string = tenant().tenantId

@description('Audience of API tokens: the API app registration\'s Application ID URI (e.g. api://datawave-prod) or client id.')
param apiAudience string

@description('Object id of the Entra group (or user) administering PostgreSQL.')
param postgresAdminObjectId string

@description('Display name of that group (or user); it is the PostgreSQL role name.')
param postgresAdminPrincipalName string

@description('Kind of principal of the PostgreSQL administrator.')
@allowed([
  'Group'
  'User'
  'ServicePrincipal'
])
param postgresAdminPrincipalType string = 'Group'

@description('Function App hosting plan.')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('DATAWAVE_LOG_LEVEL.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('Replication of both storage accounts.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_ZRS'

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('PostgreSQL compute SKU name.')
param postgresSkuName string = 'Standard_B1ms'

@description('PostgreSQL compute tier (high availability needs GeneralPurpose or MemoryOptimized).')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'Burstable'

@description('PostgreSQL high availability mode.')
@allowed([
  'Disabled'
  'SameZone'
  'ZoneRedundant'
])
param postgresHighAvailabilityMode string = 'Disabled'

@description('PostgreSQL geo-redundant backups (fixed at server creation).')
@allowed([
  'Enabled'
  'Disabled'
])
param postgresGeoRedundantBackup string = 'Disabled'

@description('PostgreSQL backup retention in days.')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 7

@description('Service Bus tier.')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSkuName string = 'Standard'

@description('Topic subscriptions: one per Service Bus topic trigger of the app (tests/infra/test_event_subscriptions.py keeps them in step), each admitting the event types its consumer acts on; each sqlExpression is the one core/events/subscriptions.py renders, which devhost applies locally. Events carry their CloudEvents type as the message subject (sys.Label). A subscription without a consumer would keep every event until it expires and then dead-letter it.')
param eventSubscriptions array = [
  {
    // compliance_event_received (core/compliance/monitoring.py): scan ends, classifications, grant changes.
    name: 'compliance'
    sqlExpression: 'sys.Label LIKE \'datawave.scan.%\' OR sys.Label LIKE \'datawave.classification.%\' OR sys.Label LIKE \'datawave.authz.%\''
  }
]

@description('Cosmos DB serverless (dev/test) or autoscale (prod).')
param cosmosServerless bool = true

@description('Cosmos DB point-in-time restore window.')
@allowed([
  'Continuous7Days'
  'Continuous30Days'
])
param cosmosBackupTier string = 'Continuous7Days'

@description('Zone redundancy where the service offers it as a flag (Function App plan, Cosmos DB).')
param zoneRedundant bool = false

@description('API Management SKU (rate-limit-by-key needs a tier above Consumption).')
@allowed([
  'Developer'
  'BasicV2'
  'StandardV2'
  'Premium'
])
param apimSkuName string = 'BasicV2'

@description('API Management publisher e-mail.')
param apimPublisherEmail string

@description('API Management publisher name.')
param apimPublisherName string = 'DataWave'

@description('Import the API operations from https://<function app>/api/openapi.json (the app must be published first).')
param importOpenApi bool = false

@description('Requests per minute per caller at the gateway.')
@minValue(1)
param apiCallsPerMinute int = 600

@description('Subscribe the landing container\'s blob trigger to the data lake\'s BlobCreated events (Event Grid, the only blob trigger source Flex Consumption runs). Post-publish only: the webhook needs the app\'s blobs_extension system key, which exists once the published code runs (docs/deploy.md step 5).')
param subscribeLandingEvents bool = false

param tags object = {}

var suffix = take(uniqueString(subscription().id, baseName, environmentName, location), 6)
var allTags = union(tags, {
  application: 'datawave'
  environment: environmentName
})
var names = {
  resourceGroup: 'rg-${baseName}-${environmentName}'
  workspace: 'log-${baseName}-${environmentName}-${suffix}'
  appInsights: 'appi-${baseName}-${environmentName}-${suffix}'
  hostStorage: toLower('st${baseName}${environmentName}${suffix}')
  dataLake: toLower('dl${baseName}${environmentName}${suffix}')
  keyVault: 'kv-${take(baseName, 8)}-${environmentName}-${suffix}'
  serviceBus: 'sb-${baseName}-${environmentName}-${suffix}'
  cosmos: toLower('cosmos-${baseName}-${environmentName}-${suffix}')
  postgres: toLower('psql-${baseName}-${environmentName}-${suffix}')
  plan: 'plan-${baseName}-${environmentName}-${suffix}'
  functionApp: 'func-${baseName}-${environmentName}-${suffix}'
  apim: 'apim-${baseName}-${environmentName}-${suffix}'
  dataLakeEvents: 'evgt-${baseName}-${environmentName}-${suffix}'
}
var deploymentContainerName = 'app-package'
// Watched by the blob trigger landing_blob_arrived (functions/scans.py: path 'landing/{name}').
var landingContainerName = 'landing'
var landingFunctionName = 'landing_blob_arrived'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    tags: allTags
  }
}

module hostStorage 'modules/storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    location: location
    name: names.hostStorage
    skuName: storageSkuName
    containers: [
      deploymentContainerName
    ]
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module dataLake 'modules/storage.bicep' = {
  name: 'data-lake'
  scope: rg
  params: {
    location: location
    name: names.dataLake
    isHnsEnabled: true
    skuName: storageSkuName
    containers: [
      landingContainerName
      'exports'
    ]
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module dataLakeEvents 'modules/storage-events.bicep' = {
  name: 'data-lake-events'
  scope: rg
  params: {
    location: location
    name: names.dataLakeEvents
    storageAccountName: dataLake.outputs.name
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    name: names.keyVault
    tenantId: tenantId
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    location: location
    name: names.serviceBus
    skuName: serviceBusSkuName
    eventSubscriptions: eventSubscriptions
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    name: names.cosmos
    serverless: cosmosServerless
    zoneRedundant: zoneRedundant
    continuousBackupTier: cosmosBackupTier
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    location: location
    name: names.postgres
    tenantId: tenantId
    administratorObjectId: postgresAdminObjectId
    administratorPrincipalName: postgresAdminPrincipalName
    administratorPrincipalType: postgresAdminPrincipalType
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    highAvailabilityMode: postgresHighAvailabilityMode
    geoRedundantBackup: postgresGeoRedundantBackup
    backupRetentionDays: postgresBackupRetentionDays
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    name: names.functionApp
    planName: names.plan
    hostingPlan: hostingPlan
    zoneRedundant: zoneRedundant
    hostStorageAccountName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceId: monitoring.outputs.workspaceId
    environmentName: environmentName
    logLevel: logLevel
    postgresHost: postgres.outputs.fqdn
    postgresDatabase: postgres.outputs.databaseName
    tenantId: tenantId
    authAudience: apiAudience
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabase: cosmos.outputs.databaseName
    cosmosAuditContainer: cosmos.outputs.auditContainerName
    keyVaultUri: keyVault.outputs.uri
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    dataLakeAccountName: dataLake.outputs.name
    tags: allTags
  }
}

module access 'modules/access.bicep' = {
  name: 'app-access'
  scope: rg
  params: {
    principalId: functionApp.outputs.principalId
    hostStorageAccountName: hostStorage.outputs.name
    dataLakeAccountName: dataLake.outputs.name
    keyVaultName: keyVault.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    eventsTopicName: serviceBus.outputs.eventsTopicName
    scanRequestsQueueName: serviceBus.outputs.scanRequestsQueueName
    cosmosAccountName: cosmos.outputs.name
    cosmosDatabaseName: cosmos.outputs.databaseName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

// After publish only (see subscribeLandingEvents): the module reads the blobs_extension system key itself.
module landingSubscription 'modules/landing-subscription.bicep' = if (subscribeLandingEvents) {
  name: 'landing-subscription'
  scope: rg
  params: {
    systemTopicName: dataLakeEvents.outputs.name
    functionAppName: functionApp.outputs.name
    functionName: landingFunctionName
    containerName: landingContainerName
  }
  dependsOn: [
    access // the app can read the data lake before the first event arrives
  ]
}

module apim 'modules/apim.bicep' = {
  name: 'api-management'
  scope: rg
  params: {
    location: location
    name: names.apim
    skuName: apimSkuName
    publisherEmail: apimPublisherEmail
    publisherName: apimPublisherName
    functionAppHostName: functionApp.outputs.defaultHostName
    importOpenApi: importOpenApi
    tenantId: tenantId
    audience: apiAudience
    callsPerMinute: apiCallsPerMinute
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

// Names, endpoints and identities only: nothing here is a credential.
output resourceGroupName string = rg.name
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output functionAppPrincipalId string = functionApp.outputs.principalId
output apiManagementName string = apim.outputs.name
output apiGatewayUrl string = apim.outputs.apiUrl
output keyVaultUri string = keyVault.outputs.uri
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output cosmosEndpoint string = cosmos.outputs.endpoint
output postgresHost string = postgres.outputs.fqdn
output postgresDatabase string = postgres.outputs.databaseName
output postgresServerName string = postgres.outputs.name
output hostStorageAccountName string = hostStorage.outputs.name
output dataLakeBlobEndpoint string = dataLake.outputs.blobEndpoint
output dataLakeEventsTopicName string = dataLakeEvents.outputs.name
