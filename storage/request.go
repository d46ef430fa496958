package storage

import (
	"context"
	"io"
	"os"
	"time"
)

// A request is one request to a bucket (of a Store's FS, or an upload
// attempt of a Sink or Put), under a context
// of its own that bounds the request's waits for the store: a wait (a
// call, a Read of the data) that lasts longer than the timeout cancels
// the context with a stallError. Time between waits, while a reader
// holds a stream open and reads nothing, does not count.
type request struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timeout time.Duration // <= 0: none
	timer   *time.Timer   // made by the first wait
}

func newRequest(parent context.Context, timeout time.Duration) *request {
	ctx, cancel := context.WithCancelCause(parent)
	return &request{ctx: ctx, cancel: cancel, timeout: timeout}
}

// begin starts a wait for the store; end ends it.
func (r *request) begin() {
	if r.timeout <= 0 {
		return
	}
	if r.timer == nil {
		r.timer = time.AfterFunc(r.timeout, func() { r.cancel(&stallError{r.timeout}) })
		return
	}
	r.timer.Reset(r.timeout)
}

func (r *request) end() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

// err returns err, or if the request's context ended, why: the store
// stalled (a stallError), or the file or Store was closed (fs.ErrClosed).
// A driver reports that as a canceled context, in its own words.
func (r *request) err(err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(r.ctx); cause != nil {
		return cause
	}
	return err
}

// done ends the request; call it once its err has been asked.
func (r *request) done() {
	r.end()
	r.cancel(nil)
}

// call makes call, one wait for the store, as a request of its own under
// parent, and returns its error, or why the request's context ended.
func call(parent context.Context, timeout time.Duration, call func(context.Context) error) error {
	r := newRequest(parent, timeout)
	defer r.done()
	r.begin()
	err := call(r.ctx)
	r.end()
	return r.err(err)
}

// list is b.List as one request under parent, each wait for the next key
// bounded by timeout (the time fn takes does not count).
func list(parent context.Context, b Bucket, timeout time.Duration, prefix string, recursive bool, fn func(Object) error) error {
	r := newRequest(parent, timeout)
	defer r.done()
	r.begin()
	err := b.List(r.ctx, prefix, recursive, func(o Object) error {
		r.end()
		defer r.begin()
		return fn(o)
	})
	r.end()
	return r.err(err)
}

// open starts a read of the object at key from off to its end. On an
// error the request is done.
func (r *request) open(b Bucket, key string, off int64) (io.ReadCloser, Object, error) {
	return r.openRange(b, key, off, -1)
}

// openRange starts a read of length bytes of the object at key from off.
// On an error the request is done.
func (r *request) openRange(b Bucket, key string, off, length int64) (io.ReadCloser, Object, error) {
	r.begin()
	rc, obj, err := b.NewRangeReader(r.ctx, key, off, length)
	r.end()
	if err != nil {
		err = r.err(err)
		r.done()
		return nil, Object{}, err
	}
	return rc, obj, nil
}

// read reads from the request's stream rc, bounded.
func (r *request) read(rc io.Reader, p []byte) (int, error) {
	r.begin()
	n, err := rc.Read(p)
	r.end()
	return n, err
}

// watched is a request's stream with each Read bounded.
type watched struct {
	r  *request
	rc io.Reader
}

func (w watched) Read(p []byte) (int, error) { return w.r.read(w.rc, p) }

// stallError is the error of a request that waited for the store longer
// than its timeout. It is transient, and a timeout as I/O deadlines are
// (os.ErrDeadlineExceeded, Timeout).
type stallError struct{ timeout time.Duration }

func (e *stallError) Error() string {
	return "no answer from the store within " + e.timeout.String()
}

func (e *stallError) Timeout() bool { return true }

func (e *stallError) Is(target error) bool {
	return target == ErrTransient || target == os.ErrDeadlineExceeded
}
