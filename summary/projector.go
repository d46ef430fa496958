package summary

// projectorState is the Writer's projector configuration.
type projectorState struct{}
