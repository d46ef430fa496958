// Package tbpb holds the Go types generated from tbgo's own .proto sources
// for TensorBoard's event files: Event, Summary, SummaryMetadata,
// TensorProto, HistogramProto, the built-in plugins' metadata, the custom
// scalars layout, the projector config and a GraphDef subset.
//
// The messages are wire-compatible with TensorFlow's and TensorBoard's (same
// field numbers and types) but live in the proto package tbgo.tensorboard,
// so a program that also links TensorFlow's Go protos has no registry
// conflict. Regenerate with proto/generate.sh; generate_test.go fails when
// the checked-in code is stale.
package tbpb
