// Package history reads run histories back: the event files of a logdir, a
// run directory, a single event file or a tbgo archive, written by tbgo,
// tensorboardX, PyTorch or TensorFlow (legacy and modern forms alike). It
// is the reading layer under every tbgo command that reads: inspect,
// verify, repair, compact, export (history/table), compare, plot
// (history/chart), tail, and the data server.
//
// # Opening
//
// Open takes a path and finds the runs in it exactly as TensorBoard does
// (tfevents.DiscoverRunsFS): every directory that directly holds an event
// file is a run, named by its path relative to the logdir, the logdir
// itself being ".". An archive made by "tbgo archive" is read in place,
// through its file system, without unpacking. A path holding no event
// file is an error wrapping tfevents.ErrNoEventFiles; a file that is
// neither an event file nor an archive one wrapping ErrUnknownFormat.
// What discovery leaves out (a name that is not UTF-8, a second link to a
// directory already read) is listed by Source.Skipped, never an error.
//
// # Selecting runs and tags
//
// Options.Runs and Options.Tags are Matchers compiled from patterns:
// globs by default, matched against the whole name ("*" matches any
// characters, "/" included: names are names, not paths), or regular
// expressions with the "re:" prefix, matched anywhere in the name as
// TensorBoard's filter boxes match them. Matcher.Unmatched tells which
// patterns selected nothing.
//
//	m, _ := history.Compile("train", "eval/*", "re:^sweep/lr=0\\.1")
//
// # Streaming
//
// Source.Values calls a function with every decoded value (summary.Value
// with its run, file and record offset); Source.Scalars with every scalar
// only, through summary.Decoder's allocation-free fast path. Both go run
// by run in name order, file by file in name order (the order TensorBoard
// reads them), record by record, and hold one record at a time: memory
// does not grow with the logdir.
//
// On a machine with several CPUs, Scalars decodes several runs at once,
// each a few thousand values ahead, and still hands them over in order.
// MapScalars goes further for work that is heavy per value, such as
// formatting rows of text: a function of the caller's turns each batch of
// a run's scalars into its own result (a chunk of text) in the goroutine
// that decoded it, and the results come back in order.
//
// Every file is read by tfevents.Scanner, with its one policy for damage:
// a damaged record is skipped, after a bad length checksum the read
// resumes at the next valid record, a record too large is skipped, and so
// is an event that does not decode, one whose wall time is not finite, or
// a value that does not decode; the read goes on. Each is reported as a
// *tfevents.Damage to Options.Damaged; without it, the read returns a
// *DamageError at its end. Options.Strict ends the read at the first
// damage instead. A torn last record, which a writer still appending
// leaves, is reported but never an error.
//
// # What TensorBoard would show
//
// Event files can hold more than TensorBoard shows: a run resumed from a
// checkpoint re-logs steps it had logged before, and a writer may log a
// tag twice at one step. Options.View chooses:
//
//   - Raw (the zero View) returns every value as written.
//   - TensorBoard returns what TensorBoard's data server (the Rust
//     loader, its default since 2.5) keeps: within a series (run, tag), a
//     value preempts every earlier value whose step is not smaller, so
//     steps strictly increase, a restart hides the orphaned values it
//     re-logs, and of several values at one step the last wins. Reading
//     this way takes two passes over each run; the state between them is
//     a few words per series and per restart.
//
// TensorBoard's Python loader (--load_fast=false) differs in two ways
// that this package does not reproduce: it purges on a SessionLog START
// that follows an earlier one (for every tag, even ones not re-logged),
// and in files without a file_version it purges on any step that goes
// back. Neither loader's downsampling (by default 1000 scalars, 10 images
// per series) is applied: every kept value is returned.
//
// # Checking, inspecting, repairing, following
//
// Source.Verify checks every record of every file (both checksums, that
// it decodes as an Event with a finite wall time, that its values decode)
// and, in an archive, every member's SHA-256, returning a report per file
// with its damage. Source.Inspect summarises runs, files, tags per plugin,
// step ranges and damage, as "tensorboard --inspect" does and more.
// Source.Repair writes a copy keeping every valid record byte for byte,
// dropping damage and the values that do not decode, so that Verify
// passes on it. All three judge damage alike, by one record checker, and
// hold memory bounded by the largest record. Source.Compact writes a copy
// of a finished logdir in which the many segments a storage.Sink uploaded
// for each writer are merged into a few objects, every record copied byte
// for byte; it refuses a run written in the last two minutes, or damaged.
// Follow watches a logdir that
// is still being written, picking up new runs and files and waiting for
// torn records to complete, and hands each new scalar to a function.
//
// # Sessions, summaries, smoothing and distributions
//
// Session collects a run's HParams session: hyper-parameters, group, start
// time, status and end time. Summarize gives, for each run, its session
// (or the one it inherits from an ancestor run, as the HParams dashboard
// joins them), its time span and the count, last, minimum and maximum of
// each scalar series: the one definition of a series' last value in tbgo,
// which in the TensorBoard view is the last value TensorBoard shows. Smooth is the scalar dashboard's debiased
// exponential moving average and Distribution the Distributions
// dashboard's quantiles of a histogram, each computed as TensorBoard
// computes them.
package history
