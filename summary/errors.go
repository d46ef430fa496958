package summary

import (
	"errors"
	"fmt"
	"sync"
)

// A RefusedError reports the values a Writer refused since the previous
// Flush or Close: Flush and Close return one (joined with the file's own
// error, if any) so that a program that does not check every write still
// learns that values are missing. Each refusal was also returned by its
// own call.
type RefusedError struct {
	// Count is the number of values refused.
	Count int
	// First is the error of the first of them.
	First error
}

// Error says how many values were refused and why the first was.
func (e *RefusedError) Error() string {
	if e.Count == 1 {
		return fmt.Sprintf("summary: 1 value refused since the last Flush: %v", e.First)
	}
	return fmt.Sprintf("summary: %d values refused since the last Flush; first: %v", e.Count, e.First)
}

// Unwrap returns the first refusal's error, so that errors.Is(err,
// ErrTagKind) and the like see it.
func (e *RefusedError) Unwrap() error { return e.First }

// errState is what a Writer knows of the errors its calls returned.
type errState struct {
	onError func(error) // Options.OnError

	mu      sync.Mutex
	first   error // the first error of any call: Err
	refused int   // values refused since the last Flush or Close
	firstR  error // the first of them
}

// note records *err, if any: the deferred call of every write method.
func (w *Writer) note(err *error) {
	if *err != nil {
		w.noteErr(*err)
	}
}

// noteErr records err, returned by a call of the Writer, and passes it to
// Options.OnError. While the event file still works, the value itself was
// refused and counts for the next Flush or Close; once the file has failed
// (or is closed), its sticky error is theirs to report, and what could not
// be written for it is not counted again.
func (w *Writer) noteErr(err error) {
	refused := w.file.Err() == nil
	e := &w.errs
	e.mu.Lock()
	if e.first == nil {
		e.first = err
	}
	if refused {
		if e.refused == 0 {
			e.firstR = err
		}
		e.refused++
	}
	e.mu.Unlock()
	if e.onError != nil {
		e.onError(err)
	}
}

// takeRefused returns the values refused since the last call, or nil, and
// starts counting afresh.
func (w *Writer) takeRefused() *RefusedError {
	e := &w.errs
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refused == 0 {
		return nil
	}
	r := &RefusedError{Count: e.refused, First: e.firstR}
	e.refused, e.firstR = 0, nil
	return r
}

// joinRefused returns err joined with r; either may be nil.
func joinRefused(err error, r *RefusedError) error {
	switch {
	case r == nil:
		return err
	case err == nil:
		return r
	}
	return errors.Join(err, r)
}

// Err returns the first error any call of the Writer has returned (a
// refused value, a failed write, a failed Flush or Close), or nil if there
// was none: a check for the end of a loop that does not look at every
// call. Flush and Close do not reset it.
func (w *Writer) Err() error {
	w.errs.mu.Lock()
	defer w.errs.mu.Unlock()
	return w.errs.first
}
