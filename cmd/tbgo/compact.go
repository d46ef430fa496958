package main

import (
	"fmt"
	"io"

	"github.com/tbgo/tbgo/history"
)

func runCompact(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compact", "[-max-size MiB] [-json] SRC DST", stderr)
	maxSize := fs.Int("max-size", history.DefaultCompactSize>>20, "the largest object written, in MiB")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("%w: compact takes a source (LOGDIR, RUN or ARCHIVE) and a destination", errUsage)
	}
	if *maxSize <= 0 {
		return fmt.Errorf("%w: -max-size %d: want a positive number of MiB", errUsage, *maxSize)
	}
	src, err := openSource(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	rep, err := src.Compact(fs.Arg(1), &history.CompactOptions{MaxSize: int64(*maxSize) << 20})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	return writeCompact(stdout, rep)
}

func writeCompact(w io.Writer, rep *history.CompactReport) error {
	var before, after int
	var sizeBefore, sizeAfter int64
	for _, r := range rep.Runs {
		before, after = before+r.FilesBefore, after+r.FilesAfter
		sizeBefore, sizeAfter = sizeBefore+r.SizeBefore, sizeAfter+r.SizeAfter
	}
	fmt.Fprintf(w, "compacted %s -> %s: %d run(s), %d event file(s) -> %d, %s -> %s",
		rep.Source, rep.Destination, len(rep.Runs), before, after, byteSize(sizeBefore), byteSize(sizeAfter))
	if rep.Copied > 0 {
		fmt.Fprintf(w, ", %d other file(s) copied", rep.Copied)
	}
	fmt.Fprintln(w)
	for _, sk := range rep.Skipped {
		fmt.Fprintf(w, "  %v\n", sk)
	}
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "  %s: %d -> %d event file(s), %s -> %s\n",
			display(r.Run, maxNameWidth), r.FilesBefore, r.FilesAfter, byteSize(r.SizeBefore), byteSize(r.SizeAfter))
	}
	return nil
}
