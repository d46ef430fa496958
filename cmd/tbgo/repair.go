package main

import (
	"fmt"
	"io"

	"github.com/tbgo/tbgo/history"
)

func runRepair(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("repair", "[-json] SRC DST", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("%w: repair takes a source (LOGDIR, RUN, FILE or ARCHIVE) and a destination", errUsage)
	}
	src, err := openSource(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	rep, err := src.Repair(fs.Arg(1))
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	return writeRepair(stdout, rep)
}

func writeRepair(w io.Writer, rep *history.RepairReport) error {
	fmt.Fprintf(w, "repaired %s -> %s: %d event file(s), %d repaired, %d damaged record(s), value(s) or region(s) dropped",
		rep.Source, rep.Destination, len(rep.Files), rep.Repaired, rep.Dropped)
	if rep.Copied > 0 {
		fmt.Fprintf(w, ", %d other file(s) copied", rep.Copied)
	}
	fmt.Fprintln(w)
	for _, sk := range rep.Skipped {
		fmt.Fprintf(w, "  %v\n", sk)
	}
	for _, f := range rep.Files {
		if len(f.Dropped) == 0 && !f.AddedFileVersion {
			continue
		}
		fmt.Fprintf(w, "  %s: kept %d records", display(f.Path, maxDamageWidth), f.Records)
		if f.Rewritten > 0 {
			fmt.Fprintf(w, " (%d rewritten without the values that do not decode)", f.Rewritten)
		}
		fmt.Fprintf(w, ", %d -> %d bytes; dropped:\n", f.SizeBefore, f.SizeAfter)
		writeDamage(w, "    ", f.Dropped, f.DroppedOmitted)
		if f.AddedFileVersion {
			fmt.Fprintf(w, "    added a file_version event (the first record was lost)\n")
		}
	}
	return nil
}
