package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// RepairReport is what Repair did. Its JSON form is tbgo repair -json's.
type RepairReport struct {
	Source      string         `json:"source"`
	Destination string         `json:"destination"`
	Files       []RepairedFile `json:"event_files"`
	// Copied counts the other files, copied byte for byte.
	Copied int `json:"files_copied"`
	// Repaired counts the event files that had damage.
	Repaired int `json:"files_repaired"`
	// Dropped counts the damage left out: records, stretches and values.
	Dropped int `json:"records_dropped"`
	// Skipped lists what could be neither repaired nor copied, with why:
	// names io/fs cannot give (not UTF-8), links to nowhere, pipes and
	// devices. Source.Skipped lists what discovery left out.
	Skipped []tfevents.Skip `json:"skipped,omitempty"`
}

// A RepairedFile is one event file as Repair wrote it.
type RepairedFile struct {
	// Path is the file's path in the Source's FS, and in the destination.
	Path       string `json:"path"`
	SizeBefore int64  `json:"size_before"`
	SizeAfter  int64  `json:"size_after"`
	// Records counts the records written; Rewritten those written
	// without their values that do not decode.
	Records   int `json:"records"`
	Rewritten int `json:"records_rewritten,omitempty"`
	// Dropped lists the damage left out, up to tfevents.MaxLoggedDamage;
	// DroppedOmitted counts the rest.
	Dropped        []*tfevents.Damage `json:"dropped,omitempty"`
	DroppedOmitted int                `json:"dropped_omitted,omitempty"`
	// AddedFileVersion reports that the file's first record was lost and
	// a file_version event was written in its place.
	AddedFileVersion bool `json:"added_file_version,omitempty"`
}

// Repair writes a repaired copy of the Source to dst, leaving out exactly
// what every reader skips and Verify reports: each event file is copied
// by tfevents.Repair, its sound records byte for byte, its records that
// do not decode or whose wall time is not finite dropped, and its records
// holding values that do not decode rewritten without them. The copy
// verifies, even strictly, and every reader reads the same values from it
// as from the Source.
//
// For an event file, dst is the repaired file; for a logdir, a run
// directory or an archive it is a directory holding every event file
// repaired and every other file copied byte for byte, with its
// permissions. dst must not exist (a directory may exist if empty) nor lie
// inside the Source, where TensorBoard would read both; it appears only
// once complete. The Source is never modified.
//
// dst may be a URL, as storage.Open takes them: the copy is made in a
// temporary directory (on local disk: room for it is needed there), then
// every file is written to the object store with a create-only write
// (storage.PutFS; for an event file, dst names the object), into a
// prefix that must hold nothing.
func (s *Source) Repair(dst string) (*RepairReport, error) {
	rep := &RepairReport{Source: s.Path()}
	var err error
	if s.root != "." {
		rep.Destination, err = s.writeFile(dst, "repair", func(w io.Writer) error {
			rf, err := s.repairFile(newChecker(), s.root, w)
			rep.Files = append(rep.Files, rf)
			return err
		})
	} else {
		rep.Destination, err = s.writeDir(dst, "repair", func(stage string) error {
			return s.repairInto(stage, rep)
		})
	}
	if err != nil {
		return nil, err
	}
	for _, f := range rep.Files {
		if len(f.Dropped) > 0 || f.AddedFileVersion {
			rep.Repaired++
		}
		rep.Dropped += len(f.Dropped) + f.DroppedOmitted
	}
	return rep, nil
}

// repairInto writes the repaired logdir into the directory stage.
func (s *Source) repairInto(stage string, rep *RepairReport) error {
	done := map[string]bool{}
	for _, run := range s.runs {
		c := newChecker()
		for _, name := range run.Files {
			var rf RepairedFile
			err := s.writeStaged(stage, name, s.perm(name), func(w io.Writer) (err error) {
				rf, err = s.repairFile(c, name, w)
				return err
			})
			if err != nil {
				return err
			}
			rep.Files = append(rep.Files, rf)
			done[name] = true
		}
	}
	var err error
	rep.Copied, rep.Skipped, err = s.copyOthers(s.fsys, stage, done)
	return err
}

