package main

import (
	"fmt"
	"io"

	"github.com/tbgo/tbgo/archive"
)

func runRestore(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", "[-overwrite] ARCHIVE DIR", stderr)
	overwrite := fs.Bool("overwrite", false, "restore into a DIR that already holds files, replacing those the archive holds")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("%w: restore takes an ARCHIVE and a DIR", errUsage)
	}
	arc, dir := fs.Arg(0), fs.Arg(1)
	r, err := archive.Open(arc)
	if err != nil {
		return err
	}
	defer r.Close()
	rep, err := r.Extract(dir, archive.RestoreOptions{Overwrite: *overwrite})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s -> %s: %d files (%s), %d directories, every file checked against its SHA-256\n",
		arc, dir, rep.Files, byteSize(rep.Bytes), rep.Dirs)
	if c := r.Compaction(); c != nil {
		fmt.Fprintf(stdout, "note: the archive was compacted (%s); its event files are not the original bytes\n", describeCompaction(*c))
	}
	return nil
}
