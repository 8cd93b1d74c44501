// API Management in front of the Function App: the DataWave API imported from the app's own OpenAPI
// document (GET /api/openapi.json), Entra ID token validation and rate limiting. The gateway accepts
// TLS 1.2+ only.
//
// policies/datawave-api.xml (API scope), whose {{name}} placeholders are the named values below:
//   1. rate-limit-by-key per client IP: a coarse limit that also shields token validation from floods;
//   2. validate-jwt: Entra ID (RS256, keys from the tenant's OpenID configuration), audience, issuer,
//      expiry required; the app validates the token again (defence in depth);
//   3. rate-limit-by-key per caller, keyed by the token's subject.

@description('Azure region.')
param location string

@description('API Management service name.')
param name string

@description('SKU. rate-limit-by-key is not available on Consumption, so the smallest choice is BasicV2.')
@allowed([
  'Developer'
  'BasicV2'
  'StandardV2'
  'Premium'
])
param skuName string = 'BasicV2'

@description('Scale units.')
@minValue(1)
param skuCapacity int = 1

@description('Publisher e-mail shown in the developer portal and used for notifications.')
param publisherEmail string

@description('Publisher organisation name.')
param publisherName string

@description('Function App host name (backend).')
param functionAppHostName string

@description('URL suffix of the API on the gateway. The app\'s OpenAPI paths start with /api/ (servers: /), so calls go to https://<gateway>/<apiPath>/api/v1/...')
param apiPath string = 'datawave'

@description('Import operations from the app\'s OpenAPI document. The app must already be published (docs/deploy.md).')
param importOpenApi bool = false

@description('OpenAPI document URL; empty means https://<function host>/api/openapi.json.')
param openApiUrl string = ''

@description('Entra tenant issuing the tokens.')
param tenantId string

@description('Expected token audience (the API app registration).')
param audience string

@description('Requests per minute per caller (token subject).')
@minValue(1)
param callsPerMinute int = 600

@description('Requests per minute per client IP address, before token validation.')
@minValue(1)
param ipCallsPerMinute int = 1200

@description('Log Analytics workspace for gateway logs.')
param workspaceId string

param tags object = {}

var entraAuthority = '${environment().authentication.loginEndpoint}${tenantId}'
var documentUrl = empty(openApiUrl) ? 'https://${functionAppHostName}/api/openapi.json' : openApiUrl

var apiProperties = {
  displayName: 'DataWave'
  description: 'DataWave data-governance API'
  path: apiPath
  protocols: [
    'https'
  ]
  // The OpenAPI paths already carry the /api prefix of the Functions host.
  serviceUrl: 'https://${functionAppHostName}'
  // Identity is the Entra bearer token, not an API Management subscription key.
  subscriptionRequired: false
  apiType: 'http'
}

var openApiImport = {
  format: 'openapi+json-link'
  value: documentUrl
}

resource service 'Microsoft.ApiManagement/service@2024-05-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    capacity: skuCapacity
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
    publicNetworkAccess: 'Enabled'
    apiVersionConstraint: {
      minApiVersion: '2021-08-01'
    }
    customProperties: {
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168': 'False'
    }
  }
}

resource openIdConfigUrl 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: 'datawave-openid-config-url'
  properties: {
    displayName: 'datawave-openid-config-url'
    value: '${entraAuthority}/v2.0/.well-known/openid-configuration'
    secret: false
  }
}

resource audienceValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: 'datawave-audience'
  properties: {
    displayName: 'datawave-audience'
    value: audience
    secret: false
  }
}

resource issuerValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: 'datawave-issuer'
  properties: {
    displayName: 'datawave-issuer'
    value: '${entraAuthority}/v2.0'
    secret: false
  }
}

resource callsValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: 'datawave-calls-per-minute'
  properties: {
    displayName: 'datawave-calls-per-minute'
    value: string(callsPerMinute)
    secret: false
  }
}

resource ipCallsValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: 'datawave-ip-calls-per-minute'
  properties: {
    displayName: 'datawave-ip-calls-per-minute'
    value: string(ipCallsPerMinute)
    secret: false
  }
}

resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: service
  name: 'datawave'
  properties: importOpenApi ? union(apiProperties, openApiImport) : apiProperties
}

resource apiPolicy 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: api
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: loadTextContent('../policies/datawave-api.xml')
  }
  dependsOn: [
    openIdConfigUrl
    audienceValue
    issuerValue
    callsValue
    ipCallsValue
  ]
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: service
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

output id string = service.id
output name string = service.name
output gatewayUrl string = service.properties.gatewayUrl
output apiUrl string = '${service.properties.gatewayUrl}/${apiPath}'
output principalId string = service.identity.principalId