// writeFile writes a copy of the Source's one event file to dst with
// write: on local disk, dst must not exist, and appears only once
// complete; a URL names the object, which must not exist and is created
// with a create-only write. op names the operation in messages. It
// returns dst as messages name it.
func (s *Source) writeFile(dst, op string, write func(io.Writer) error) (string, error) {
	local, ok := storage.Local(dst)
	if !ok {
		ctx := context.Background()
		st, name, err := s.openDestination(ctx, dst, op, false)
		if err != nil {
			return "", err
		}
		defer st.Close()
		var buf bytes.Buffer // an object is stored whole
		if err := write(&buf); err != nil {
			return "", err
		}
		if err := storage.Put(ctx, st.Bucket(), st.Key("."), buf.Bytes()); err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		return name, nil
	}
	if err := s.checkDestination(local, op); err != nil {
		return "", err
	}
	f, err := atomicfile.Create(local, s.perm(s.root))
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return "", err
	}
	if err := f.Commit(); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	return local, nil
}

// writeDir writes a copy of the Source, a logdir, to the directory dst:
// fill writes the copy's files into the staging directory it is given.
// On local disk, dst must not exist (or be an empty directory) nor lie
// inside the Source; the copy is staged beside it and renamed to it once
// complete. A URL is a prefix that must hold nothing: the copy is staged
// in a temporary directory (room for it is needed there), then every file
// is uploaded with a create-only write (storage.PutFS). op names the
// operation in messages. It returns dst as messages name it.
func (s *Source) writeDir(dst, op string, fill func(stage string) error) (name string, err error) {
	local, ok := storage.Local(dst)
	if !ok {
		ctx := context.Background()
		st, name, err := s.openDestination(ctx, dst, op, true)
		if err != nil {
			return "", err
		}
		defer st.Close()
		stage, err := os.MkdirTemp("", "tbgo-"+op+"-*")
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		defer os.RemoveAll(stage)
		if err := fill(stage); err != nil {
			return "", err
		}
		if _, _, err := storage.PutFS(ctx, st, os.DirFS(stage)); err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		return name, nil
	}
	if err := s.checkDestination(local, op); err != nil {
		return "", err
	}
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(local)), "."+filepath.Base(local)+"."+op+"-*")
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	if err := os.Chmod(stage, 0o755); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	if err := fill(stage); err != nil {
		return "", err
	}
	if err := atomicfile.SyncTree(stage); err != nil { // the names in it, before it appears
		return "", fmt.Errorf("history: %w", err)
	}
	if info, err := os.Stat(local); err == nil && info.IsDir() {
		if err := os.Remove(local); err != nil { // empty, as checked
			return "", fmt.Errorf("history: %w", err)
		}
	}
	if err := atomicfile.Rename(stage, local); err != nil {
		return "", err
	}
	return local, nil
}

// openDestination opens the store at the URL dst for a copy of the
// Source, a directory if dir is set, else a file. It refuses a dst that
// lies inside the Source, where TensorBoard would read both, or that
// holds something: for a directory any object below it, for a file the
// object itself. op names the operation in messages. It returns the store
// and dst as messages name it.
func (s *Source) openDestination(ctx context.Context, dst, op string, dir bool) (*storage.Store, string, error) {
	name := storage.Display(dst)
	if from := s.Path(); !s.archive && storage.IsURL(from) && (name == from || strings.HasPrefix(name, from+"/")) {
		return nil, "", fmt.Errorf("history: the destination %s lies inside the source %s; TensorBoard would read both", name, from)
	}
	st, err := storage.Open(ctx, dst)
	if err != nil {
		return nil, "", fmt.Errorf("history: %w", err)
	}
	if !dir {
		if _, err := st.Bucket().Stat(ctx, st.Key(".")); err == nil {
			st.Close()
			return nil, "", fmt.Errorf("history: %s: %w; %s never overwrites", name, fs.ErrExist, op)
		}
		return st, name, nil
	}
	entries, err := fs.ReadDir(st.FS(), ".")
	if err == nil && len(entries) > 0 {
		err = fmt.Errorf("%s already exists: %w; %s never overwrites", name, storage.ErrNotEmpty, op)
	}
	if err != nil {
		st.Close()
		return nil, "", fmt.Errorf("history: %w", err)
	}
	return st, name, nil
}

