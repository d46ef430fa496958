package history

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// DefaultFollowPoll is how often Follow looks for new data on a local
// disk when FollowOptions.Poll is zero.
const DefaultFollowPoll = time.Second

// DefaultBucketPoll is how often Follow looks for new data in an object
// store when FollowOptions.Poll is zero: as often as TensorBoard reloads,
// since each look costs requests (see Follow) and a writer's segments
// arrive every storage.DefaultMaxAge.
const DefaultBucketPoll = 5 * time.Second

// FollowOptions configure Follow. The zero FollowOptions follows every
// run and tag, from now on, looking every second (every 5 s in an object
// store).
type FollowOptions struct {
	// Runs and Tags select runs and tags by name; nil selects all.
	Runs, Tags *Matcher
	// Poll is how often Follow looks for new data, runs and files;
	// zero means DefaultFollowPoll, or DefaultBucketPoll for a URL of an
	// object store.
	Poll time.Duration
	// FromStart passes the values already written when Follow starts.
	// By default a file there at the start is followed from its end (its
	// values teach the decoder its series' metadata, nothing more), and
	// only files that appear later are read from their start.
	FromStart bool
	// Damaged, if not nil, is called with each damaged stretch Follow
	// reads past, and each record or value that does not decode. A torn
	// tail is not damage here: Follow waits for the writer to append the
	// rest. An error it returns ends Follow.
	Damaged func(*tfevents.Damage) error
	// Following, if not nil, is called with each event file's name when
	// Follow starts following it (past what it held, if that is skipped).
	Following func(run, file string)
	// Discovered, if not nil, is called after each look for runs with
	// the names of every run found, selected by Runs or not: none while
	// the path does not exist or holds no event file.
	Discovered func(runs []string)
	// CaughtUp, if not nil, is called each time Follow has read all that
	// was written, before it waits Poll: the time to flush output. An
	// error it returns ends Follow.
	CaughtUp func() error
}

// Follow calls fn with each new scalar of the logdir, run directory or
// event file at path as writers append it, until ctx is done, when it
// returns nil. Every Poll it looks for new runs and event files (as
// TensorBoard does) and reads what every file followed has grown by; a
// path that does not exist yet, or holds no event file yet, is waited
// for. Within a run, values come in file order, then record order; runs
// are read in name order each time. *Scalar is valid only during the
// call. An error from fn or Damaged ends Follow and is returned, and so
// does a read error; a tbgo archive, which does not grow, is an error.
//
// path may be a URL, as Open takes them. In an object store, where a
// writer cannot append, a run grows by new objects (storage.Sink's
// segments): each look lists the logdir (one recursive listing, a
// storage.Snapshot) and reads the newest object of each run from where
// it was left (a ranged read, which S3 answers with 416 when nothing was
// added), and an object that a later one follows in its run is read to
// its end and let go, as TensorBoard's Python loader does. So a look
// costs one LIST (per 1000 objects) and one request per run, whatever
// the number of objects.
//
// Records are decoded one summary value at a time, as Verify decodes
// them, and damage is what Verify reports, but for torn tails: memory is
// bounded by the largest record, whatever it holds. Every file followed
// is held open, with a buffer as large as its largest record.
func Follow(ctx context.Context, path string, o *FollowOptions, fn func(*Scalar) error) error {
	f := &follower{path: path, fn: fn, files: map[string]bool{}, checkers: map[string]*checker{}}
	if o != nil {
		f.FollowOptions = *o
	}
	_, local := storage.Local(path)
	f.retire = !local
	if f.Poll <= 0 {
		f.Poll = DefaultFollowPoll
		if !local {
			f.Poll = DefaultBucketPoll
		}
	}
	f.tags.m = f.Tags
	defer f.close()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for first := true; ; first = false {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		err := f.discover(ctx, first)
		if err == nil {
			err = f.read(ctx)
		}
		if err == nil && f.CaughtUp != nil {
			err = f.CaughtUp()
		}
		if err != nil {
			// A request that ctx's end cut short is the end asked for,
			// not a failure, whichever step it cut.
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		timer.Reset(f.Poll)
	}
}

// A follower is the state of one Follow.
type follower struct {
	FollowOptions
	path     string
	src      *Source // nil until path exists and holds an event file
	retire   bool    // let go of a file that a later one follows (object stores)
	fn       func(*Scalar) error
	files    map[string]bool // followed, or let go
	order    []*followedFile
	checkers map[string]*checker // by run
	tags     tagFilter
	scalar   Scalar
}

// A followedFile is an event file being followed.
type followedFile struct {
	run  string
	name string // in the Source's FS
	f    fs.File
	sc   *tfevents.Scanner
	c    *checker // its run's
}

func (f *follower) close() {
	for _, ff := range f.order {
		ff.f.Close()
	}
	if f.src != nil {
		f.src.Close()
	}
}

// discover looks for runs and files to follow. Files found by the first
// look are followed from their end unless FromStart is set.
func (f *follower) discover(ctx context.Context, first bool) error {
	if f.src == nil {
		// An archive is refused by its magic bytes, before Open reads
		// its manifest.
		if local, ok := storage.Local(f.path); ok {
			if info, err := os.Stat(local); err == nil && info.Mode().IsRegular() {
				if is, err := archive.IsArchive(local); err != nil {
					return fmt.Errorf("history: %w", err)
				} else if is {
					return fmt.Errorf("history: %s is an archive, which does not grow", f.path)
				}
			}
		}
		src, err := openContext(ctx, f.path)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, tfevents.ErrNoEventFiles) {
			src, err = nil, nil // waited for
		}
		if err != nil {
			return err
		}
		if src != nil && src.IsArchive() {
			src.Close()
			return fmt.Errorf("history: %s is an archive, which does not grow", f.path)
		}
		f.src = src
	}
	if f.src == nil {
		if f.Discovered != nil {
			f.Discovered(nil)
		}
		return nil
	}
	listed, err := f.src.discovery(ctx)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	runs, err := tfevents.DiscoverRunsFS(listed, f.src.root)
	if err != nil && !errors.Is(err, tfevents.ErrNoEventFiles) {
		return fmt.Errorf("history: %w", err)
	}
	if f.Discovered != nil {
		names := make([]string, len(runs))
		for i, r := range runs {
			names[i] = r.Name
		}
		f.Discovered(names)
	}
	for _, run := range runs {
		if !f.Runs.Match(run.Name) {
			continue
		}
		for _, name := range run.Files {
			if f.files[name] {
				continue
			}
			if err := f.add(run.Name, name, first && !f.FromStart); err != nil {
				return err
			}
		}
	}
	return nil
}

