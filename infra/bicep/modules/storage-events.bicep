// The Event Grid system topic of a storage account: the source of its blob events. Deployed with the
// rest of the footprint; it costs nothing until a subscription exists. The subscription that feeds the
// landing container's blob trigger is modules/landing-subscription.bicep, deployed after the app is
// published (docs/deploy.md step 5).

@description('Azure region (a system topic lives in the region of its storage account).')
param location string

@description('System topic name.')
param name string

@description('Storage account whose events the topic publishes.')
param storageAccountName string

param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
