package runinfo

// ReadValues is readValues for the external tests.
var ReadValues = readValues
