package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// A Bucket is the little tbgo needs of an object store: list keys, read an
// object from an offset, and write an object only if it is absent or
// unchanged. Objects are immutable to tbgo: there is no append, no
// unconditional overwrite and no delete, so nothing tbgo writes can replace
// what a TensorBoard may be reading.
//
// Keys are slash-separated, with no leading slash. Implementations map
// their errors to this package's: a missing object wraps ErrNotExist, a
// failed create-only write ErrExist, a failed conditional replace
// ErrPrecondition, refused credentials ErrPermission, and an error worth
// retrying (a dropped connection, a 5xx, throttling) ErrTransient.
// Messages name the object without secrets.
type Bucket interface {
	// List calls fn for every object whose key starts with prefix, in
	// byte order of the keys. If recursive is false, keys with a slash
	// after prefix are folded into one Object per common prefix, with
	// IsDir set and Key ending in "/". An error from fn stops the listing
	// and is returned.
	List(ctx context.Context, prefix string, recursive bool, fn func(Object) error) error

	// Stat returns the attributes of the object at key.
	Stat(ctx context.Context, key string) (Object, error)

	// NewRangeReader reads length bytes of the object at key from offset
	// (length < 0: to its end), returning the object's attributes with the
	// reader. An offset at or past the end gives an empty reader, not an
	// error.
	NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error)

	// Write stores data at key, visible whole or not at all, if the
	// object's current Version is match: the zero Version matches only an
	// absent key, so Write(ctx, key, data, "") creates without ever
	// replacing. Write does not keep data after it returns.
	Write(ctx context.Context, key string, data []byte, match Version) error

	// Close releases the bucket's resources.
	Close() error
}

// An Object describes a stored object, or a common prefix of a listing.
type Object struct {
	Key     string    // the full key
	Size    int64     // bytes
	ModTime time.Time // when it was written, by the store's clock
	IsDir   bool      // a common prefix in a non-recursive listing
	Version Version   // set by Stat and NewRangeReader; may be empty in listings
}

// A Version identifies one state of an object for Bucket.Write: an S3 or
// Azure ETag, a GCS generation, a local file's identity. The zero Version
// stands for "no object".
type Version string

var (
	// ErrNotExist is wrapped by errors about a missing object or bucket.
	ErrNotExist = fs.ErrNotExist

	// ErrExist is wrapped by a create-only Write's error when the key is
	// taken.
	ErrExist = fs.ErrExist

	// ErrPermission is wrapped by errors about refused credentials or
	// access.
	ErrPermission = fs.ErrPermission

	// ErrPrecondition is wrapped by a conditional Write's error when the
	// object changed since its Version was read.
	ErrPrecondition = errors.New("object changed since it was read")

	// ErrTransient is wrapped by errors that a retry may cure: a dropped
	// connection, a server error, throttling.
	ErrTransient = errors.New("transient error")
)
