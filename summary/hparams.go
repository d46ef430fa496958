package summary

// hparamsState is what the Writer knows of its hparams session.
type hparamsState struct{}
