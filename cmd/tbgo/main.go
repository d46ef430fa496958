// Tbgo trains small networks that diagnose themselves, and writes and reads
// TensorBoard event files.
//
// Usage:
//
//	tbgo <command> [flags] [arguments]
//
// The commands are:
//
//	train    train a network on the embedded digits (or a scenario) and log it
//	doctor   run the pre-training checklist and report what to fix
//	sweep    search hyper-parameters from a YAML config
//	demo     write a small logdir with every kind of summary
//	inspect  summarize the runs, tags and steps of a logdir or event file
//	export   export scalars, histograms, text, hparams, images and audio
//	compare  tabulate runs by hparams and chosen tags
//	plot     draw scalars and histograms as PNG or SVG
//	tail     follow a live logdir and print new scalars
//	verify   check every record of a logdir's event files
//	repair   write a repaired copy of damaged event files
//	compact  copy a finished logdir, its runs' segments merged into few objects
//	archive  pack a logdir into one compressed archive
//	restore  unpack an archive into a logdir
//	serve    serve a logdir, archive or bucket to TensorBoard (--grpc_data_provider)
//	board    start TensorBoard on a logdir, archive or bucket, read through tbgo
//	version  print tbgo's version
//
// Run "tbgo <command> -h" for a command's flags and "tbgo -version" (or
// "tbgo version") for the version. Flags may come before or after the
// arguments: "tbgo export runs/ -format parquet" is "tbgo export -format
// parquet runs/"; after "--" everything is an argument.
//
// Commands that read run histories take a logdir, a run directory, an
// event file or a .tbar archive (SOURCE below); their -run and -tag
// patterns are globs matched against the whole name ("*" matches any
// characters, "/" included: names are not paths), or RE2 regular
// expressions matched anywhere when prefixed with "re:", and may be
// repeated. A pattern that selects nothing draws a warning.
//
// Every logdir, run or file a command reads or writes may also be a URL
// of an object store: s3://bucket/prefix (AWS S3 and S3-compatible
// servers; region, endpoint and path style in the query, e.g.
// s3://b/runs?endpoint=http://127.0.0.1:7070&use_path_style=true&region=us-east-1,
// credentials from the standard AWS variables and files), gs://bucket/prefix,
// azblob://container/prefix, file:///abs/path, and mem:// (within one
// process, for tests). So train -logdir, doctor -logdir, demo -logdir, sweep -logdir (and
// the configuration's logdir), inspect, verify, export, compare, plot,
// tail, archive (from a URL), restore (into a URL), repair and compact
// (to a URL) take them; errors name the URL with its secrets redacted. Writers
// upload each run as segments, objects TensorBoard reads as consecutive
// event files (package storage): values reach the bucket within about
// 30 s, and at once when a run ends. Each process writes runs of its own:
// a second writer of a run that another process is writing is refused.
// Nothing in a bucket is ever replaced or deleted: restore, repair and
// compact write into a prefix that holds nothing, with create-only writes.
//
// Every reading command reads event files the same way: a record whose
// checksum fails is skipped, after a length whose checksum fails the read
// resumes at the next valid record, a record over 256 MiB is skipped, an
// event that does not decode or whose wall time is NaN or infinite is
// skipped, and so is a summary value that does not decode; the read goes
// on. So inspect, verify, export, compare, plot and tail see the same
// records, and repair keeps exactly those. Damage is reported in the same
// words by every command ("DAMAGED" or "TORN", then file, offset, kind:
// torn tail, length crc, data crc, too large, invalid event, non-finite
// wall time, invalid value, file checksum), and in JSON reports as
// {"file", "offset", "kind", "bytes", "count", "detail"}. A torn last
// record, which a writer still appending leaves, is not an error.
//
// # train
//
//	tbgo train [-config FILE.yaml] [-scenario NAME] [-list] [-progress auto|bar|lines|quiet]
//	           [-print-config] [-KEY VALUE]...
//
// Train trains a network and logs everything TensorBoard can show about it
// to LOGDIR/<timestamp>-<name>/ (LOGDIR "runs" by default): losses,
// accuracies and the learning rate, gradient norms and update/weight ratios
// per tensor, dead and saturated units, histograms of weights, gradients,
// activations and pre-activations, the first layer's filters, the
// validation confusion matrix, a batch of inputs, the model graph, and an
// HParams session holding every setting and the run information (with the
// dataset's attribution). It checks the diagnostic rules as it goes and
// prints each alert with its suggested fix; each is also a row of the
// diag/alerts text and a diag/flag/<rule> scalar. It ends by printing the
// alerts and the tensorboard command that opens the run.
//
// With no flags it trains the mlp preset on the embedded UCI digits (about
// a second, at least 97% validation accuracy); -preset cnn trains a small
// CNN (at least 98%). -scenario NAME starts from a configuration that
// reproduces one training problem, for learning to read TensorBoard; -list
// shows the scenarios and presets, one line each.
//
// Every setting is a flag named by its dotted key (-schedule.lr 0.01,
// -data.imbalance 20, -model.hidden '[64, 64]'); the short flags -preset,
// -data, -csv, -lr, -batch, -optimizer and -schedule cover the common ones.
// -config reads the same keys from a YAML file, strictly: an unknown key,
// a value of the wrong type or an impossible shape is an error naming the
// file, line and key, before training starts. Flags override the file,
// which overrides the scenario. A CSV with a bad cell, a ragged row, a NaN
// or a label outside -data.classes is an error naming file, line and field.
// -print-config prints the resulting configuration without training.
//
// Progress is a redrawn bar on a terminal and about ten plain lines
// otherwise. Ctrl-C (SIGINT, SIGTERM) stops after the current step: the run
// is evaluated, flushed and its session ended as failed; the exit status is
// then 1. Configuration errors exit with status 2.
//
// # doctor
//
//	tbgo doctor [-checks IDS] [-write=false] [train's flags]
//
// Doctor runs the pre-training checklist on the run "tbgo train" would
// start with the same flags: loss at initialisation against a healthy one, overfitting
// 20 samples, real against zeroed inputs, a gradient check, input
// statistics, class balance, initialisation, and a learning-rate range
// test. It prints pass, warn or FAIL per check with a fix, writes the
// diag/checklist table and the range test's curve to
// LOGDIR/<timestamp>-doctor-<name>/, and exits 1 if a check fails.
//
// # sweep
//
//	tbgo sweep [-parallel N] [-logdir DIR] [-dry-run] [-trial N] CONFIG.yaml
//
// Sweep runs a grid or random search (log-uniform, uniform, int-uniform and
// choice parameters, each naming a setting of train by its dotted key),
// optionally coarse-to-fine, at most N trials at once (the number of CPUs by
// default). Each trial is a run with an HParams session under one experiment
// at the sweep's root, so TensorBoard's HParams dashboard shows the table,
// parallel coordinates and scatter plots. Running it again skips finished
// trials. It prints the best trial, a table of all, and a warning when the
// best value of a parameter sits on the border of its range. -trial N runs
// only trial N (from 0, as -dry-run numbers them) of a single-stage sweep:
// a Slurm job array or a Kubernetes Indexed Job runs one process per
// index, all writing one logdir, an s3:// URL across machines (the
// experiment at the sweep's root merges with conditional writes). In an
// object store, a trial that did not succeed is not trained again into
// its run, which nothing deletes: the error says to delete its objects.
//
// # demo
//
//	tbgo demo [-logdir DIR] [-steps N]
//
// Demo simulates a training run of N steps (200 by default) and writes it
// as two runs, DIR/train and DIR/eval (DIR defaults to "runs/demo"):
// scalars (loss, accuracy, learning rate), histograms of weights and
// activations, images of filters, and text notes and a table. It then
// prints the command that opens them in TensorBoard.
//
// # inspect
//
//	tbgo inspect [-json] SOURCE
//
// Inspect prints what "tensorboard --inspect" prints and more: every run,
// its event files, the tags of each plugin with their step ranges and value
// counts, steps that go backwards, the wall-time span (RFC 3339, UTC), and
// the damage read past, as verify reports it. Names longer than a column
// are shortened, and names that would break a line quoted. With -json it
// prints one JSON document instead, names whole. The exit status is 1 when
// a file is damaged (a torn last record alone is not an error).
//
// # export
//
//	tbgo export [-what KINDS|all] [-format csv|jsonl|parquet] [-layout long|wide]
//	            [-o PATH] [-run P]... [-tag P]... [-view raw|tensorboard] [-strict]
//	            [-spill-after N] SOURCE
//
// Export writes scalars, histograms, text and hparams as tables (CSV, JSON
// Lines or Parquet; long: one row per value, wide: one row per run and step,
// one column per tag) and extracts images and audio to
// RUN/TAG/step<STEP>_<SAMPLE>.<ext> with an index table (names escaped so
// that no tag's files collide with another's directory). It reads what
// TensorBoard shows unless -view raw. "tbgo export -h" lists the columns of
// each table; they are stable, and so is the text: scalars at the precision
// they were stored with, wall times in seconds with six decimals. The wide
// layout holds -spill-after values of a run in memory before it sorts them
// into a temporary file. Output is written under a temporary name and
// renamed, so a failure leaves nothing behind; on a terminal, progress is
// shown on standard error. The library is history/table.
//
// # compare
//
//	tbgo compare [-tag P]... [-run P]... [-stats last,min,max] [-sort [-]COL]...
//	             [-where EXPR]... [-format table|markdown|csv|json] [-width N]
//	             [-view tensorboard|raw] SOURCE
//
// Compare prints one row per run (history.Summarize): status, start time, duration,
// hyper-parameters and run metadata, then the statistics of each chosen
// tag (-stats: the last value, as TensorBoard's HParams table shows, for
// the table and markdown formats; the last, minimum and maximum with
// their steps for csv and json), as TensorBoard shows the runs (-view raw:
// every value as written). The table format fits the terminal, or -width
// characters. The library is history/table (table.Compare).
//
// # plot
//
//	tbgo plot -o FILE.png|FILE.svg|- [-format png|svg] [-tag P]... [-run P]...
//	          [-smooth 0.6] [-x step|relative|wall] [-logy] [-size WxH] [-cols N]
//	          [-dpi 96] [-view tensorboard|raw] [-max-charts 64] SOURCE
//
// Plot draws one chart per tag as TensorBoard does: scalars as a debiased
// exponential moving average over the faint raw curve, several runs
// overlaid, and histograms as the percentile bands of the Distributions
// dashboard (with several runs, each run's middle 68% and median). One
// legend below the charts names the runs, each in its own colour (dashed
// past the seventh); the axes are marked at round values and times. -o -
// writes the image to standard output (PNG unless -format svg). -dpi scales
// a PNG's text, -view raw plots every value as written. More tags than
// -max-charts is an error that says how many there are: choose some with
// -tag. A PNG may have at most 40 million pixels.
//
// # tail
//
//	tbgo tail [-run P]... [-tag P]... [-poll D] [-all] [-format text|csv|jsonl] LOGDIR|RUN|FILE
//
// Tail follows a live logdir, picking up new runs and files, and prints new
// scalars as they are written until interrupted: wall time (RFC 3339),
// run, tag, step and value, the value at the precision it was stored with
// (a float32 0.1 prints as 0.1). -all prints what was written before too.
// A logdir that does not exist yet, or holds no event file yet, is waited
// for. It looks every -poll: 1s by default, 5s in an object store, where a
// look costs one listing of the logdir and a read per run (the segments a
// later one follows are let go).
//
// # verify
//
//	tbgo verify [-strict] [-json] [-q] SOURCE...
//
// Verify checks every record's checksums and that it decodes as an Event
// with a finite wall time and decodable summary values, and reports damage
// with file, offset and kind, reading on past it; in an archive it checks
// every file against its SHA-256 too. -q prints only the damage and the
// verdict. It exits 0 when everything is intact; a torn last record (what a
// live writer leaves) passes unless -strict. A file with a million damaged
// records lists the first 100 and counts the rest. On a terminal it shows
// its progress on standard error.
//
// # repair
//
//	tbgo repair [-json] SOURCE DEST
//
// Repair writes a repaired copy that leaves out exactly what verify
// reports: sound records byte for byte; torn tails, corrupt records, events
// that do not decode or whose wall time is not finite dropped and counted;
// a record holding values that do not decode rewritten without them;
// reading resynchronised after a damaged length. The copy verifies, even
// with -strict. The source is never modified. A DEST URL gets the copy
// made in a temporary directory, then uploaded, create-only, into a
// prefix that must hold nothing.
//
// # compact
//
//	tbgo compact [-max-size MiB] [-json] SOURCE DEST
//
// Compact writes a copy of a finished logdir or run in which the segments
// a writer uploaded to a bucket (one per 25 s of steady writing, 3456 a
// day) are merged, in name order, into objects of up to -max-size MiB (64
// by default), each named like its first segment and beginning with its
// file_version record; every other record is copied byte for byte, other
// event files and files as they are. Every reader, TensorBoard included,
// reads the same values from the copy, each once, from far fewer objects.
// It prints, per run, the event files and bytes before and after. A run
// written less than 1m50s ago is refused (a writer may still be adding
// segments), and so is a run with damage (repair it first, then compact
// the repaired copy). DEST, a directory or a URL, must be empty; a copy
// into a bucket is staged on local disk first. The source is never
// modified: a TensorBoard watching it sees nothing change, and one
// pointed at DEST shows every value once. Deleting the source while a
// TensorBoard watches it stops its reloads (the Python loader's, on
// s3://): restart TensorBoard on DEST.
//
// # archive and restore
//
//	tbgo archive [-f] [-keep-images N] [-keep-audio N] [-thin-scalars K] [-json] LOGDIR OUT.tbar
//	tbgo restore [-overwrite] ARCHIVE DIR
//
// Archive packs a logdir into one Snappy-compressed file with a manifest and
// a SHA-256 per file; the optional compaction (keep the last N images or
// audio clips per tag, keep every K-th scalar) is lossy and reported.
// Restore reproduces the logdir byte for byte and refuses paths that would
// escape DIR. Archive reads a logdir at a URL as well; restore into a URL
// checks every file first, then writes each as an object, create-only,
// into a prefix that must hold nothing (-overwrite is refused there).
//
// # serve and board
//
//	tbgo serve [-addr localhost:6806] [-reload 5s] [-samples-per-plugin LIST] LOGDIR|ARCHIVE|URL
//	tbgo board [-tensorboard CMD] [-reload 5s] [-samples-per-plugin LIST] LOGDIR|ARCHIVE|URL [-- TENSORBOARD FLAGS]
//
// Serve is TensorBoard's data server over a logdir, a .tbar archive (read
// in place) or a logdir in an object store (an s3://, gs://, azblob:// or
// file:// URL, read with one listing per reload): it answers TensorBoard's data provider RPCs on -addr until
// interrupted, for "tensorboard --grpc_data_provider=ADDR". It reloads the
// logdir every -reload (0 loads once), picking up new runs, files and
// records; -samples-per-plugin sets how many points a time series keeps,
// as PLUGIN=N or PLUGIN=all pairs (TensorBoard's defaults otherwise: 1000
// scalars, 100 tensors, 10 images or audio clips). Board does the same on
// a free local port and starts the tensorboard command (on PATH by
// default) attached to it, with the flags after "--" (say --port 6007),
// and prints the URL to open; TensorBoard is given the logdir itself only
// when it is a local directory, so the projector, which reads its files
// directly, works with a local logdir only. docs/DATASERVER.md lists what tbgo serves
// differently from TensorBoard's own data server; cmd/tbgo-data-server is
// the same server with that server's command line.
//
// Exit status is 2 for a usage error and 1 for any other failure. Results
// go to standard output; status messages, warnings and errors to standard
// error, prefixed with "tbgo:".
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/runes"
	"github.com/tbgo/tbgo/tfevents"
)

