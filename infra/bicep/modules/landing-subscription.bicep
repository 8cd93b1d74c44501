// The Event Grid subscription that feeds the landing container's blob trigger (function
// landing_blob_arrived, `source=EventGrid`): BlobCreated events of the container go to the Functions
// blobs extension webhook, https://<app>/runtime/webhooks/blobs?functionName=Host.Functions.<name>&code=<key>.
// Flex Consumption runs blob triggers only this way; Elastic Premium does too.
//
// POST-PUBLISH ONLY (main.bicep deploys this module when subscribeLandingEvents is true, docs/deploy.md
// step 5): the `blobs_extension` system key exists only once the published code with its Event Grid
// blob trigger has started, and Event Grid validates the webhook when the subscription is created.
// The key is read here with listKeys and goes into the endpoint URL only: it is never a parameter or
// an output (Event Grid returns the endpoint without its query string).

@description('Event Grid system topic of the storage account holding the container (modules/storage-events.bicep).')
param systemTopicName string

@description('Function App hosting the blob-triggered function.')
param functionAppName string

@description('Name of the blob-triggered function (its function_name; the webhook addresses Host.Functions.<name>).')
param functionName string

@description('Container whose new blobs fire the function (the container of the trigger path).')
param containerName string

@description('Delivery attempts before Event Grid drops an event (the trigger retries the function itself).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes Event Grid keeps retrying an undelivered event.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

var webhook = 'https://${site.properties.defaultHostName}/runtime/webhooks/blobs'

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: '${containerName}-to-${replace(functionName, '_', '-')}'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: '${webhook}?functionName=Host.Functions.${functionName}&code=${listKeys('${site.id}/host/default', '2024-04-01').systemKeys.blobs_extension}'
        // One blob per delivery, as the blob trigger handles them.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/blobs/'
      // The data lake has a hierarchical namespace: a DFS CreateFile raises BlobCreated for an empty file
      // before its content is flushed. Blob API writes and copies, and the final DFS flush, are complete files.
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: [
            'PutBlob'
            'PutBlockList'
            'CopyBlob'
            'FlushWithClose'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
  }
}

// The subscription's name only: its endpoint URL carries the key.
output name string = subscription.name
