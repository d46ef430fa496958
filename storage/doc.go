// Package storage is tbgo's one seam to where logdirs live: a directory on
// the local file system or a prefix in an object store (S3 and
// S3-compatible servers, Google Cloud Storage, Azure Blob Storage).
//
// Open takes a path or a URL and returns a Store, which offers the logdir
// two ways:
//
//   - FS, a read-only, listable file system (io/fs), what
//     tfevents.DiscoverRunsFS and history read: a directory, an archive and
//     a bucket are read by the same code. In a bucket, a directory listing
//     is one delimited LIST whose entries carry sizes (no per-file HEAD),
//     a file is read with one streaming GET, and Seek, ReadAt and a Read
//     past the end start a ranged GET from the offset asked, for followers.
//   - Bucket, where objects are put, immutable: Write creates an object
//     that must not exist, or replaces one only if it is unchanged since it
//     was read. Nothing else: no append, no unconditional overwrite, no
//     delete.
//
// On that Bucket, NewSink uploads an event file as segments, Update
// merges into an object without losing a concurrent update, Put creates
// an object with retries, and PutFS copies a tree (an archive being
// restored, a repaired copy) into a prefix that holds nothing.
//
// The writers and readers of tbgo take a location wherever they take a
// path (summary.NewWriter, summary.WriteExperiment, history.Open and
// Follow, archive.Create and Extract, every tbgo command): Join names a
// run below a location, a path or a URL alike, Local tells whether it is
// on the local disk, and Display names it in messages.
//
// # Locations and drivers
//
// Paths and file:// URLs are served by this package. Other schemes come
// from drivers registered by an import: github.com/tbgo/tbgo/storage/cloud
// registers s3://, gs://, azblob:// and mem://, through gocloud.dev/blob.
// The split keeps the AWS, Google and Azure SDKs out of every program
// that logs to local disk only; a test pins it (go list -deps). Errors
// name the location with secrets redacted (Redact), and wrap ErrNotExist
// (a missing bucket or object), ErrPermission (refused credentials),
// ErrUnknownScheme, ErrExist and ErrPrecondition (a refused conditional
// write) or ErrTransient (worth retrying).
//
// # Segments: why, and the policy
//
// Object stores cannot append, so a Sink keeps what the event writer
// hands it in memory and uploads it as a sequence of objects that
// TensorBoard's loaders read as consecutive event files of the run. What
// the loaders do with several files in a run decides the rules:
//
//   - Both read a run's files in byte order of their names, and the
//     Python loader (the one TensorBoard uses for s3://) never goes back:
//     an object whose name sorts before one it has read is never read.
//     Segment names carry a zero-padded start second and sequence number,
//     so they only ever sort forward.
//   - A file cut inside a record loses the rest of the next file in both
//     loaders: every segment holds whole records (the Sink finds record
//     boundaries in the TFRecord framing itself), and begins with a
//     file_version record.
//   - Replacing or deleting an object a TensorBoard is reading kills the
//     Python loader's reload thread or duplicates points: segments are
//     created with create-only writes, and never touched again but for
//     the opt-in open segment below, which only ever grows.
//
// By default a segment is never rewritten, so every byte is uploaded
// once (bytes uploaded = event bytes plus a file_version record of about
// 40 bytes per segment), and the policy is a single trade: MaxAge, how
// long records wait, against the number of objects. A run that writes
// without pause makes one segment per MaxAge:
//
//	policy                          visible within  objects / 24 h  requests / 24 h        bytes uploaded
//	MaxAge 25 s (default)           about 30 s      3456            3456 PUT               1.001x
//	MaxAge 5 min                    about 5 min     288             288 PUT                1.0001x
//	MaxAge 25 s, SegmentAge 5 min   about 30 s      288             3456 PUT, 3168 HEAD    about 6.5x
//
// (plus one object per MaxSize, 8 MiB, of data; a run that pauses makes
// fewer). The last row is SinkOptions.SegmentAge, the open segment: S3
// cannot append, so to get both, values within 30 s and a few hundred
// objects a day, the Sink rewrites its segment in place at each upload,
// its bytes first and the new records after, with a conditional write
// (If-Match on the version a Stat found, after checking its size is what
// the Sink stored), and seals it after SegmentAge or at MaxSize. k
// uploads of a segment upload (k+1)/2 times its data: 12 uploads of a
// 5-minute segment, 6.5 times. TensorBoard's Python loader, and tbgo's
// readers (history.Follow, the data server), read an object that grew,
// same bytes first, from where they were (RustBoard on GCS does too, by
// its code; untested); replacing one with other bytes, or deleting it,
// breaks the Python loader. It is not the default because of the bytes:
// the goal of at most 1.1 times the event bytes uploaded holds only when
// each byte is uploaded once. Nor is it for a local directory, where
// NewSink refuses it: a directory replaces a file by renaming a new one
// over it, and RustBoard keeps reading the old one (a local run is one
// event file, appended to, anyway).
//
// Readers pay per object: TensorBoard's Python loader on S3 tails only
// the newest file (per run and reload: one delimited LIST, one GET, one
// HEAD, plus a LIST page per 1000 objects of the logdir), but catching up
// after a restart reads every object; RustBoard keeps every file of a run
// open and reads each once per reload (on GCS, a GET per object per
// reload). For long runs, choose MaxAge 5 minutes if nobody watches them
// live, SegmentAge 5 minutes if someone does and the bytes are cheap.
// Once a run is finished, history's Source.Compact (tbgo compact) writes
// a copy of it to a new location with each writer's segments merged into
// a few objects (SplitSegment tells a segment's writer by its name); the
// run itself is left as it is, since rewriting it would break a
// TensorBoard watching it.
//
// Sync (which tfevents.Writer calls from Flush and Close) uploads at once
// and returns when the segment is stored: a Flush is a PUT and an object
// (a rewrite, with SegmentAge), so call it at checkpoints, not every
// step. A timed flush of the summary writer hands records to the Sink
// without Sync, and costs nothing.
//
// # One writer per run
//
// Two processes writing one tag of one run lose points in both loaders:
// RustBoard drops the points of one file at steps the other has passed,
// and the Python loader reads one file after the other and then tails the
// last. Processes of a distributed job or the trials of a sweep write
// sibling runs under one logdir (runs/rank0, runs/rank1, ...). NewSink
// refuses a run another writer wrote in the last BusyWindow (ErrRunBusy),
// and a segment name taken meanwhile is a sticky ErrCollision; the names
// include host and pid, so only two containers with the same host name,
// pid and start second can collide. summary.NewWriter uploads its first
// event as it opens, so that a run is claimed from the start: two
// processes that open one run within the same few milliseconds can still
// both pass the check.
//
// # Conditional writes
//
// Update reads an object with its version and writes the merged result
// only if the version still matches, and a Sink with SegmentAge rewrites
// its open segment the same way: S3 If-Match on the ETag (AWS since
// November 2024; S3-compatible servers vary: versitygw and SeaweedFS
// honour it, check yours), GCS ifGenerationMatch, Azure If-Match; a local
// directory holds flock on the directory while it compares and renames.
// mem:// emulates it within one process. Create-only writes use S3
// If-None-Match: * (AWS since August 2024), GCS ifGenerationMatch=0,
// Azure If-None-Match: *, and link(2) on a local disk.
package storage
