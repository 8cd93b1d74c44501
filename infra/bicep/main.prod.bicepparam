// Production: zone-redundant compute and database, geo-redundant backups, longer retention.
// Values that identify people or tenants come from the environment (docs/deploy.md).
using './main.bicep'

param environmentName = 'prod'
param apiAudience = readEnvironmentVariable('DW_API_AUDIENCE', 'api://datawave')
param postgresAdminObjectId = readEnvironmentVariable('DW_PG_ADMIN_OBJECT_ID')
param postgresAdminPrincipalName = readEnvironmentVariable('DW_PG_ADMIN_NAME')
param postgresAdminPrincipalType = 'Group'
param apimPublisherEmail = readEnvironmentVariable('DW_APIM_PUBLISHER_EMAIL')
param importOpenApi = bool(readEnvironmentVariable('DW_IMPORT_OPENAPI', 'false'))
param subscribeLandingEvents = bool(readEnvironmentVariable('DW_SUBSCRIBE_LANDING_EVENTS', 'false'))

param hostingPlan = 'FlexConsumption'
param logLevel = 'INFO'
param storageSkuName = 'Standard_GZRS'
param logRetentionDays = 90
param postgresSkuName = 'Standard_D4ds_v5'
param postgresSkuTier = 'GeneralPurpose'
param postgresHighAvailabilityMode = 'ZoneRedundant'
param postgresGeoRedundantBackup = 'Enabled'
param postgresBackupRetentionDays = 35
param serviceBusSkuName = 'Standard'
param cosmosServerless = false
param cosmosBackupTier = 'Continuous30Days'
param zoneRedundant = true
param apimSkuName = 'StandardV2'
param apiCallsPerMinute = 600
