package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
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
	rep, err := repair(fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	return rep.writeText(stdout)
}

// repairReport is what repair did; its JSON form is repair's -json output.
type repairReport struct {
	Source      string         `json:"source"`
	Destination string         `json:"destination"`
	Files       []repairedFile `json:"event_files"`
	Copied      int            `json:"files_copied"` // other files, byte for byte
	Repaired    int            `json:"files_repaired"`
	Dropped     int            `json:"records_dropped"` // damage entries, torn tails included
}

// repairedFile is one event file as repair wrote it.
type repairedFile struct {
	Path       string `json:"path"`
	SizeBefore int64  `json:"size_before"`
	SizeAfter  int64  `json:"size_after"`
	Records    int    `json:"records"` // records kept
	// Dropped lists what was left out: torn tails, corrupt records,
	// unframable regions, records that are not Events, events with a NaN
	// wall time.
	Dropped []damage `json:"dropped,omitempty"`
	// AddedFileVersion is set when the file's first record, its
	// file_version event, was lost and repair wrote a new one.
	AddedFileVersion bool `json:"added_file_version,omitempty"`
}

// repair writes a repaired copy of src to dst. For an event file dst is
// the repaired file; for a logdir, a run directory or an archive it is a
// directory holding every event file repaired and every other file copied.
// dst must not exist (a directory may exist if empty), nor lie inside src;
// it appears only once complete.
func repair(src, dst string) (*repairReport, error) {
	s, err := openSource(src)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := checkDestination(s, dst); err != nil {
		return nil, err
	}
	rep := &repairReport{Source: src, Destination: dst}
	if s.root != "." {
		err = repairToFile(s, dst, rep)
	} else {
		err = repairToDir(s, dst, rep)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range rep.Files {
		if len(f.Dropped) > 0 || f.AddedFileVersion {
			rep.Repaired++
		}
		rep.Dropped += len(f.Dropped)
	}
	return rep, nil
}

// checkDestination refuses a destination that exists (but for an empty
// directory where a directory is written) or lies inside the source.
func checkDestination(s *eventSource, dst string) error {
	info, err := os.Stat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case s.root != "." || !info.IsDir():
		return fmt.Errorf("repair: %s already exists; repair never overwrites", dst)
	default:
		entries, err := os.ReadDir(dst)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return fmt.Errorf("repair: %s already exists and is not empty; repair never overwrites", dst)
		}
	}
	if s.archive != nil {
		return nil
	}
	from, err := filepath.Abs(s.path)
	if err != nil {
		return err
	}
	to, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	if to == from || strings.HasPrefix(to, from+string(filepath.Separator)) {
		return fmt.Errorf("repair: the destination %s lies inside the source %s; TensorBoard would read both", dst, s.path)
	}
	return nil
}

// repairToFile repairs the one event file of s into the file dst.
func repairToFile(s *eventSource, dst string, rep *repairReport) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	rf, err := repairFile(s, s.root, tmp)
	if err != nil {
		return err
	}
	if info, err := fs.Stat(s.fsys, s.root); err == nil {
		tmp.Chmod(info.Mode().Perm())
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	rep.Files = append(rep.Files, rf)
	return nil
}

// repairToDir writes the repaired logdir into a staging directory beside
// dst and renames it to dst once complete.
func repairToDir(s *eventSource, dst string, rep *repairReport) (err error) {
	runs, err := tfevents.DiscoverRunsFS(s.fsys, s.root)
	if err != nil {
		return err
	}
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dst)), "."+filepath.Base(dst)+".repair-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, run := range runs {
		for _, name := range run.Files {
			rf, err := writeStaged(s.fsys, stage, name, func(w *os.File) (repairedFile, error) { return repairFile(s, name, w) })
			if err != nil {
				return err
			}
			rep.Files = append(rep.Files, rf)
			done[name] = true
		}
	}
	// Everything else is copied byte for byte: projector configs and
	// assets, and event files TensorBoard does not read (profiler markers).
	err = fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || done[p] {
			return err
		}
		info, err := fs.Stat(s.fsys, p) // follows a link to a file
		if err != nil || !info.Mode().IsRegular() {
			return nil // dangling links, pipes, devices, linked directories
		}
		_, err = writeStaged(s.fsys, stage, p, func(w *os.File) (repairedFile, error) {
			f, err := s.fsys.Open(p)
			if err != nil {
				return repairedFile{}, err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return repairedFile{}, err
		})
		rep.Copied++
		return err
	})
	if err != nil {
		return err
	}
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		if err := os.Remove(dst); err != nil { // empty, as checked
			return err
		}
	}
	return os.Rename(stage, dst)
}

