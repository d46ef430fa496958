package launch

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
	"syscall"
	"time"

	"github.com/tbgo/tbgo/dataserver"
	"github.com/tbgo/tbgo/storage"
)

// Exit statuses, as RustBoard's.
const (
	ExitFailure   = 1 // the port file cannot be written, or any other failure
	ExitUsage     = 2 // a usage error
	ExitBadLogdir = 8 // a logdir that cannot be served
	ExitBind      = 9 // an address that cannot be bound
)

// An ExitError is an error that ends the program with a status. Err is
// nil when the reason has already been written (to standard error or the
// error file).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + strconv.Itoa(e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// A Command is a data server program: its name and, for one that links
// no object-store driver, the companion that does.
type Command struct {
	// Name names the program in messages and in what --version prints.
	Name string
	// Companion is the name of the program that serves a logdir URL whose
	// scheme none of this program's drivers handles: Run hands it the
	// whole command line (see the package documentation). Empty means
	// none: such a logdir cannot be served.
	Companion string

	// handOff runs the companion at path with args; nil means replace
	// the process (on Unix). Tests set it.
	handOff func(ctx context.Context, path string, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// gcPercent is the garbage collector's target when GOGC is not set. The
// index is small and long-lived, and loading scalars allocates nothing, so
// collecting four times as often as Go's default costs a few percent of
// CPU and cuts the heap's headroom from 100% of the index to 25%.
const gcPercent = 25

// Main runs the program with the process's arguments, standard streams
// and signals (SIGINT and SIGTERM stop the server) and returns the exit
// status, having written the reason for a failure to standard error. It
// sets the garbage collector's target to 25% unless GOGC is set. A
// command's main function is
//
//	os.Exit(cmd.Main())
func (c *Command) Main() int {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := c.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	var ee *ExitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		if ee.Err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, ee.Err)
		}
		return ee.Code
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
		return ExitFailure
	}
}

// Run parses the command line args (without the program's name), opens
// the logdir and serves it until ctx is done or, with --die-after-stdin,
// stdin ends; it then returns nil. Other ends are errors: an *ExitError
// with the exit status, or flag.ErrHelp for -h. Logs, and errors that
// --error-file does not take, go to stderr; --version prints to stdout.
//
// A logdir that needs the Companion is handed to it: on Unix that
// replaces the process, standard streams and all, whatever stdin, stdout
// and stderr are.
func (c *Command) Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parse(c.Name, args, stderr)
	if err != nil {
		return err
	}
	if cfg.version {
		v := "(devel)"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
			v = info.Main.Version
		}
		fmt.Fprintf(stdout, "%s %s\n", c.Name, v)
		return nil
	}
	level := slog.LevelWarn
	switch {
	case cfg.verbose == 1:
		level = slog.LevelInfo
	case cfg.verbose > 1:
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	samples, _ := dataserver.ParseSamples(cfg.samples) // checked by parse
	opts := &dataserver.Options{Samples: samples, Checksum: cfg.checksum, Logger: log}
	if cfg.reload != "once" {
		secs, _ := strconv.ParseUint(cfg.reload, 10, 63)
		opts.Reload = time.Duration(secs) * time.Second
		opts.ReloadAlways = true
	}

	logdir, err := dataserver.OpenLogdir(cfg.logdir)
	if errors.Is(err, storage.ErrUnknownScheme) && c.Companion != "" {
		// Nothing has been read, bound or written yet: the companion
		// starts from the beginning.
		path, err := c.findCompanion(cfg.logdir)
		if err != nil {
			return startupError(cfg.errorFile, stderr, ExitBadLogdir, err)
		}
		log.Info(c.Name+": handing the logdir to "+c.Companion, "path", path)
		handOff := c.handOff
		if handOff == nil {
			handOff = handOffProcess
		}
		return handOff(ctx, path, args, stdin, stdout, stderr)
	}
	if err != nil {
		return startupError(cfg.errorFile, stderr, ExitBadLogdir, err)
	}
	defer logdir.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.dieAfterStdin {
		go func() {
			io.Copy(io.Discard, stdin)
			log.Info(c.Name + ": standard input closed; exiting")
			cancel()
		}()
	}

	lis, err := net.Listen("tcp", net.JoinHostPort(cfg.host, strconv.FormatUint(uint64(cfg.port), 10)))
	if err != nil {
		return startupError(cfg.errorFile, stderr, ExitBind, fmt.Errorf("failed to bind to %s port %d: %w", cfg.host, cfg.port, err))
	}
	port := lis.Addr().(*net.TCPAddr).Port
	if cfg.portFile != "" {
		if err := os.WriteFile(cfg.portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			lis.Close()
			return &ExitError{ExitFailure, fmt.Errorf("failed to write port %d to %s: %w", port, cfg.portFile, err)}
		}
		log.Info(c.Name+": wrote port", "port", port, "file", cfg.portFile)
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
			return &ExitError{code, nil}
		}
	}
	fmt.Fprintf(stderr, "fatal: %s\n", msg)
	return &ExitError{code, nil}
}
