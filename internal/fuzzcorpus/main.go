// Fuzzcorpus writes the checked-in seed corpora of the fuzz targets from
// real files: event files written by tensorboardX and by tbgo, an archive of
// them, and the digits CSV. Go's fuzzer reads testdata/fuzz/<Target>/ of
// each package as seeds before it mutates anything, and "go test" runs
// every entry there as a regression test.
//
//	go run ./internal/fuzzcorpus -tbx TBXLOGDIR -demo DEMOLOGDIR
//
// scripts/fuzz.sh makes both logdirs (tensorboardX from .venv, tbgo demo)
// and runs this; see docs/RELIABILITY.md.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/tfevents"
)

func main() {
	tbx := flag.String("tbx", "", "a logdir written by tensorboardX (required)")
	demo := flag.String("demo", "", "a logdir written by tbgo demo (required)")
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	if *tbx == "" || *demo == "" {
		fmt.Fprintln(os.Stderr, "fuzzcorpus: -tbx and -demo are required")
		os.Exit(2)
	}
	if err := run(*root, *tbx, *demo); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzcorpus:", err)
		os.Exit(1)
	}
}

// An entry is one corpus file: the fuzz arguments in Go syntax.
type entry struct {
	pkg, target, name string
	args              []string
}

func bytesArg(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }
func byteArg(b byte) string    { return "byte(" + strconv.QuoteRune(rune(b)) + ")" }

func run(root, tbx, demo string) error {
	var entries []entry
	for _, src := range []struct{ name, logdir string }{{"tensorboardx", tbx}, {"tbgo-demo", demo}} {
		runs, err := tfevents.DiscoverRuns(src.logdir)
		if err != nil {
			return err
		}
		file, err := os.ReadFile(runs[0].Files[0])
		if err != nil {
			return err
		}
		// Keep seeds small: the fuzzer mutates every byte.
		if len(file) > 32<<10 {
			file = cutToRecords(file, 32<<10)
		}
		recs, err := records(file)
		if err != nil {
			return fmt.Errorf("%s: %w", runs[0].Files[0], err)
		}
		entries = append(entries,
			entry{"tfevents", "FuzzScanner", src.name, []string{bytesArg(file), byteArg(7)}},
			entry{"tfevents", "FuzzScanner", src.name + "-torn", []string{bytesArg(file[:len(file)-3]), byteArg(0)}},
			entry{"summary", "FuzzDecoder", src.name, []string{bytesArg(frame(recs)), byteArg(0)}},
		)
		for i, r := range recs[:min(len(recs), 4)] {
			entries = append(entries, entry{"tfevents", "FuzzReadEvents", fmt.Sprintf("%s-%d", src.name, i), []string{bytesArg(r)}})
		}
	}
	var tbar bytes.Buffer
	if _, err := archive.Create(&tbar, tbx, archive.Options{}); err != nil {
		return err
	}
	entries = append(entries, entry{"archive", "FuzzReader", "tensorboardx-logdir", []string{bytesArg(tbar.Bytes())}})

	gz, err := os.ReadFile(filepath.Join(root, "trainer", "data", "digits.csv.gz"))
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	digits, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	head := digits[:bytes.IndexByte(digits[4096:], '\n')+4097] // whole lines
	for mode := range byte(3) {
		entries = append(entries, entry{filepath.Join("trainer", "data"), "FuzzReadCSV", fmt.Sprintf("digits-%d", mode), []string{bytesArg(head), byteArg(mode)}})
	}

	for _, e := range entries {
		dir := filepath.Join(root, e.pkg, "testdata", "fuzz", e.target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		body := "go test fuzz v1\n"
		for _, a := range e.args {
			body += a + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "seed-"+e.name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("fuzzcorpus: wrote %d seed files\n", len(entries))
	return nil
}

// cutToRecords returns the longest prefix of file, at most limit bytes,
// made of whole records.
func cutToRecords(file []byte, limit int) []byte {
	s := tfevents.NewScanner(bytes.NewReader(file))
	end := int64(0)
	for s.Scan() && s.End() <= int64(limit) {
		end = s.End()
	}
	return file[:end]
}

// records returns the data of every record of file, which must be whole.
func records(file []byte) ([][]byte, error) {
	s := tfevents.NewScanner(bytes.NewReader(file))
	s.Damaged = func(d *tfevents.Damage) error { return d }
	var recs [][]byte
	for s.Scan() {
		recs = append(recs, bytes.Clone(s.Record()))
	}
	return recs, s.Err()
}

// frame joins records as summary's FuzzDecoder reads them: each prefixed
// with its length as a uvarint.
func frame(recs [][]byte) []byte {
	var b []byte
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}