// errUsage marks errors caused by how tbgo was invoked.
var errUsage = errors.New("usage")

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "tbgo: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "tbgo: %v\n", err)
		os.Exit(1)
	}
}

// command is one subcommand of tbgo.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train a network on the embedded digits (or a scenario) and log it", runTrain},
		{"doctor", "run the pre-training checklist and report what to fix", runDoctor},
		{"sweep", "search hyper-parameters from a YAML config", runSweep},
		{"demo", "write a small logdir with every kind of summary", runDemo},
		{"inspect", "summarize the runs, tags and steps of a logdir or event file", runInspect},
		{"export", "export scalars, histograms, text, hparams, images and audio", runExport},
		{"compare", "tabulate runs by hparams and chosen tags", runCompare},
		{"plot", "draw scalars and histograms as PNG or SVG", runPlot},
		{"tail", "follow a live logdir and print new scalars", runTail},
		{"verify", "check every record of a logdir's event files", runVerify},
		{"repair", "write a repaired copy of damaged event files", runRepair},
		{"compact", "copy a finished logdir, its runs' segments merged into few objects", runCompact},
		{"archive", "pack a logdir into one compressed archive", runArchive},
		{"restore", "unpack an archive into a logdir", runRestore},
		{"serve", "serve a logdir, archive or bucket to TensorBoard (--grpc_data_provider)", runServe},
		{"board", "start TensorBoard on a logdir, archive or bucket, read through tbgo", runBoard},
		{"version", "print tbgo's version", runVersion},
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command", errUsage)
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	case "-version", "--version":
		return runVersion(args[1:], stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: tbgo <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"tbgo <command> -h\" for a command's flags, \"tbgo -version\" for the version.")
}

