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
//	go install github.com/tbgo/tbgo/cmd/tbgo-data-server@latest
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
// The object-store drivers (github.com/tbgo/tbgo/storage/cloud, with the
// AWS, Google and Azure SDKs) make the binary four times larger and add
// about 30 MB to its resident memory, the pages their initialisation
// touches. Built with -tags tbgo_nocloud, the server reads local logdirs
// and archives only, and refuses URLs other than file:// (exit status 8).
//
// # Exit status
//
// 0 after --die-after-stdin saw its input end, or on SIGINT or SIGTERM; 2
// for a usage error; 8 for a logdir that cannot be served (empty, a URL
// of a scheme no driver handles, a malformed URL, an object that is not
// an event file), with the reason in --error-file; 9 if the address
// cannot be bound; 1 if the port file cannot be written. A bucket that
// cannot be listed (missing, credentials refused) is not a startup error:
// each load cycle logs why and tries again, as for a logdir that does not
// exist yet.
//
// # Startup
//
// In RustBoard's order, which TensorBoard relies on: check the logdir,
// start watching standard input, bind, write the port file, then load in
// the background while serving. RPCs are answered at once, with what has
// been loaded so far.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tbgo/tbgo/dataserver"
)

// Exit statuses, as RustBoard's.
const (
	exitFailure   = 1
	exitUsage     = 2
	exitBadLogdir = 8
	exitBind      = 9
)

// exitError is an error that ends the program with a status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// gcPercent is the garbage collector's target when GOGC is not set. The
// index is small and long-lived, and loading scalars allocates nothing, so
// collecting four times as often as Go's default costs a few percent of
// CPU and cuts the heap's headroom from 100% of the index to 25%.
const gcPercent = 25

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(os.Stderr, "tbgo-data-server: %v\n", ee.err)
		}
		os.Exit(ee.code)
	default:
		fmt.Fprintf(os.Stderr, "tbgo-data-server: %v\n", err)
		os.Exit(exitFailure)
	}
}

// config is the parsed command line.
type config struct {
	logdir        string
	host          string
	port          uint
	reload        string
	samples       string
	portFile      string
	errorFile     string
	dieAfterStdin bool
	verbose       int
	checksum      bool
	version       bool
}

// counter is a flag that counts its occurrences, like -v -v.
type counter struct{ n *int }

func (c counter) String() string {
	if c.n == nil {
		return "0"
	}
	return strconv.Itoa(*c.n)
}
func (c counter) Set(string) error { *c.n++; return nil }
func (c counter) IsBoolFlag() bool { return true }

// checksumFlag sets the shared checksum setting to its value; the last of
// --checksum and --no-checksum wins.
type checksumFlag struct {
	p  *bool
	to bool
}

func (c checksumFlag) String() string   { return "false" }
func (c checksumFlag) Set(string) error { *c.p = c.to; return nil }
func (c checksumFlag) IsBoolFlag() bool { return true }

