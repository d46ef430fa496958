package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "[-strict] [-json] [-q] LOGDIR|RUN|FILE|ARCHIVE...", stderr)
	strict := fs.Bool("strict", false, "count a torn last record as a failure (by default it is reported but passes: a running writer leaves one)")
	asJSON := fs.Bool("json", false, "print a JSON array with one report per path")
	quiet := fs.Bool("q", false, "print only problems and the summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: verify takes at least one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	var reports []*verifyReport
	var failed []string
	for _, p := range fs.Args() {
		rep, err := verify(p, *strict)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
		if !rep.OK {
			failed = append(failed, fmt.Sprintf("%s: %d corrupt record(s), %d torn tail(s)", p, rep.Corrupt, rep.Torn))
		}
		if !*asJSON {
			if err := rep.writeText(stdout, *quiet); err != nil {
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

// verifyReport is what verify finds at one path; its JSON form is
// verify's -json output.
type verifyReport struct {
	Path    string         `json:"path"`
	Archive bool           `json:"archive"`
	Runs    int            `json:"runs"`
	Files   []verifiedFile `json:"files"`
	Records int            `json:"records"`
	Values  int            `json:"values"`
	// Corrupt counts every problem but torn tails: checksum failures,
	// unframable regions, undecodable events and values, NaN wall times,
	// archive checksum failures and read errors.
	Corrupt int  `json:"corrupt"`
	Torn    int  `json:"torn_tails"`
	Strict  bool `json:"strict"`
	OK      bool `json:"ok"`
}

// verifiedFile is one file verify checked.
type verifiedFile struct {
	Path     string   `json:"path"`
	Run      string   `json:"run,omitempty"` // empty for a non-event file of an archive
	Size     int64    `json:"size"`
	Records  int      `json:"records"`
	Values   int      `json:"values"`
	Problems []damage `json:"problems,omitempty"`
}

// damage is one problem in a file.
type damage struct {
	Offset int64  `json:"offset"`
	Kind   string `json:"kind"`
	Bytes  int64  `json:"bytes,omitempty"` // bytes of the file it covers, where known
	Detail string `json:"detail"`
}

// The kinds of damage.
const (
	damageTorn      = "torn tail"
	damageDataCRC   = "data crc"
	damageLengthCRC = "length crc"
	damageTooLarge  = "too large"
	damageEvent     = "invalid event"
	damageValue     = "invalid value"
	damageNaNWall   = "nan wall time"
	damageArchive   = "archive checksum"
	damageRead      = "read error"
)

// eventSource is a logdir as verify and repair read it: a file system
// opened from a directory, an event file or an archive.
type eventSource struct {
	path    string
	fsys    fs.FS
	root    string          // the logdir's path in fsys
	archive *archive.Reader // set for an archive
}

// openSource opens a logdir, a run directory, an event file or an archive.
func openSource(p string) (*eventSource, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return &eventSource{path: p, fsys: os.DirFS(p), root: "."}, nil
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a logdir, an event file or a tbgo archive", p)
	}
	isArc, err := archive.IsArchive(p)
	if err != nil {
		return nil, err
	}
	if isArc {
		r, err := archive.Open(p)
		if err != nil {
			return nil, err
		}
		return &eventSource{path: p, fsys: r, root: ".", archive: r}, nil
	}
	if !tfevents.IsEventFile(filepath.Base(p)) {
		return nil, fmt.Errorf("%s is not a logdir, an event file (its name lacks %q) or a tbgo archive", p, tfevents.Infix)
	}
	return &eventSource{path: p, fsys: os.DirFS(filepath.Dir(p)), root: filepath.Base(p)}, nil
}

func (s *eventSource) Close() error {
	if s.archive != nil {
		return s.archive.Close()
	}
	return nil
}

func verify(p string, strict bool) (*verifyReport, error) {
	src, err := openSource(p)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	runs, err := tfevents.DiscoverRunsFS(src.fsys, src.root)
	if err != nil {
		return nil, err
	}
	rep := &verifyReport{Path: p, Archive: src.archive != nil, Runs: len(runs), Strict: strict}
	events := map[string]bool{}
	for _, run := range runs {
		dec := summary.NewDecoder()
		for _, name := range run.Files {
			vf, err := verifyFile(src, name, dec)
			if err != nil {
				return nil, err
			}
			vf.Run = run.Name
			events[name] = true
			rep.Files = append(rep.Files, vf)
		}
	}
	if src.archive != nil {
		// The other files are checked against their SHA-256.
		for e := range src.archive.Entries() {
			if e.IsDir() || events[e.Path] {
				continue
			}
			vf := verifiedFile{Path: e.Path, Size: e.Size}
			if err := src.archive.Check(e.Path); err != nil {
				vf.Problems = append(vf.Problems, damage{Kind: damageArchive, Detail: err.Error()})
			}
			rep.Files = append(rep.Files, vf)
		}
	}
	for _, f := range rep.Files {
		rep.Records += f.Records
		rep.Values += f.Values
		for _, d := range f.Problems {
			if d.Kind == damageTorn {
				rep.Torn++
			} else {
				rep.Corrupt++
			}
		}
	}
	rep.OK = rep.Corrupt == 0 && (!strict || rep.Torn == 0)
	return rep, nil
}

// verifyFile checks every record of one event file of src: both
// checksums, that it decodes as an Event, that its wall time is a number,
// and that its summary values decode.
func verifyFile(src *eventSource, name string, dec *summary.Decoder) (verifiedFile, error) {
	vf := verifiedFile{Path: name}
	sc, err := newScanner(src.fsys, name)
	if err != nil {
		return vf, err
	}
	defer sc.Close()
	vf.Size = sc.size
	var ev tbpb.Event
	var vals []summary.Value
	for {
		off, data, d, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return vf, err
		}
		if d != nil {
			vf.Problems = append(vf.Problems, *d)
			continue
		}
		vf.Records++
		if err := proto.Unmarshal(data, &ev); err != nil {
			vf.Problems = append(vf.Problems, damage{Offset: off, Kind: damageEvent, Bytes: int64(tfevents.RecordLen(len(data))), Detail: err.Error()})
			continue
		}
		if math.IsNaN(ev.GetWallTime()) {
			vf.Problems = append(vf.Problems, damage{Offset: off, Kind: damageNaNWall, Detail: "TensorBoard's data server stops reading the file here"})
			continue // the decoder skips the event's values too
		}
		vals, err = dec.Event(vals[:0], &ev)
		vf.Values += len(vals)
		if err != nil {
			vf.Problems = append(vf.Problems, damage{Offset: off, Kind: damageValue, Detail: err.Error()})
		}
	}
	if src.archive != nil {
		// Reading an archived file to its end checks its SHA-256.
		if _, err := io.Copy(io.Discard, sc.f); err != nil {
			vf.Problems = append(vf.Problems, damage{Kind: damageArchive, Detail: err.Error()})
		}
	}
	return vf, nil
}

// scanner reads the records of an event file, reporting damage and
// reading on past it: a data-checksum failure skips the record, and after
// a length-checksum failure or an impossible length tfevents.Resync finds
// the next valid record. It reads the file as large as it was when opened,
// so a file still being written gives a consistent picture.
type scanner struct {
	name string
	f    fs.File
	ra   io.ReaderAt // nil if the file cannot be read at offsets
	size int64
	r    *tfevents.Reader
	done bool
}

func newScanner(fsys fs.FS, name string) (*scanner, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &scanner{name: name, f: f, size: info.Size()}
	s.ra, _ = f.(io.ReaderAt)
	s.r = tfevents.NewReader(io.LimitReader(f, s.size))
	s.r.Name = name
	return s, nil
}

func (s *scanner) Close() error { return s.f.Close() }

// next returns the next valid record and its offset, or the next damage;
// io.EOF at the end of the file. Its error is an I/O error that ends the
// scan.
func (s *scanner) next() (off int64, data []byte, d *damage, err error) {
	if s.done {
		return 0, nil, nil, io.EOF
	}
	off = s.r.Offset()
	data, err = s.r.Next()
	var ce *tfevents.CorruptError
	switch {
	case err == nil:
		return off, data, nil, nil
	case err == io.EOF:
		s.done = true
		return 0, nil, nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		s.done = true
		return off, nil, &damage{Offset: off, Kind: damageTorn, Bytes: s.size - off,
			Detail: fmt.Sprintf("the last %d bytes are an incomplete record (a writer may still be appending)", s.size-off)}, nil
	case errors.As(err, &ce) && ce.Checksum == tfevents.DataChecksum:
		n := int64(tfevents.RecordLen(int(ce.Length)))
		return ce.Offset, nil, &damage{Offset: ce.Offset, Kind: damageDataCRC, Bytes: n,
			Detail: fmt.Sprintf("the %d-byte record's data does not match its checksum; skipped", n)}, nil
	case errors.As(err, &ce):
		return s.resync(ce.Offset, damageLengthCRC, "the length field does not match its checksum")
	case errors.Is(err, tfevents.ErrRecordTooLarge):
		return s.resync(off, damageTooLarge, "the length field is over 256 MiB")
	case errors.Is(err, archive.ErrCorrupt):
		s.done = true
		return off, nil, &damage{Offset: off, Kind: damageArchive, Detail: err.Error()}, nil
	}
	s.done = true
	return off, nil, &damage{Offset: off, Kind: damageRead, Detail: err.Error()}, nil
}

// resync finds the next valid record after damage at off.
func (s *scanner) resync(off int64, kind, what string) (int64, []byte, *damage, error) {
	d := &damage{Offset: off, Kind: kind}
	if s.ra == nil {
		s.done = true
		d.Bytes = s.size - off
		d.Detail = what + "; the rest of the file cannot be framed"
		return off, nil, d, nil
	}
	next, err := tfevents.Resync(s.ra, off+1, s.size)
	if err == io.EOF {
		s.done = true
		d.Bytes = s.size - off
		d.Detail = fmt.Sprintf("%s; no valid record follows in the last %d bytes", what, d.Bytes)
		return off, nil, d, nil
	}
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s: %w", s.name, err)
	}
	d.Bytes = next - off
	d.Detail = fmt.Sprintf("%s; %d bytes skipped to the next valid record at offset %d", what, d.Bytes, next)
	s.r = tfevents.NewReaderAt(io.NewSectionReader(s.ra, next, s.size-next), next)
	s.r.Name = s.name
	return off, nil, d, nil
}

func (rep *verifyReport) writeText(w io.Writer, quiet bool) error {
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
		if len(f.Problems) == 0 {
			if !quiet && f.Run != "" {
				fmt.Fprintf(tw, "  ok\t%s\t%d records\n", f.Path, f.Records)
			}
			continue
		}
		for _, d := range f.Problems {
			label := "DAMAGED"
			if d.Kind == damageTorn {
				label = "TORN"
			}
			fmt.Fprintf(tw, "  %s\t%s\toffset %d: %s: %s\n", label, f.Path, d.Offset, d.Kind, d.Detail)
		}
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
