// Service Bus for events between domain groups (CloudEvents relayed from the PostgreSQL outbox:
// message id = event id, subject = event type such as `datawave.scan.completed`) and for scan requests.
// Entra ID only (local SAS auth disabled), TLS 1.2. Poison messages and expired messages go to the
// dead-letter queue; duplicate detection drops a re-relayed event with the same id.

@description('Azure region.')
param location string

@description('Namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param name string

@description('Standard is the smallest tier with topics; Premium adds isolation and private endpoints.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Topic carrying every domain event.')
param eventsTopicName string = 'datawave-events'

@description('Queue of scan requests consumed by a Service Bus-triggered function.')
param scanRequestsQueueName string = 'scan-requests'

@description('One subscription per consuming domain group: name + sqlExpression over the message subject (sys.Label).')
param eventSubscriptions array

@description('Deliveries before a message is dead-lettered.')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 10

@description('Log Analytics workspace for diagnostics.')
param workspaceId string

param tags object = {}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: eventsTopicName
  properties: {
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    enableBatchedOperations: true
    supportOrdering: false
  }
}

resource subscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for sub in eventSubscriptions: {
  parent: eventsTopic
  name: sub.name
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: maxDeliveryCount
    defaultMessageTimeToLive: 'P14D'
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    enableBatchedOperations: true
    requiresSession: false
  }
}]

// Replacing the `$Default` rule (match-all) with the group's filter.
resource subscriptionRules 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for (sub, i) in eventSubscriptions: {
  parent: subscriptions[i]
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: sub.sqlExpression
    }
  }
}]

resource scanRequests 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: scanRequestsQueueName
  properties: {
    lockDuration: 'PT5M'
    maxDeliveryCount: maxDeliveryCount
    defaultMessageTimeToLive: 'P1D'
    deadLetteringOnMessageExpiration: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    enableBatchedOperations: true
    requiresSession: false
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
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

output id string = namespace.id
output name string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ (cloud-specific suffix).
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
output eventsTopicName string = eventsTopic.name
output scanRequestsQueueName string = scanRequests.name
