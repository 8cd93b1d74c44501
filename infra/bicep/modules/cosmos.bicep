// Cosmos DB for NoSQL holding the audit trail (append-only, hash-chained per workspace), one logical
// partition per workspace. Keys are disabled: data-plane access is Entra RBAC only.

@description('Azure region.')
param location string

@description('Account name (3-44 lower-case letters, digits, hyphens).')
@minLength(3)
@maxLength(44)
param name string

@description('Database name.')
param databaseName string = 'datawave'

@description('Audit container name.')
param auditContainerName string = 'audit'

@description('Serverless capacity (dev/test); provisioned autoscale otherwise.')
param serverless bool = true

@description('Autoscale maximum RU/s for the audit container when not serverless.')
@minValue(1000)
param autoscaleMaxThroughput int = 1000

@description('Zone redundancy for the write region.')
param zoneRedundant bool = false

@description('Point-in-time restore window.')
@allowed([
  'Continuous7Days'
  'Continuous30Days'
])
param continuousBackupTier string = 'Continuous7Days'

@description('Log Analytics workspace for diagnostics.')
param workspaceId string

param tags object = {}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: serverless ? [
      {
        name: 'EnableServerless'
      }
    ] : []
    // One write region; the audit hash chain relies on a single ordered writer per workspace.
    enableMultipleWriteLocations: false
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
    // 0.0.0.0 admits only connections from Azure datacenters (the Function App has no fixed outbound
    // address without VNet integration); requests still need an Entra token with a data-plane role.
    ipRules: [
      {
        ipAddressOrRange: '0.0.0.0'
      }
    ]
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: continuousBackupTier
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource auditContainer 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: auditContainerName
  properties: {
    resource: {
      id: auditContainerName
      partitionKey: {
        paths: [
          '/workspaceId'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/*'
          }
        ]
        excludedPaths: [
          {
            path: '/"_etag"/?'
          }
        ]
      }
    }
    options: serverless ? {} : {
      autoscaleSettings: {
        maxThroughput: autoscaleMaxThroughput
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output auditContainerName string = auditContainer.name
