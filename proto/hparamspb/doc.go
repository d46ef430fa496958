// Package hparamspb holds the Go types generated from tbgo's .proto sources
// for TensorBoard's HParams plugin: the experiment, session start and end
// summaries (HParamsPluginData) and the API's session-group messages.
//
// The messages are wire-compatible with TensorBoard's tensorboard.hparams
// package and live in the proto package tbgo.tensorboard.hparams.
package hparamspb
