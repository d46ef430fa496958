package history

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// DefaultCompactSize is the default cap on the size of an object Compact
// writes: 64 MiB, eight of a Sink's largest segments, and what a
// compaction into a bucket holds in memory.
const DefaultCompactSize = 64 << 20

// CompactOptions configures Compact. The zero value is ready to use.
type CompactOptions struct {
	// MaxSize caps the size of a merged object: a writer's segments go
	// into one object until the next would take it past MaxSize, and
	// then start another. A segment larger than MaxSize is copied as it
	// is. Zero means DefaultCompactSize.
	MaxSize int64

	// Now is the clock against which a run's last write is judged. Nil
	// means time.Now.
	Now func() time.Time
}

// CompactReport is what Compact did. Its JSON form is tbgo compact -json's.
type CompactReport struct {
	Source      string         `json:"source"`
	Destination string         `json:"destination"`
	Runs        []CompactedRun `json:"runs"`
	// Copied counts the files that are not event files of a run, copied
	// byte for byte.
	Copied int `json:"files_copied"`
	// Skipped lists what could not be copied, with why: names io/fs
	// cannot give (not UTF-8), links to nowhere, pipes and devices.
	Skipped []tfevents.Skip `json:"skipped,omitempty"`
}

// A CompactedRun is one run as Compact wrote it: its event files before
// and after, with their sizes.
type CompactedRun struct {
	Run         string `json:"run"`
	FilesBefore int    `json:"files_before"`
	FilesAfter  int    `json:"files_after"`
	SizeBefore  int64  `json:"size_before"`
	SizeAfter   int64  `json:"size_after"`
	// Records counts the records written; the file_version records
	// that headed the segments merged into another are not.
	Records int64 `json:"records"`
}

// Compact writes a compacted copy of the Source, a logdir or a run
// directory, to dst: the segments a storage.Sink uploaded for one event
// file (see storage.SplitSegment) are merged, in name order, into objects
// of up to MaxSize, each named like the first segment it holds and
// beginning with that segment's file_version record; the file_version
// records that began the others are left out. Every other record is
// copied byte for byte, in the order TensorBoard reads them, and the
// merged names sort in that order too: every reader, TensorBoard's
// loaders included, reads from the copy the same values as from the
// Source, each once, from far fewer objects. A day of a run written at
// the Sink's defaults, 3456 segments, becomes a handful of objects.
// Event files that are not segments are copied as they are, and every
// other file byte for byte.
//
// Compaction copies only what is sound and finished:
//
//   - A run with damage (anything Verify reports) is refused with an
//     error wrapping the first *tfevents.Damage: write a repaired copy
//     with Repair and compact that.
//   - A run whose event files were written less than
//     storage.BusyWindow(0) ago (1m50s, the rule by which storage.NewSink
//     refuses a run another writer is writing) is refused with an error
//     wrapping a *storage.BusyError, which says how long to wait: a
//     writer may still be adding segments, which the copy would miss.
//     The runs of an archive are finished.
//
// dst, a directory or a URL, must be empty, as for Repair (an error
// wrapping storage.ErrNotEmpty otherwise), and appears only once
// complete; a copy into a bucket is staged on local disk first. The
// Source is never modified, so a TensorBoard watching it sees nothing
// change. A TensorBoard pointed at dst shows every value once. Deleting
// the Source afterwards while a TensorBoard watches it stops the reloads
// of its Python loader (an object it reads vanishes): restart it on dst.
func (s *Source) Compact(dst string, opts *CompactOptions) (*CompactReport, error) {
	var o CompactOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultCompactSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if s.root != "." {
		return nil, fmt.Errorf("history: %s is one event file; compact takes a logdir or a run directory", s.Path())
	}
	// Runs are found afresh, so that a file written since Open counts.
	listed, err := s.discovery(context.Background())
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	runs, err := tfevents.DiscoverRunsFS(listed, ".")
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.Path(), err)
	}
	plans := make([][]chunk, len(runs))
	now := o.Now()
	for i, run := range runs {
		var last storage.LastWrite
		if plans[i], err = s.planRun(listed, run, o.MaxSize, &last); err != nil {
			return nil, err
		}
		if s.archive {
			continue
		}
		if err := last.Busy(now, 0); err != nil {
			var busy *storage.BusyError
			errors.As(err, &busy)
			return nil, fmt.Errorf("history: run %q: %w; compact only a finished run (wait %v)",
				run.Name, err, busy.Wait().Round(time.Second))
		}
	}
	rep := &CompactReport{Source: s.Path()}
	rep.Destination, err = s.writeDir(dst, "compact", func(stage string) error {
		done := map[string]bool{}
		for i, run := range runs {
			cr, err := s.compactRun(listed, stage, run, plans[i])
			if err != nil {
				return err
			}
			rep.Runs = append(rep.Runs, cr)
			for _, f := range run.Files {
				done[f] = true
			}
		}
		var err error
		rep.Copied, rep.Skipped, err = s.copyOthers(listed, stage, done)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// A chunk is the event files merged into one: consecutive segments of one
// writer, or a single event file.
type chunk []eventFile

type eventFile struct {
	name string // path in the listing
	info fs.FileInfo
}

// planRun splits the run's event files, in name order, into chunks, and
// adds each to last.
func (s *Source) planRun(listed fs.FS, run tfevents.Run, maxSize int64, last *storage.LastWrite) ([]chunk, error) {
	var (
		chunks []chunk
		writer string // the segments' base and suffix of the chunk at hand, "" if not a segment
		size   int64
	)
	for _, name := range run.Files {
		info, err := fs.Stat(listed, name)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		last.Add(s.FileName(name), info.ModTime())
		f := eventFile{name, info}
		base, _, suffix, ok := storage.SplitSegment(path.Base(name))
		key := base + "\x00" + suffix
		if ok && writer == key && size+info.Size() <= maxSize {
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], f)
			size += info.Size()
			continue
		}
		chunks = append(chunks, chunk{f})
		size, writer = info.Size(), ""
		if ok {
			writer = key
		}
	}
	return chunks, nil
}