// writeStaged creates the file name under stage, with the permissions of
// name in fsys, and fills it with write.
func writeStaged(fsys fs.FS, stage, name string, write func(*os.File) (repairedFile, error)) (repairedFile, error) {
	out := filepath.Join(stage, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return repairedFile{}, err
	}
	perm := fs.FileMode(0o644)
	if info, err := fs.Stat(fsys, name); err == nil {
		perm = info.Mode().Perm()
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return repairedFile{}, err
	}
	rf, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rf, fmt.Errorf("repair: %s: %w", name, err)
	}
	return rf, nil
}

// repairFile writes the valid records of the event file name to w: both
// checksums hold, the record decodes as an Event, and its wall time is a
// number. Valid records are written byte for byte. If the file's first
// record is lost, a file_version event is written first, because
// TensorBoard's Python loader applies older purge rules to a file without
// one.
func repairFile(s *eventSource, name string, w io.Writer) (repairedFile, error) {
	rf := repairedFile{Path: name}
	sc, err := newScanner(s.fsys, name)
	if err != nil {
		return rf, err
	}
	defer sc.Close()
	rf.SizeBefore = sc.size
	lostFirst := false
	var ev tbpb.Event
	var buf []byte
	write := func(data []byte) error {
		buf = tfevents.AppendRecord(buf[:0], data)
		_, err := w.Write(buf)
		rf.SizeAfter += int64(len(buf))
		return err
	}
	for {
		off, data, d, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rf, err
		}
		if d != nil {
			lostFirst = lostFirst || d.Offset == 0
			rf.Dropped = append(rf.Dropped, *d)
			continue
		}
		if err := proto.Unmarshal(data, &ev); err != nil {
			rf.Dropped = append(rf.Dropped, damage{Offset: off, Kind: damageEvent, Bytes: int64(tfevents.RecordLen(len(data))), Detail: err.Error()})
			lostFirst = lostFirst || off == 0
			continue
		}
		if math.IsNaN(ev.GetWallTime()) {
			rf.Dropped = append(rf.Dropped, damage{Offset: off, Kind: damageNaNWall, Bytes: int64(tfevents.RecordLen(len(data))),
				Detail: "TensorBoard's data server would stop reading the file here"})
			lostFirst = lostFirst || off == 0
			continue
		}
		if lostFirst && rf.Records == 0 && ev.GetFileVersion() == "" {
			version, err := proto.Marshal(&tbpb.Event{WallTime: ev.GetWallTime(), What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}})
			if err != nil {
				return rf, err
			}
			if err := write(version); err != nil {
				return rf, err
			}
			rf.AddedFileVersion = true
		}
		if err := write(data); err != nil {
			return rf, err
		}
		rf.Records++
	}
	if s.archive != nil {
		if _, err := io.Copy(io.Discard, sc.f); err != nil {
			rf.Dropped = append(rf.Dropped, damage{Kind: damageArchive, Detail: err.Error()})
		}
	}
	return rf, nil
}

func (rep *repairReport) writeText(w io.Writer) error {
	fmt.Fprintf(w, "repaired %s -> %s: %d event file(s), %d repaired, %d record(s) or region(s) dropped",
		rep.Source, rep.Destination, len(rep.Files), rep.Repaired, rep.Dropped)
	if rep.Copied > 0 {
		fmt.Fprintf(w, ", %d other file(s) copied", rep.Copied)
	}
	fmt.Fprintln(w)
	for _, f := range rep.Files {
		if len(f.Dropped) == 0 && !f.AddedFileVersion {
			continue
		}
		fmt.Fprintf(w, "  %s: kept %d records, %d -> %d bytes\n", path.Clean(f.Path), f.Records, f.SizeBefore, f.SizeAfter)
		for _, d := range f.Dropped {
			fmt.Fprintf(w, "    dropped at offset %d: %s: %s\n", d.Offset, d.Kind, d.Detail)
		}
		if f.AddedFileVersion {
			fmt.Fprintf(w, "    added a file_version event (the first record was lost)\n")
		}
	}
	return nil
}