// newFlagSet returns a flag set for a subcommand that reports errors
// instead of exiting, with a usage line.
func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tbgo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tbgo %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, in which flags may come before, between and
// after the arguments (tbgo export runs/ -format parquet), as the flag
// package alone does not allow; after "--" everything is an argument.
// fs.Args returns the arguments then. Flag errors become usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stops at the first argument, or just after "--".
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// writeJSON writes v to w as indented JSON, the -json form of the
// commands' reports.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	version := "(devel)"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		version = info.Main.Version
	}
	fmt.Fprintf(stdout, "tbgo %s\n", version)
	return nil
}

// Widths of what a text report prints: a name (a run, a tag) and a line
// describing damage, in runes. Longer ones are shortened with "…"; the
// -json forms have them whole.
const (
	maxNameWidth   = 80
	maxDamageWidth = 400
)

// shorten returns s cut to at most n runes, the last of them "…" if s was
// cut: runes.Shorten, which the text tables of history/table use too.
func shorten(s string, n int) string { return runes.Shorten(s, n) }

// display returns a name as a text report prints it: quoted if it holds
// characters that would break a line or a column, or is not UTF-8, and
// shortened to n runes.
func display(s string, n int) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		s = strconv.Quote(s)
	}
	return shorten(s, n)
}

