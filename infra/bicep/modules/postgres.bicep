// Azure Database for PostgreSQL Flexible Server: the relational store (catalog, RBAC, rules,
// compliance, outbox, scans).
// Microsoft Entra authentication only: password authentication is disabled and no administrator
// login/password exists. The Entra administrator is a human group or user (parameter); the Function
// App's managed identity is added as a database role after provisioning (docs/deploy.md) and connects
// with an Entra access token as its password. TLS is required, minimum TLS 1.2.

@description('Azure region.')
param location string

@description('Server name (3-63 lower-case letters, digits, hyphens).')
@minLength(3)
@maxLength(63)
param name string

@description('Application database name.')
param databaseName string = 'datawave'

@description('Entra tenant for authentication.')
param tenantId string

@description('Object id of the Entra group or user that administers the server.')
param administratorObjectId string

@description('Display name of that group or user (the PostgreSQL role name).')
param administratorPrincipalName string

@description('Kind of principal of the administrator.')
@allowed([
  'Group'
  'User'
  'ServicePrincipal'
])
param administratorPrincipalType string = 'Group'

@description('PostgreSQL major version.')
@allowed([
  '16'
  '17'
])
param version string = '16'

@description('Compute SKU name, e.g. Standard_B1ms (Burstable) or Standard_D2ds_v5 (GeneralPurpose).')
param skuName string = 'Standard_B1ms'

@description('Compute tier. High availability needs GeneralPurpose or MemoryOptimized.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string = 'Burstable'

@description('Storage size in GiB (auto-grow is on).')
@minValue(32)
param storageSizeGB int = 32

@description('Backup retention in days.')
@minValue(7)
@maxValue(35)
param backupRetentionDays int = 7

@description('Geo-redundant backups (can only be chosen when the server is created).')
@allowed([
  'Enabled'
  'Disabled'
])
param geoRedundantBackup string = 'Disabled'

@description('High availability mode.')
@allowed([
  'Disabled'
  'SameZone'
  'ZoneRedundant'
])
param highAvailabilityMode string = 'Disabled'

@description('Allow connections from Azure services (the Function App has no fixed outbound address without VNet integration).')
param allowAzureServices bool = true

@description('Log Analytics workspace for diagnostics.')
param workspaceId string

param tags object = {}

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenantId
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup
    }
    highAvailability: {
      mode: highAvailabilityMode
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

// Server-level changes are applied one at a time (the server rejects concurrent updates): dependsOn chains them.
resource requireTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'require_secure_transport'
  properties: {
    value: 'on'
    source: 'user-override'
  }
}

resource minTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'ssl_min_protocol_version'
  properties: {
    value: 'TLSv1.2'
    source: 'user-override'
  }
  dependsOn: [
    requireTls
  ]
}

resource logConnections 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'log_connections'
  properties: {
    value: 'on'
    source: 'user-override'
  }
  dependsOn: [
    minTls
  ]
}

resource administrator 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: administratorObjectId
  properties: {
    principalType: administratorPrincipalType
    principalName: administratorPrincipalName
    tenantId: tenantId
  }
  dependsOn: [
    logConnections
  ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    administrator
  ]
}

// 0.0.0.0-0.0.0.0 is Azure's marker for "Azure services"; access still needs an Entra token.
resource azureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (allowAzureServices) {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
  dependsOn: [
    database
  ]
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: server
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

output id string = server.id
output name string = server.name
output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
