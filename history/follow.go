package history

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// DefaultFollowPoll is how often Follow looks for new data when
// FollowOptions.Poll is zero.
const DefaultFollowPoll = time.Second

// FollowOptions configure Follow. The zero FollowOptions follows every
// run and tag, from now on, looking every second.
type FollowOptions struct {
	// Runs and Tags select runs and tags by name; nil selects all.
	Runs, Tags *Matcher
	// Poll is how often Follow looks for new data, runs and files;
	// zero means DefaultFollowPoll.
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
	// CaughtUp, if not nil, is called each time Follow has read all that
	// was written, before it waits Poll: the time to flush output. An
	// error it returns ends Follow.
	CaughtUp func() error
}

// Follow calls fn with each new scalar of the logdir, run directory or
// event file at path as writers append it, until ctx is done, when it
// returns nil. Every Poll it looks for new runs and event files
// (tfevents.DiscoverRuns, as TensorBoard does) and reads what every file
// followed has grown by; a path that does not exist yet is waited for.
// Within a run, values come in file order, then record order; runs are
// read in name order each time. *Scalar is valid only during the call.
// An error from fn or Damaged ends Follow and is returned, and so does a
// read error; a tbgo archive, which does not grow, is an error.
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
	if f.Poll <= 0 {
		f.Poll = DefaultFollowPoll
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
		if err := f.discover(first); err != nil {
			return err
		}
		err := f.read(ctx)
		if err == nil && f.CaughtUp != nil {
			err = f.CaughtUp()
		}
		if err != nil {
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
	fn       func(*Scalar) error
	files    map[string]bool // followed
	order    []*followedFile
	checkers map[string]*checker // by run
	tags     tagFilter
	scalar   Scalar
}

// A followedFile is an event file being followed.
type followedFile struct {
	run string
	f   *os.File
	sc  *tfevents.Scanner
	c   *checker // its run's
}

func (f *follower) close() {
	for _, ff := range f.order {
		ff.f.Close()
	}
}

// discover looks for runs and files to follow. Files found by the first
// look are followed from their end unless FromStart is set.
func (f *follower) discover(first bool) error {
	info, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // waited for
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if !info.IsDir() {
		if is, err := archive.IsArchive(f.path); err != nil {
			return fmt.Errorf("history: %w", err)
		} else if is {
			return fmt.Errorf("history: %s is an archive, which does not grow", f.path)
		}
		if !tfevents.IsEventFile(filepath.Base(f.path)) {
			return fmt.Errorf("history: %s: %w", f.path, ErrUnknownFormat)
		}
	}
	runs, err := tfevents.DiscoverRuns(f.path)
	if err != nil && !errors.Is(err, tfevents.ErrNoEventFiles) {
		return fmt.Errorf("history: %w", err)
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
	file, err := os.Open(name)
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
	ff := &followedFile{run: run, f: file, sc: tfevents.NewScanner(file), c: c}
	ff.sc.Name, ff.sc.Follow = name, true
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
		f.Following(run, name)
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
	return nil
}
