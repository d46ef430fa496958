package summary

// customScalarsState is the Writer's custom scalars layout.
type customScalarsState struct{}