// compactRun writes the run's chunks into stage, each as one file named
// like its first.
func (s *Source) compactRun(listed fs.FS, stage string, run tfevents.Run, chunks []chunk) (CompactedRun, error) {
	cr := CompactedRun{Run: run.Name, FilesBefore: len(run.Files), FilesAfter: len(chunks)}
	c := newChecker()
	for _, ch := range chunks {
		err := s.writeStaged(stage, ch[0].name, ch[0].info.Mode().Perm(), func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<20)
			for i, f := range ch {
				records, size, err := s.copyRecords(listed, c, f, i > 0, bw)
				cr.Records += records
				cr.SizeBefore += f.info.Size()
				cr.SizeAfter += size
				if err != nil {
					return err
				}
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("history: %w", err)
			}
			return nil
		})
		if err != nil {
			return cr, err
		}
	}
	return cr, nil
}

// copyRecords writes the records of the event file f to w, framed anew,
// which gives the bytes they had, through c, its run's checker; the first
// is left out if it is a file_version event and dropVersion is set. Any
// damage ends the copy with an error wrapping it. It returns the number
// of records and bytes written.
func (s *Source) copyRecords(listed fs.FS, c *checker, f eventFile, dropVersion bool, w io.Writer) (records, size int64, err error) {
	in, err := listed.Open(f.name)
	if err != nil {
		return 0, 0, fmt.Errorf("history: %w", err)
	}
	defer in.Close()
	r := io.Reader(in)
	if !s.archive { // a file that grew since it was listed is copied as it was
		r = io.LimitReader(in, f.info.Size())
	}
	sc := tfevents.NewScanner(r)
	sc.Name = s.FileName(f.name)
	sc.Damaged = func(d *tfevents.Damage) error { return d }
	var frame []byte
	for i := 0; sc.Scan(); i++ {
		rec := sc.Record()
		if _, d := c.check(rec, nil); d != nil {
			d.File, d.Offset = sc.Name, sc.Offset()
			return records, size, damaged(d)
		}
		if i == 0 && dropVersion && c.event().GetFileVersion() != "" {
			continue
		}
		frame = tfevents.AppendRecord(frame[:0], rec)
		if _, err := w.Write(frame); err != nil {
			return records, size, fmt.Errorf("history: %w", err)
		}
		records++
		size += int64(len(frame))
	}
	if err := sc.Err(); err != nil {
		var d *tfevents.Damage
		if errors.As(err, &d) {
			return records, size, damaged(d)
		}
		return records, size, fmt.Errorf("history: %s: %w", sc.Name, err)
	}
	return records, size, nil
}

// damaged is the error of a compaction that met damage.
func damaged(d *tfevents.Damage) error {
	return fmt.Errorf("history: %w; compact copies only sound runs: repair it first (tbgo repair) and compact the repaired copy", d)
}
