package launch

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tbgo/tbgo/dataserver"
)

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

// parse parses RustBoard's command line; name prefixes its messages.
func parse(name string, args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+name+" --logdir PATH [--host HOST] [--port N] [--reload SECS|once]\n"+
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
		return nil, &ExitError{ExitUsage, nil} // the flag package said why
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, name+": "+format+"\n", a...)
		fs.Usage()
		return &ExitError{ExitUsage, nil}
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