// formatWallTime formats a wall time in seconds since the Unix epoch as
// RFC 3339 in UTC, to the millisecond, or, outside the years 1970 to 9999,
// as seconds.
func formatWallTime(secs float64) string {
	if !(secs >= 0 && secs < 253402300800) { // NaN too
		return strconv.FormatFloat(secs, 'g', -1, 64) + " s"
	}
	return wallTime(secs).Format("2006-01-02T15:04:05.000Z07:00")
}

// wallTime returns the time secs seconds after the Unix epoch, in UTC.
func wallTime(secs float64) time.Time {
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

// writeDamage prints each damage on a line of its own, indented, as
// DAMAGED or TORN (a torn tail, which a writer still appending leaves)
// then the words of tfevents.Damage's Error; then a line counting those
// omitted.
func writeDamage(w io.Writer, indent string, ds []*tfevents.Damage, omitted int) {
	for _, d := range ds {
		label := "DAMAGED"
		if d.Torn() {
			label = "TORN"
		}
		fmt.Fprintf(w, "%s%s %s\n", indent, label, display(d.Error(), maxDamageWidth))
	}
	if omitted > 0 {
		fmt.Fprintf(w, "%s... and %d more (the first %d are listed)\n", indent, omitted, tfevents.MaxLoggedDamage)
	}
}

// openSource opens a run history with history.Open and warns on stderr
// about what discovery left out of it.
func openSource(path string, stderr io.Writer) (*history.Source, error) {
	src, err := history.Open(path)
	if err != nil {
		return nil, err
	}
	warnSkipped(stderr, src)
	return src, nil
}
