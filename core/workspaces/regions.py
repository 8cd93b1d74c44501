"""Azure regions a workspace may declare as its data residency region."""

AZURE_REGIONS: frozenset[str] = frozenset(
    """
    australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral
    brazilsouth brazilsoutheast canadacentral canadaeast centralindia centralus chilecentral
    eastasia eastus eastus2 francecentral francesouth germanynorth germanywestcentral
    indonesiacentral israelcentral italynorth japaneast japanwest koreacentral koreasouth
    malaysiawest mexicocentral newzealandnorth northcentralus northeurope norwayeast norwaywest
    polandcentral qatarcentral southafricanorth southafricawest southcentralus southeastasia
    southindia spaincentral swedencentral swedensouth switzerlandnorth switzerlandwest
    uaecentral uaenorth uksouth ukwest westcentralus westeurope westindia westus westus2 westus3
    """.split()
)