// add starts following a file, past what it holds if skip is set.
func (f *follower) add(run, name string, skip bool) error {
	file, err := f.src.fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone since discovered
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f.files[name] = true
	c := f.checkers[run]
	if c == nil {
		c = newChecker()
		f.checkers[run] = c
	}
	ff := &followedFile{run: run, name: name, f: file, sc: tfevents.NewScanner(file), c: c}
	ff.sc.Name, ff.sc.Follow = f.src.FileName(name), true
	ff.sc.Damaged = f.damaged
	f.order = append(f.order, ff)
	if skip {
		// Learn the metadata of what is there, pass none of it.
		for ff.sc.Scan() {
			c.check(ff.sc.Record(), nil)
		}
		if err := ff.sc.Err(); err != nil {
			return err
		}
	}
	if f.Following != nil {
		f.Following(run, ff.sc.Name)
	}
	return nil
}

func (f *follower) damaged(d *tfevents.Damage) error {
	if f.Damaged == nil {
		return nil
	}
	return f.Damaged(d)
}

// read passes what every file followed has grown by.
func (f *follower) read(ctx context.Context) error {
	for _, ff := range f.order {
		f.scalar.Run = ff.run
		for n := 1; ff.sc.Scan(); n++ {
			if n%ctxCheckEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			var err error
			_, d := ff.c.check(ff.sc.Record(), func(v *summary.Value) {
				if err != nil || v.Kind != summary.KindScalar || !f.tags.match(v.Tag) {
					return
				}
				f.scalar.ScalarPoint = summary.ScalarPoint{Tag: v.Tag, Step: v.Step, WallTime: v.WallTime, Value: v.Scalar}
				err = f.fn(&f.scalar)
			})
			if err != nil {
				return err
			}
			if d != nil && !ff.sc.Report(*d) {
				break
			}
		}
		if err := ff.sc.Err(); err != nil {
			return err
		}
	}
	if f.retire {
		f.letGo()
	}
	return nil
}

// letGo closes the files that a later file of their run follows and that
// have been read to their end: a writer to an object store never touches
// an object again once it has begun the next.
func (f *follower) letGo() {
	newest := map[string]string{} // by run
	for _, ff := range f.order {
		newest[ff.run] = max(newest[ff.run], ff.name)
	}
	keep := f.order[:0]
	for _, ff := range f.order {
		if ff.name < newest[ff.run] && ff.sc.Pending() == 0 {
			ff.f.Close()
			continue
		}
		keep = append(keep, ff)
	}
	clear(f.order[len(keep):])
	f.order = keep
}
