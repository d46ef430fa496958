package history

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// VerifyOptions configure Verify. The zero VerifyOptions passes a Source
// whose only damage is torn tails.
type VerifyOptions struct {
	// Strict fails torn tails too, which a writer still appending leaves.
	Strict bool
	// Progress, if not nil, is called now and then with the bytes of
	// event files read so far and their total.
	Progress func(done, total int64)
}

// VerifyReport is what Verify found. Its JSON form is tbgo verify -json's.
type VerifyReport struct {
	Path    string `json:"path"`
	Archive bool   `json:"archive"`
	Runs    int    `json:"runs"`
	// Files are the runs' event files, then, in an archive, its other
	// files, each checked against its SHA-256.
	Files   []FileReport `json:"files"`
	Records int          `json:"records"`
	Values  int          `json:"values"`
	// Corrupt counts the damage of every kind but torn tails, Torn the
	// torn tails.
	Corrupt int  `json:"corrupt"`
	Torn    int  `json:"torn_tails"`
	Strict  bool `json:"strict"`
	// OK reports that nothing is corrupt, nor, if Strict, torn.
	OK bool `json:"ok"`
}

// A FileReport is what a read of one file found.
type FileReport struct {
	// Path names the file as Source.FileName does.
	Path string `json:"path"`
	// Run is the run the file belongs to; empty for an archive's file
	// that is not an event file.
	Run  string `json:"run,omitempty"`
	Size int64  `json:"size"`
	// Records counts the records whose checksums hold, Values the
	// summary values that decode.
	Records int `json:"records"`
	Values  int `json:"values"`
	// FileVersion and Writer are the file_version event's.
	FileVersion string `json:"file_version,omitempty"`
	Writer      string `json:"writer,omitempty"`
	// Damage lists what the read skipped, up to
	// tfevents.MaxLoggedDamage; DamageOmitted counts the rest.
	Damage        []*tfevents.Damage `json:"problems,omitempty"`
	DamageOmitted int                `json:"problems_omitted,omitempty"`

	corrupt, torn int
}

func (f *FileReport) setDamage(l *tfevents.DamageLog) {
	f.Damage, f.DamageOmitted = l.Listed, l.Omitted
	f.corrupt, f.torn = l.Corrupt(), l.Torn()
}

// Verify reads every record of the Source's event files, checking both
// checksums, that it decodes as an Event with a finite wall time and that
// its summary values decode, and reports the damage it finds with file,
// offset and kind, reading on past it as every reader does. In an archive
// it also checks every file against its SHA-256. Damage is not an error:
// the error is a failure to read, or ctx's.
func (s *Source) Verify(ctx context.Context, o *VerifyOptions) (*VerifyReport, error) {
	var opts VerifyOptions
	if o != nil {
		opts = *o
	}
	rep := &VerifyReport{Path: s.Path(), Archive: s.archive, Runs: len(s.runs), Strict: opts.Strict}
	var total, done int64
	if opts.Progress != nil {
		for _, run := range s.runs {
			for _, file := range run.Files {
				if info, err := s.Stat(file); err == nil {
					total += info.Size()
				}
			}
		}
	}
	events := map[string]bool{}
	for _, run := range s.runs {
		c := newChecker()
		for _, file := range run.Files {
			events[file] = true
			var progress func(int64)
			if opts.Progress != nil {
				progress = func(n int64) { opts.Progress(done+n, total) }
			}
			fr, err := s.checkFile(ctx, run.Name, file, c, progress, nil, nil)
			if err != nil {
				return nil, err
			}
			done += fr.Size
			rep.Files = append(rep.Files, fr)
		}
	}
	if ar, ok := s.fsys.(*archive.Reader); ok {
		for e := range ar.Entries() {
			if e.IsDir() || events[e.Path] {
				continue
			}
			fr := FileReport{Path: s.FileName(e.Path), Size: e.Size}
			var log tfevents.DamageLog
			if err := ar.Check(e.Path); err != nil {
				log.Add(&tfevents.Damage{File: fr.Path, Kind: tfevents.BadFileChecksum, Bytes: e.Size, Err: err})
			}
			fr.setDamage(&log)
			rep.Files = append(rep.Files, fr)
		}
	}
	for _, f := range rep.Files {
		rep.Records += f.Records
		rep.Values += f.Values
		rep.Corrupt += f.corrupt
		rep.Torn += f.torn
	}
	rep.OK = rep.Corrupt == 0 && (!opts.Strict || rep.Torn == 0)
	return rep, nil
}

// checkFile reads one event file of a run through c, the run's checker,
// as it stood when opened (a file still growing is read up to its size
// then). It calls event, if not nil, with each sound event (its summary's
// values left out) and value, if not nil, with each value that decodes,
// both with the offset of their record; progress, if not nil, now and then
// with the bytes read. In an archive, reading a file to its end checks
// its SHA-256: a mismatch is BadFileChecksum damage.
func (s *Source) checkFile(ctx context.Context, run, file string, c *checker, progress func(int64),
	event func(ev *tbpb.Event, off int64), value func(v *summary.Value, off int64)) (FileReport, error) {
	fr := FileReport{Path: s.FileName(file), Run: run}
	f, err := s.fsys.Open(file)
	if err != nil {
		return fr, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fr, fmt.Errorf("history: %w", err)
	}
	fr.Size = info.Size()
	var log tfevents.DamageLog
	r := io.Reader(f)
	if !s.archive { // an archive's file does not grow, and is checked at its end
		r = io.LimitReader(f, fr.Size)
	}
	sc := tfevents.NewScanner(r)
	sc.Name = fr.Path
	sc.Damaged = func(d *tfevents.Damage) error {
		log.Add(d)
		return nil
	}
	var off int64
	var onValue func(*summary.Value)
	if value != nil {
		onValue = func(v *summary.Value) { value(v, off) }
	}
	for sc.Scan() {
		if fr.Records++; fr.Records%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fr, err
			}
			if progress != nil {
				progress(sc.End())
			}
		}
		off = sc.Offset()
		n, d := c.check(sc.Record(), onValue)
		fr.Values += n
		if d != nil {
			sc.Report(*d)
			if d.Kind != tfevents.InvalidValue {
				continue
			}
		}
		ev := c.event()
		if v := ev.GetFileVersion(); v != "" && fr.FileVersion == "" {
			fr.FileVersion, fr.Writer = v, ev.GetSourceMetadata().GetWriter()
		}
		if event != nil {
			event(ev, off)
		}
	}
	if err := sc.Err(); err != nil {
		if !errors.Is(err, archive.ErrCorrupt) {
			return fr, err
		}
		log.Add(&tfevents.Damage{File: fr.Path, Offset: sc.End(), Kind: tfevents.BadFileChecksum, Err: err})
	}
	if progress != nil {
		progress(fr.Size)
	}
	fr.setDamage(&log)
	return fr, nil
}