// checkDestination refuses a local destination that exists (but for an
// empty directory where a directory is written) or lies inside the
// Source. op names the operation in messages.
func (s *Source) checkDestination(dst, op string) error {
	info, err := os.Stat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("history: %w", err)
	case s.root != "." || !info.IsDir():
		return fmt.Errorf("history: %s: %w; %s never overwrites", dst, fs.ErrExist, op)
	default:
		entries, err := os.ReadDir(dst)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if len(entries) > 0 {
			return fmt.Errorf("history: %s already exists: %w; %s never overwrites", dst, storage.ErrNotEmpty, op)
		}
	}
	if s.archive {
		return nil
	}
	from, err := filepath.Abs(s.Path())
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	to, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if to == from || strings.HasPrefix(to, from+string(filepath.Separator)) {
		return fmt.Errorf("history: the destination %s lies inside the source %s; TensorBoard would read both", dst, s.Path())
	}
	return nil
}

// copyOthers copies into stage, byte for byte, every regular file of
// fsys (the Source's files, as listed) that done does not hold: projector
// configs and assets, and event files TensorBoard does not read (profiler
// markers). It returns how many it copied and what it could not.
func (s *Source) copyOthers(fsys fs.FS, stage string, done map[string]bool) (copied int, skipped []tfevents.Skip, err error) {
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			// A directory that cannot be read, such as one whose name is
			// not UTF-8, is left out, not the whole logdir.
			skipped = append(skipped, tfevents.Skip{Path: p, Reason: err.Error()})
			return nil
		}
		if d.IsDir() || done[p] {
			return nil
		}
		info, err := fs.Stat(fsys, p) // follows a link to a file
		switch {
		case err != nil:
			skipped = append(skipped, tfevents.Skip{Path: p, Reason: err.Error()})
			return nil
		case info.IsDir():
			return nil // a link to a directory, which discovery read if it holds runs
		case !info.Mode().IsRegular():
			skipped = append(skipped, tfevents.Skip{Path: p, Reason: "not a regular file"})
			return nil
		}
		copied++
		return s.writeStaged(stage, p, info.Mode().Perm(), func(w io.Writer) error {
			f, err := fsys.Open(p)
			if err != nil {
				return fmt.Errorf("history: %w", err)
			}
			defer f.Close()
			if _, err := io.Copy(w, f); err != nil {
				return fmt.Errorf("history: copy %s: %w", s.FileName(p), err)
			}
			return nil
		})
	})
	if err != nil {
		return copied, skipped, fmt.Errorf("history: %w", err)
	}
	return copied, skipped, nil
}

// perm returns the permissions of a file of FS, or the usual ones.
func (s *Source) perm(name string) fs.FileMode {
	if info, err := fs.Stat(s.fsys, name); err == nil {
		return info.Mode().Perm()
	}
	return atomicfile.DefaultPerm
}

// writeStaged creates the file name under stage, with permissions perm,
// and fills it with write.
func (s *Source) writeStaged(stage, name string, perm fs.FileMode, write func(io.Writer) error) error {
	out := filepath.Join(stage, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// repairFile writes the repaired event file name to w, through c, its
// run's checker.
func (s *Source) repairFile(c *checker, name string, w io.Writer) (RepairedFile, error) {
	rf := RepairedFile{Path: name}
	f, err := s.fsys.Open(name)
	if err != nil {
		return rf, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return rf, fmt.Errorf("history: %w", err)
	}
	r := io.Reader(f)
	if !s.archive { // a file still growing is repaired as it was
		r = io.LimitReader(f, info.Size())
	}
	fr, err := tfevents.Repair(w, r, &tfevents.RepairOptions{Name: s.FileName(name), Check: c.repair})
	if err != nil {
		if !errors.Is(err, archive.ErrCorrupt) {
			return rf, fmt.Errorf("history: repair %s: %w", s.FileName(name), err)
		}
		fr.Damage.Add(&tfevents.Damage{File: s.FileName(name), Offset: fr.BytesIn, Kind: tfevents.BadFileChecksum, Err: err})
	}
	rf.SizeBefore, rf.SizeAfter = info.Size(), fr.BytesOut
	rf.Records, rf.Rewritten, rf.AddedFileVersion = fr.Records, fr.Rewritten, fr.AddedFileVersion
	rf.Dropped, rf.DroppedOmitted = fr.Damage.Listed, fr.Damage.Omitted
	return rf, nil
}