func parse(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("tbgo-data-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tbgo-data-server --logdir PATH [--host HOST] [--port N] [--reload SECS|once]\n"+
			"       [--samples-per-plugin PLUGIN=N|all,...] [--port-file FILE] [--error-file FILE]\n"+
			"       [--die-after-stdin] [-v|--verbose] [--checksum|--no-checksum] [--version]")
	}
	logdir := fs.String("logdir", "", "the logdir to serve")
	fs.StringVar(&c.host, "host", "localhost", "the host to bind to")
	fs.UintVar(&c.port, "port", 6806, "the port to bind to; 0 picks a free one")
	fs.StringVar(&c.reload, "reload", "5", "seconds between load cycles, or once")
	fs.StringVar(&c.samples, "samples-per-plugin", "", "points kept per time series, as PLUGIN=N|all,...")
	fs.StringVar(&c.portFile, "port-file", "", "write the bound port to this file")
	fs.StringVar(&c.errorFile, "error-file", "", "write startup errors to this file")
	fs.BoolVar(&c.dieAfterStdin, "die-after-stdin", false, "exit once standard input is closed")
	fs.Var(counter{&c.verbose}, "v", "log more (repeat for more)")
	fs.Var(counter{&c.verbose}, "verbose", "log more (repeat for more)")
	fs.Var(checksumFlag{&c.checksum, true}, "checksum", "stop reading a file at its first damaged record")
	fs.Var(checksumFlag{&c.checksum, false}, "no-checksum", "skip damaged records (the default)")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	if err := fs.Parse(expandShort(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &exitError{exitUsage, nil} // the flag package said why
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "tbgo-data-server: "+format+"\n", a...)
		fs.Usage()
		return &exitError{exitUsage, nil}
	}
	if fs.NArg() > 0 {
		return nil, usage("unexpected argument %q", fs.Arg(0))
	}
	if c.version {
		return c, nil
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "logdir" })
	if !set {
		return nil, usage("--logdir is required")
	}
	c.logdir = *logdir
	if c.port > 65535 {
		return nil, usage("--port %d is not a port", c.port)
	}
	if c.reload != "once" {
		if _, err := strconv.ParseUint(c.reload, 10, 63); err != nil {
			return nil, usage("--reload %q: want whole seconds or once", c.reload)
		}
	}
	if _, err := dataserver.ParseSamples(c.samples); err != nil {
		return nil, usage("--samples-per-plugin: %v", err)
	}
	return c, nil
}

// expandShort turns -vv (as TensorBoard passes it through
// --extra_data_server_flags) into -v -v.
func expandShort(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] == 'v' && strings.Trim(a[1:], "v") == "" {
			for range len(a) - 1 {
				out = append(out, "-v")
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if c.version {
		v := "(devel)"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
			v = info.Main.Version
		}
		fmt.Fprintf(stdout, "tbgo-data-server %s\n", v)
		return nil
	}
	level := slog.LevelWarn
	switch {
	case c.verbose == 1:
		level = slog.LevelInfo
	case c.verbose > 1:
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	samples, _ := dataserver.ParseSamples(c.samples) // checked by parse
	opts := &dataserver.Options{Samples: samples, Checksum: c.checksum, Logger: log}
	if c.reload != "once" {
		secs, _ := strconv.ParseUint(c.reload, 10, 63)
		opts.Reload = time.Duration(secs) * time.Second
		opts.ReloadAlways = true
	}

	logdir, err := dataserver.OpenLogdir(c.logdir)
	if err != nil {
		return startupError(c.errorFile, stderr, exitBadLogdir, err)
	}
	defer logdir.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.dieAfterStdin {
		go func() {
			io.Copy(io.Discard, stdin)
			log.Info("tbgo-data-server: standard input closed; exiting")
			cancel()
		}()
	}

	lis, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.FormatUint(uint64(c.port), 10)))
	if err != nil {
		return startupError(c.errorFile, stderr, exitBind, fmt.Errorf("failed to bind to %s port %d: %w", c.host, c.port, err))
	}
	port := lis.Addr().(*net.TCPAddr).Port
	if c.portFile != "" {
		if err := os.WriteFile(c.portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			lis.Close()
			return &exitError{exitFailure, fmt.Errorf("failed to write port %d to %s: %w", port, c.portFile, err)}
		}
		log.Info("tbgo-data-server: wrote port", "port", port, "file", c.portFile)
	} else {
		fmt.Fprintf(stderr, "listening on %s\n", lis.Addr())
	}

	srv := dataserver.New(logdir.FS, logdir.Root, logdir.Name, opts)
	return srv.Serve(ctx, lis)
}

// startupError writes err to the error file, or to stderr if there is none
// or it cannot be written, and returns the exit status code.
func startupError(errorFile string, stderr io.Writer, code int, err error) error {
	msg := err.Error()
	if errorFile != "" {
		if os.WriteFile(errorFile, []byte(msg+"\n"), 0o644) == nil {
			return &exitError{code, nil}
		}
	}
	fmt.Fprintf(stderr, "fatal: %s\n", msg)
	return &exitError{code, nil}
}
