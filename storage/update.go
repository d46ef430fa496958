package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// DefaultUpdateAttempts is how many times Update tries before giving up
// on a key others keep changing.
const DefaultUpdateAttempts = 20

// Update changes the object at key without losing a concurrent update:
// it reads the object (nil data if it is absent), calls fn with its bytes,
// and writes fn's result only if the object is still the one read: a
// conditional write (S3 If-Match, GCS generation match, Azure If-Match, a
// lock on a local directory; or create-only if it was absent). If another
// writer changed it meanwhile, Update reads again and calls fn again, up
// to DefaultUpdateAttempts times, so fn must be a pure function of its
// input: a merge. An error returned by fn stops Update and is returned; a
// nil result with a nil error leaves the object as it is. Each wait for
// the store is bounded by DefaultRequestTimeout; one that lasts longer is
// a transient error, retried as a conflict is.
//
// This is what the hparams experiment summary at a logdir's root needs,
// written by every session that starts: two processes merging at once
// both land, one after the other.
func Update(ctx context.Context, b Bucket, key string, fn func(old []byte) ([]byte, error)) error {
	backoff := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		old, version, err := readVersion(ctx, b, key)
		if err == nil {
			var data []byte
			data, err = fn(old)
			if err != nil || data == nil {
				return err
			}
			err = call(ctx, DefaultRequestTimeout, func(ctx context.Context) error { return b.Write(ctx, key, data, version) })
			if err == nil {
				return nil
			}
		}
		conflict := errors.Is(err, ErrExist) || errors.Is(err, ErrPrecondition) || errors.Is(err, ErrTransient)
		if !conflict {
			return fmt.Errorf("storage: update %s: %w", key, err)
		}
		if attempt >= DefaultUpdateAttempts {
			return fmt.Errorf("storage: update %s: gave up after %d attempts: %w", key, attempt, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("storage: update %s: %w", key, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// readVersion reads the object at key with the Version its bytes belong
// to, or at least an older one: the Version comes first, so a change in
// between makes the conditional write fail rather than lose it. Its
// errors are Update's to wrap.
func readVersion(ctx context.Context, b Bucket, key string) ([]byte, Version, error) {
	var obj Object
	err := call(ctx, DefaultRequestTimeout, func(ctx context.Context) (err error) {
		obj, err = b.Stat(ctx, key)
		return err
	})
	if errors.Is(err, ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	if obj.Version == "" {
		return nil, "", errors.New("the store gave the object no version to match")
	}
	r := newRequest(ctx, DefaultRequestTimeout)
	defer r.done()
	rc, _, err := r.open(b, key, 0)
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return nil, obj.Version, nil // removed since: the write will fail and retry
		}
		return nil, "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(watched{r, rc})
	if err != nil {
		err = r.err(err)
		// Some servers let a read see a replace under way (versitygw
		// mixes the old checksum with the new bytes): read again.
		return nil, "", fmt.Errorf("%w: %w", ErrTransient, err)
	}
	return data, obj.Version, nil
}
