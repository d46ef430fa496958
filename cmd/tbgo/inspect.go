package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/tbgo/tbgo/history"
)

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", "[-json] LOGDIR|RUN|FILE|ARCHIVE", stderr)
	asJSON := fs.Bool("json", false, "print one JSON document instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: inspect takes one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	src, err := openSource(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := src.Inspect(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		err = writeJSON(stdout, rep)
	} else {
		err = writeInspect(stdout, rep)
	}
	if err != nil {
		return err
	}
	if rep.Corrupt > 0 {
		return fmt.Errorf("%s: %d corrupt record(s)", rep.Path, rep.Corrupt)
	}
	return nil
}

// writeInspect prints an inspection for people. Names are shortened to a
// column's width, so that a megabyte tag makes one long line, not a
// megabyte of padding on every line.
func writeInspect(w io.Writer, rep *history.InspectReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: %d run(s)\n", rep.Path, len(rep.Runs))
	for _, run := range rep.Runs {
		fmt.Fprintf(tw, "\nrun %q\n", shorten(run.Name, maxNameWidth))
		for _, f := range run.Files {
			fmt.Fprintf(tw, "  file %s\t%d bytes\t%d records", display(filepath.Base(f.Path), maxNameWidth), f.Size, f.Records)
			if f.Writer != "" {
				fmt.Fprintf(tw, "\twriter %s", display(f.Writer, maxNameWidth))
			}
			fmt.Fprintln(tw)
		}
		if run.FirstWallTime != 0 {
			first, last := run.FirstWallTime, run.LastWallTime
			span := time.Duration((last - first) * float64(time.Second)).Round(time.Millisecond)
			fmt.Fprintf(tw, "  wall time %s .. %s (%s)\n", formatWallTime(first), formatWallTime(last), span)
		}
		for _, p := range run.Plugins {
			fmt.Fprintf(tw, "  %s\n", display(p.Name, maxNameWidth))
			for _, t := range p.Tags {
				fmt.Fprintf(tw, "    %s\t%d values\tsteps %d..%d", display(t.Tag, maxNameWidth), t.Count, t.MinStep, t.MaxStep)
				if t.OutOfOrder > 0 {
					fmt.Fprintf(tw, "\t%d out of order", t.OutOfOrder)
				}
				fmt.Fprintln(tw)
			}
		}
		for status, n := range run.SessionLogs {
			fmt.Fprintf(tw, "  session log %s: %d\n", status, n)
		}
		for _, sb := range run.OutOfOrder {
			fmt.Fprintf(tw, "  step goes back: %s step %d after %d (%s offset %d)\n",
				display(sb.Tag, maxNameWidth), sb.Step, sb.Previous, display(filepath.Base(sb.File), maxNameWidth), sb.Offset)
		}
		for _, f := range run.Files {
			writeDamage(tw, "  ", f.Damage, f.DamageOmitted)
		}
	}
	fmt.Fprintf(tw, "\n%d corrupt record(s), %d torn tail(s)\n", rep.Corrupt, rep.Torn)
	return tw.Flush()
}
