// Development: smallest SKUs, single zone, serverless Cosmos DB.
// Values that identify people or tenants come from the environment (docs/deploy.md).
using './main.bicep'

param environmentName = 'dev'
param apiAudience = readEnvironmentVariable('DW_API_AUDIENCE', 'api://datawave-dev')
param postgresAdminObjectId = readEnvironmentVariable('DW_PG_ADMIN_OBJECT_ID')
param postgresAdminPrincipalName = readEnvironmentVariable('DW_PG_ADMIN_NAME')
param postgresAdminPrincipalType = 'Group'
param apimPublisherEmail = readEnvironmentVariable('DW_APIM_PUBLISHER_EMAIL')
param importOpenApi = bool(readEnvironmentVariable('DW_IMPORT_OPENAPI', 'false'))
param subscribeLandingEvents = bool(readEnvironmentVariable('DW_SUBSCRIBE_LANDING_EVENTS', 'false'))

param hostingPlan = 'FlexConsumption'
param logLevel = 'DEBUG'
param storageSkuName = 'Standard_LRS'
param logRetentionDays = 30
param postgresSkuName = 'Standard_B1ms'
param postgresSkuTier = 'Burstable'
param postgresHighAvailabilityMode = 'Disabled'
param postgresGeoRedundantBackup = 'Disabled'
param postgresBackupRetentionDays = 7
param serviceBusSkuName = 'Standard'
param cosmosServerless = true
param cosmosBackupTier = 'Continuous7Days'
param zoneRedundant = false
param apimSkuName = 'Developer'
param apiCallsPerMinute = 600
