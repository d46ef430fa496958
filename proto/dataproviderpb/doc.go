// Package dataproviderpb holds the Go types and gRPC stubs generated from
// tbgo's .proto source for TensorBoard's data provider service,
// tensorboard.data.TensorBoardDataProvider: the service through which
// TensorBoard's web server reads runs, time series and blobs from a data
// server such as its Rust one or tbgo's (package dataserver).
//
// The messages are wire-compatible with TensorBoard's
// tensorboard/data/proto/data_provider.proto (same field numbers and
// types). Unlike tbpb's, they live in TensorBoard's own proto package,
// tensorboard.data, because gRPC routes calls by the service's full name;
// the summary and tensor messages they embed are tbpb's. Regenerate with
// proto/generate.sh; proto/tbpb/generate_test.go fails when the
// checked-in code is stale.
package dataproviderpb
