package storage

import (
	"fmt"
	"time"
)

// BusyWindow returns how long after its last write a run counts as still
// being written, for writers whose Sinks upload at least every maxAge
// while they have records (zero or less: DefaultMaxAge): twice maxAge,
// for an upload that retried, plus a minute for the clocks of the writer
// and the store to disagree. It is 1m50s at the defaults. A writer that
// logs nothing for longer than that looks finished.
func BusyWindow(maxAge time.Duration) time.Duration {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return 2*maxAge + time.Minute
}

// LastWrite finds the event file of a run written last, to tell whether a
// writer may still be at work on the run: the one rule by which NewSink
// refuses a run another writer is writing, and by which compaction
// (history.Source.Compact) refuses a run that is not finished. The zero
// LastWrite has seen no file.
type LastWrite struct {
	File    string    // the event file written last, as Add named it
	ModTime time.Time // when it was written, by the store's clock
}

// Add notes that the event file name was written at mod.
func (l *LastWrite) Add(name string, mod time.Time) {
	if l.File == "" || mod.After(l.ModTime) {
		l.File, l.ModTime = name, mod
	}
}

// Busy returns a *BusyError, which wraps ErrRunBusy, if the file written
// last was written less than BusyWindow(maxAge) before now, and nil
// otherwise (nil too if no file was added).
func (l LastWrite) Busy(now time.Time, maxAge time.Duration) error {
	window := BusyWindow(maxAge)
	if age := now.Sub(l.ModTime); l.File != "" && age < window {
		return &BusyError{File: l.File, Age: age, Window: window}
	}
	return nil
}

// A BusyError reports a run whose event file File was written Age ago,
// less than Window: another process may still be writing it. It wraps
// ErrRunBusy.
type BusyError struct {
	File   string
	Age    time.Duration
	Window time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s was written %v ago: %v", e.File, e.Age.Round(time.Second), ErrRunBusy)
}

// Unwrap returns ErrRunBusy.
func (e *BusyError) Unwrap() error { return ErrRunBusy }

// Wait returns how long the run must rest from now on before it counts
// as finished, if nothing writes it meanwhile.
func (e *BusyError) Wait() time.Duration { return e.Window - e.Age }
