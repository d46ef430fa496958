// Command tbgo-data-server is tbgo's data server for TensorBoard: a
// drop-in replacement for TensorBoard's own Rust data server
// ("RustBoard", pip package tensorboard-data-server). It reads a logdir,
// a tbgo archive in place, or a logdir in an object store (s3://, gs://,
// azblob://), and answers TensorBoard's data provider RPCs (gRPC service
// tensorboard.data.TensorBoardDataProvider) over plaintext gRPC.
//
// TensorBoard starts it in place of its own when told to (with
// --load_fast=true: TensorBoard's default, auto, hands URLs other than
// gs:// to its Python loader):
//
//	go install github.com/tbgo/tbgo/cmd/...@latest
//	TENSORBOARD_DATA_SERVER_BINARY=$(go env GOPATH)/bin/tbgo-data-server \
//	    tensorboard --logdir runs/ --load_fast=true
//
// or it runs on its own and TensorBoard attaches to it:
//
//	tbgo-data-server --logdir runs/ --port 6806 &
//	tensorboard --grpc_data_provider=localhost:6806
//
// # Usage
//
//	tbgo-data-server --logdir PATH|URL [flags]
//
// The command line is RustBoard's, with the same meanings and exit
// statuses. Flags take one or two dashes, and a value after "=" or as the
// next argument.
//
//	--logdir PATH|URL    the logdir to serve: a directory scanned recursively
//	                     for event files, an event file, an archive made by
//	                     tbgo archive, or the URL of a logdir (or event file)
//	                     in an object store: s3://BUCKET/PREFIX (endpoint,
//	                     region and path style in the query, credentials from
//	                     the AWS environment), gs://, azblob://, file://
//	                     (required; may be empty only to fail)
//	--host HOST          the host to bind to (default localhost)
//	--port N             the port to bind to; 0 picks a free one (default 6806)
//	--reload SECS|once   seconds to pause after each load cycle before the
//	                     next, or once to load only once (default 5)
//	--samples-per-plugin LIST
//	                     points each time series keeps, per plugin, as
//	                     PLUGIN=N or PLUGIN=all pairs separated by commas, e.g.
//	                     scalars=500,images=all; other plugins keep 1000 scalars,
//	                     100 tensors or 10 blob sequences (default "")
//	--port-file FILE     once bound, write the port and a newline to FILE,
//	                     instead of "listening on HOST:PORT" to stderr
//	--error-file FILE    write a startup error to FILE instead of stderr
//	--die-after-stdin    exit once standard input is closed
//	-v, --verbose        log more: once for load cycles, twice for every run
//	--checksum           stop reading an event file at its first damaged
//	                     record, for the life of the server
//	--no-checksum        skip damaged records and read on (the default)
//	--version            print the version and exit
//
// Every record's checksums are verified whatever the flags: a damaged
// record is never served. Torn tails (a writer still appending) wait for
// the rest of the record.
//
// # Logdirs in object stores
//
// This program links no object-store driver: their SDKs (AWS, Google,
// Azure) would make it four times larger and, since Go initialises every
// linked package at startup, add 25-30 MB to its resident memory, about
// as much as it needs to serve a 2 GB local logdir. Given the URL of
// a logdir in an object store (s3://, gs://, azblob://) it hands the
// whole command line to its companion, tbgo-data-server-cloud, which
// links them: found beside this program's executable, else on PATH, it
// replaces this process (on Unix; elsewhere it runs as a child), so the
// process ID, standard input, the port file and the error file stay
// those TensorBoard knows. Without it such a logdir cannot be served
// (exit status 8, and the error says how to install it). Both are
// installed with
//
//	go install github.com/tbgo/tbgo/cmd/...@latest
//
// which installs every tbgo command, or one at a time:
//
//	go install github.com/tbgo/tbgo/cmd/tbgo-data-server-cloud@latest
//
// # Exit status
//
// 0 after --die-after-stdin saw its input end, or on SIGINT or SIGTERM; 2
// for a usage error; 8 for a logdir that cannot be served (empty, a URL
// of a scheme no driver handles or without tbgo-data-server-cloud, a
// malformed URL, an object that is not an event file), with the reason
// in --error-file; 9 if the address cannot be bound; 1 if the port file
// cannot be written. A bucket that cannot be listed (missing, credentials
// refused) is not a startup error: each load cycle logs why and tries
// again, as for a logdir that does not exist yet.
//
// # Startup
//
// In RustBoard's order, which TensorBoard relies on: check the logdir,
// start watching standard input, bind, write the port file, then load in
// the background while serving. RPCs are answered at once, with what has
// been loaded so far. The command line, its checks and this order are
// package github.com/tbgo/tbgo/dataserver/launch, which
// tbgo-data-server-cloud shares.
package main

import (
	"os"

	"github.com/tbgo/tbgo/dataserver/launch"
)

func main() {
	cmd := &launch.Command{Name: "tbgo-data-server", Companion: "tbgo-data-server-cloud"}
	os.Exit(cmd.Main())
}
