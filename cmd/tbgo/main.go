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
//	archive  pack a logdir into one compressed archive
//	restore  unpack an archive into a logdir
//	serve    serve a logdir or archive to TensorBoard (--grpc_data_provider)
//	board    start TensorBoard on a logdir or archive, read through tbgo
//	version  print tbgo's version
//
// Run "tbgo <command> -h" for a command's flags. Commands that read run
// histories take a logdir, a run directory, an event file or a .tbar
// archive (SOURCE below); their -run and -tag patterns are globs matched
// against the whole name, or RE2 regular expressions matched anywhere when
// prefixed with "re:", and may be repeated.
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
// only trial N (from 0, as -dry-run numbers them) of a single-stage sweep.
//
// # demo
//
//	tbgo demo [-logdir DIR] [-steps N]
//
// Demo writes two runs, DIR/train and DIR/eval (DIR defaults to
// "runs/demo"), holding scalars, histograms, images and text, then prints
// the command that opens them in TensorBoard.
//
// # inspect
//
//	tbgo inspect [-json] SOURCE
//
// Inspect prints what "tensorboard --inspect" prints and more: every run,
// its event files, the tags of each plugin with their step ranges and value
// counts, steps that go backwards, the wall-time span, and every corrupt or
// torn record with its file and offset. With -json it prints one JSON
// document instead. The exit status is 1 when a file has a corrupt record
// (a torn last record alone, which a running writer leaves, is not an
// error).
//
// # export
//
//	tbgo export [-what KINDS|all] [-format csv|jsonl|parquet] [-layout long|wide]
//	            [-o PATH] [-run P]... [-tag P]... [-view raw|tensorboard] [-strict] SOURCE
//
// Export writes scalars, histograms, text and hparams as tables (CSV, JSON
// Lines or Parquet; long: one row per value, wide: one row per run and step,
// one column per tag) and extracts images and audio to files named by run,
// tag and step with an index table. "tbgo export -h" lists the columns of
// each table; they are stable. Output is written under a temporary name and
// renamed, so a failure leaves nothing behind.
//
// # compare
//
//	tbgo compare [-tag P]... [-run P]... [-stats last,min,max] [-sort [-]COL]...
//	             [-where EXPR]... [-format markdown|csv|json] SOURCE
//
// Compare prints one row per run: status, start time, duration,
// hyper-parameters and run metadata, then the last, minimum and maximum of
// each chosen tag with the steps of the minimum and maximum.
//
// # plot
//
//	tbgo plot -o FILE.png|FILE.svg [-tag P]... [-run P]... [-smooth 0.6]
//	          [-x step|relative|wall] [-logy] [-size WxH] [-cols N] SOURCE
//
// Plot draws scalars as TensorBoard does, a debiased exponential moving
// average over the faint raw curve, several runs overlaid, and histograms
// as the percentile bands of the Distributions dashboard.
//
// # tail
//
//	tbgo tail [-run P]... [-tag P]... [-poll 1s] [-all] [-format text|csv|jsonl] LOGDIR|RUN|FILE
//
// Tail follows a live logdir, picking up new runs and files, and prints new
// scalars as they are written until interrupted.
//
// # verify
//
//	tbgo verify [-strict] [-json] [-q] SOURCE...
//
// Verify checks every record's checksums and that it decodes as an Event
// with decodable summary values, and reports damage with file, offset and
// kind, reading on past it. It exits 0 when everything is intact; a torn
// last record (what a live writer leaves) passes unless -strict.
//
// # repair
//
//	tbgo repair [-json] SOURCE DEST
//
// Repair writes a repaired copy: valid records byte for byte, torn tails
// and corrupt records dropped and counted, reading resynchronised after a
// damaged length. The source is never modified.
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
// escape DIR.
//
// # serve and board
//
//	tbgo serve [-addr localhost:6806] [-reload 5s] [-samples-per-plugin LIST] LOGDIR|ARCHIVE
//	tbgo board [-tensorboard CMD] [-reload 5s] [-samples-per-plugin LIST] LOGDIR|ARCHIVE [-- TENSORBOARD FLAGS]
//
// Serve is TensorBoard's data server over a logdir or a .tbar archive (read
// in place): it answers TensorBoard's data provider RPCs on -addr until
// interrupted, for "tensorboard --grpc_data_provider=ADDR". It reloads the
// logdir every -reload (0 loads once), picking up new runs, files and
// records; -samples-per-plugin sets how many points a time series keeps,
// as PLUGIN=N or PLUGIN=all pairs (TensorBoard's defaults otherwise: 1000
// scalars, 100 tensors, 10 images or audio clips). Board does the same on
// a free local port and starts the tensorboard command (on PATH by
// default) attached to it, with the flags after "--" (say --port 6007),
// and prints the URL to open. docs/DATASERVER.md lists what tbgo serves
// differently from TensorBoard's own data server; cmd/tbgo-data-server is
// the same server with that server's command line.
//
// Exit status is 2 for a usage error and 1 for any other failure; messages
// go to standard error prefixed with "tbgo:".
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
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
		{"archive", "pack a logdir into one compressed archive", runArchive},
		{"restore", "unpack an archive into a logdir", runRestore},
		{"serve", "serve a logdir or archive to TensorBoard (--grpc_data_provider)", runServe},
		{"board", "start TensorBoard on a logdir or archive, read through tbgo", runBoard},
		{"version", "print tbgo's version", runVersion},
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command", errUsage)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		usage(stdout)
		return nil
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
	fmt.Fprintln(w, "\nRun \"tbgo <command> -h\" for a command's flags.")
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

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
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
