// Package dataserver is tbgo's data server for TensorBoard: it implements
// TensorBoard's data provider gRPC service
// (tensorboard.data.TensorBoardDataProvider, package
// proto/dataproviderpb) over a logdir, so that stock TensorBoard shows
// every dashboard from data tbgo loads. Command tbgo-data-server wraps it
// with the command line of TensorBoard's own Rust data server
// ("RustBoard"), which TensorBoard then launches in its place; that
// command line is package dataserver/launch, which also runs
// tbgo-data-server-cloud, the same command with the object-store drivers.
//
// # Serving
//
// New takes the logdir as a file system and a root in it, so a directory
// (os.DirFS), a tbgo archive (archive.Open), a logdir in an object store
// (storage.Open) and any other fs.FS are served by the same code;
// OpenLogdir opens a path or a URL as one of these. Serve answers RPCs on
// a listener while Run loads in the background: RPCs are answered at
// once, from what has been loaded so far.
//
//	l, err := dataserver.OpenLogdir("runs/") // or "s3://bucket/runs?region=eu-west-1"
//	...
//	s := dataserver.New(l.FS, l.Root, l.Name, &dataserver.Options{Reload: 5 * time.Second})
//	lis, err := net.Listen("tcp", "localhost:6806")
//	...
//	err = s.Serve(ctx, lis) // tensorboard --grpc_data_provider=localhost:6806
//
// # Loading
//
// A load cycle discovers the runs as TensorBoard does
// (tfevents.DiscoverRunsFS: every directory holding an event file), drops
// the runs that are gone and reads every run's event files, in name
// order, from where the last cycle stopped. Records are read through
// tfevents.Scanner, which verifies both checksums of every record: a
// partial record at the end of a file (a writer still appending) waits
// for the next cycle; damaged records are skipped, or with
// Options.Checksum end the file for the life of the server. Events are
// decoded by summary.Decoder, scalars on its allocation-free path.
//
// A logdir in an object store that OpenLogdir opened is listed once per
// cycle, all of it in one recursive listing (a request per 1000 objects),
// and its runs are discovered in that listing; an object is read when it
// is new, from its start with one streaming read, and again only when the
// listing shows it longer than what has been read, from there to its
// end with one streaming read. A cycle that finds nothing new makes the
// listing's requests and no others. Runs load one per CPU at a time, a
// bucket's 16 at a time, so that their requests overlap; a failed
// request is retried by the next cycle. Every wait for the store is
// bounded by its request timeout (storage.StoreOptions.RequestTimeout),
// and a cycle whose context is done ends its requests under way. Object stores need the drivers of
// github.com/tbgo/tbgo/storage/cloud, which a program imports.
//
// # Time series
//
// As in TensorBoard's data server, a time series (a run's tag) takes its
// metadata and data class from its first value: a data class the
// metadata sets, or the class the value's legacy form or plugin name
// implies; a series no class claims is never served. Each point is
// converted to its series' class (a scalar, a tensor, or a sequence of
// blobs such as images); one that does not convert is kept but never
// served, so that List* skips a series with no good point while Read*
// returns it empty. A point preempts the points of its series whose step
// is not smaller (a job restarted from a checkpoint rewrites the steps
// after it), and a series keeps a reservoir sample of its points, the
// newest always among them: by default 1000 scalars, 100 tensors or 10
// blob sequences, or Options.Samples per plugin.
//
// Unlike the Rust server, and like TensorBoard's Python loader, a
// SessionLog START after the first in a run purges every series of the
// run from its step on, so that a run resumed with a purge step shows
// what the Python loader shows. The other deliberate differences are
// listed in docs/DATASERVER.md.
//
// # Memory
//
// Points are stored as parallel columns (step, wall time, value), 16
// bytes for a scalar (steps are 4-byte offsets while they fit). Tensors and blobs (histograms, images, audio,
// graphs...) are not kept: a point records where its record lies in its
// event file, and ReadTensors and ReadBlob read and convert it again,
// checking its checksum; a file stays open while its run lives, so a
// deleted file's points are still served. Only files that cannot be read
// at an offset (an fs.File that is not an io.ReaderAt) have their values
// held in memory, and objects in a bucket their tensors (a ReadTensors
// would cost a request per point; a blob, read one per ReadBlob, is read
// again with one ranged read). Between load cycles a file keeps no
// buffer, only its offset.
package dataserver
