package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/tbgo/tbgo/history"
)

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "[-strict] [-json] [-q] LOGDIR|RUN|FILE|ARCHIVE...", stderr)
	strict := fs.Bool("strict", false, "count a torn last record as a failure (by default it is reported but passes: a running writer leaves one)")
	asJSON := fs.Bool("json", false, "print a JSON array with one report per path")
	quiet := fs.Bool("q", false, "print only damage and the summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: verify takes at least one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var reports []*history.VerifyReport
	var failed []string
	for _, p := range fs.Args() {
		rep, err := verify(ctx, p, *strict, stderr)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
		if !rep.OK {
			failed = append(failed, fmt.Sprintf("%s: %d corrupt record(s), %d torn tail(s)", p, rep.Corrupt, rep.Torn))
		}
		if !*asJSON {
			if err := writeVerify(stdout, rep, *quiet); err != nil {
				return err
			}
		}
	}
	if *asJSON {
		if err := writeJSON(stdout, reports); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("verify: %s", strings.Join(failed, "; "))
	}
	return nil
}

// verify verifies one path, showing progress on stderr if it is a
// terminal.
func verify(ctx context.Context, p string, strict bool, stderr io.Writer) (*history.VerifyReport, error) {
	src, err := openSource(p, stderr)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	opts := &history.VerifyOptions{Strict: strict}
	if line := newProgressLine(stderr, "verify "+p); line != nil {
		defer line.clear()
		opts.Progress = func(done, total int64) {
			line.show("%3.0f%% (%s of %s)", 100*float64(done)/float64(max(total, 1)), byteSize(done), byteSize(total))
		}
	}
	return src.Verify(ctx, opts)
}

func writeVerify(w io.Writer, rep *history.VerifyReport, quiet bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	kind := "logdir"
	if rep.Archive {
		kind = "archive"
	}
	events := 0
	for _, f := range rep.Files {
		if f.Run != "" {
			events++
		}
	}
	fmt.Fprintf(tw, "%s (%s): %d run(s), %d event file(s), %d records, %d values\n", rep.Path, kind, rep.Runs, events, rep.Records, rep.Values)
	for _, f := range rep.Files {
		if len(f.Damage) == 0 {
			if !quiet && f.Run != "" {
				fmt.Fprintf(tw, "  ok\t%s\t%d records\n", display(f.Path, maxDamageWidth), f.Records)
			}
			continue
		}
		writeDamage(tw, "  ", f.Damage, f.DamageOmitted)
	}
	switch {
	case !rep.OK:
		fmt.Fprintf(tw, "NOT INTACT: %d corrupt, %d torn tail(s)\n", rep.Corrupt, rep.Torn)
	case rep.Torn > 0:
		fmt.Fprintf(tw, "intact but for %d torn tail(s), which a running writer leaves (-strict fails on them)\n", rep.Torn)
	default:
		fmt.Fprintln(tw, "intact")
	}
	return tw.Flush()
}
