package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"time"
)

// Put creates the object at key with data, as a Sink creates its
// segments: with a create-only write (an existing object is never
// replaced: the error wraps ErrExist), retrying an error that wraps
// ErrTransient with exponential backoff for up to DefaultRetryTimeout,
// each attempt bounded by DefaultRequestTimeout (an attempt that takes
// longer fails with an error wrapping ErrTransient and
// os.ErrDeadlineExceeded). An attempt whose answer was lost may have
// landed: if a retry finds the key taken by exactly data, Put succeeds.
func Put(ctx context.Context, b Bucket, key string, data []byte) error {
	_, err := create(ctx, b, key, data, DefaultRetryTimeout, DefaultRequestTimeout)
	return err
}

// create is Put with its timeouts (retryFor < 0: no retries). It returns
// the number of requests made.
func create(ctx context.Context, b Bucket, key string, data []byte, retryFor, reqFor time.Duration) (requests int, err error) {
	return write(ctx, b, key, data, "", retryFor, reqFor)
}

// write stores data at key if the object's version is match (the zero
// Version: if there is none), as Bucket.Write, retrying transient errors
// (see retry). An attempt whose answer was lost may have landed, and then
// a retry is refused (ErrExist, ErrPrecondition): if the object holds
// exactly data, it is ours, and write succeeds. It returns the number of
// requests made.
func write(ctx context.Context, b Bucket, key string, data []byte, match Version, retryFor, reqFor time.Duration) (requests int, err error) {
	requests, err = retry(ctx, "upload "+key, retryFor, func() error {
		return call(ctx, reqFor, func(ctx context.Context) error { return b.Write(ctx, key, data, match) })
	})
	refused := errors.Is(err, ErrExist) || errors.Is(err, ErrPrecondition)
	if refused && requests > 1 && holds(ctx, b, key, data, reqFor) {
		return requests, nil
	}
	return requests, err
}

// stat is Bucket.Stat, retrying transient errors (see retry). It returns
// the number of requests made.
func stat(ctx context.Context, b Bucket, key string, retryFor, reqFor time.Duration) (obj Object, requests int, err error) {
	requests, err = retry(ctx, "stat "+key, retryFor, func() error {
		return call(ctx, reqFor, func(ctx context.Context) error {
			var err error
			obj, err = b.Stat(ctx, key)
			return err
		})
	})
	return obj, requests, err
}

// retry makes attempt, a request to a bucket, until it succeeds or fails
// with an error that a retry will not cure: it retries an error that
// wraps ErrTransient, or a deadline, with exponential backoff for up to
// retryFor (< 0: no retries). A refused condition (ErrExist,
// ErrPrecondition) is returned as it is; other errors say what was done.
// It returns the number of attempts made.
func retry(ctx context.Context, what string, retryFor time.Duration, attempt func() error) (attempts int, err error) {
	deadline := time.Now().Add(retryFor)
	backoff := 100 * time.Millisecond
	for {
		err = attempt()
		attempts++
		switch {
		case err == nil:
			return attempts, nil
		case errors.Is(err, ErrExist), errors.Is(err, ErrPrecondition):
			return attempts, err
		case ctx.Err() != nil:
			return attempts, fmt.Errorf("storage: %s: %w", what, ctx.Err())
		case !errors.Is(err, ErrTransient) && !errors.Is(err, context.DeadlineExceeded):
			// (An attempt past reqFor is a stallError, transient; a
			// driver's own timeouts, a dial's say, are deadlines.)
			return attempts, fmt.Errorf("storage: %s: %w", what, err)
		case retryFor < 0 || time.Now().Add(backoff).After(deadline):
			return attempts, fmt.Errorf("storage: %s: gave up after %d attempts: %w", what, attempts, err)
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return attempts, fmt.Errorf("storage: %s: %w", what, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// holds reports whether the object at key holds exactly data.
func holds(ctx context.Context, b Bucket, key string, data []byte, reqFor time.Duration) bool {
	r := newRequest(ctx, reqFor)
	defer r.done()
	rc, obj, err := r.open(b, key, 0)
	if err != nil {
		return false
	}
	defer rc.Close()
	if obj.Size != int64(len(data)) {
		return false
	}
	got := make([]byte, len(data)+1)
	n, _ := io.ReadFull(watched{r, rc}, got)
	return n == len(data) && bytes.Equal(got[:n], data)
}

// ErrNotEmpty is wrapped by PutFS's error for a destination that holds
// objects already.
var ErrNotEmpty = errors.New("destination is not empty")

// PutFS copies every regular file of fsys into the Store, each as the
// object at its path below the Store's prefix, with Put: nothing is
// replaced, and a destination that holds any object already is refused
// (an error wrapping ErrNotEmpty) before anything is written. It returns
// the number of files and bytes copied. Each file is read whole into
// memory before it is written (an object is stored whole or not at all),
// so memory is bounded by the largest file. If a file cannot be read or
// written, PutFS stops and returns an error naming it; the objects
// written before stay, since an object store deletes nothing here.
func PutFS(ctx context.Context, st *Store, fsys fs.FS) (files int, size int64, err error) {
	entries, err := fs.ReadDir(st.FS(), ".")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, 0, fmt.Errorf("storage: %s: %w", st.Name(), err)
	}
	if len(entries) > 0 {
		return 0, 0, fmt.Errorf("storage: %s: %w (it holds %q)", st.Name(), ErrNotEmpty, entries[0].Name())
	}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if err := Put(ctx, st.Bucket(), st.Key(p), data); err != nil {
			return err
		}
		files++
		size += int64(len(data))
		return nil
	})
	if err != nil {
		return files, size, fmt.Errorf("storage: copy into %s: %w", st.Name(), err)
	}
	return files, size, nil
}
