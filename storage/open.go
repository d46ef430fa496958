package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tbgo/tbgo/storage/internal/secret"
)

// ErrUnknownScheme is wrapped by Open's error for a URL whose scheme no
// driver handles.
var ErrUnknownScheme = errors.New("unknown URL scheme")

// An OpenFunc opens the bucket that a URL names and returns it with the key
// prefix that the URL's path gives ("" or ending in "/"). Drivers register
// one per scheme with Register.
type OpenFunc func(ctx context.Context, u *url.URL) (b Bucket, prefix string, err error)

// drivers maps URL schemes to their OpenFunc. Like database/sql's drivers
// it is filled by init functions (storage/cloud's), so that the cloud SDKs
// are linked only into programs that import a driver.
var drivers struct {
	sync.RWMutex
	m map[string]OpenFunc
}

// Register makes open the opener of URLs with the given scheme. It is
// meant for a driver package's init function, and panics if the scheme is
// registered twice, or is "file", which this package handles itself.
func Register(scheme string, open OpenFunc) {
	drivers.Lock()
	defer drivers.Unlock()
	if scheme == "file" || drivers.m[scheme] != nil {
		panic("storage: Register called twice for scheme " + scheme)
	}
	if drivers.m == nil {
		drivers.m = map[string]OpenFunc{}
	}
	drivers.m[scheme] = open
}

// Schemes returns the URL schemes Open accepts, sorted: "file" and those
// of the registered drivers.
func Schemes() []string {
	drivers.RLock()
	defer drivers.RUnlock()
	s := []string{"file"}
	for k := range drivers.m {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// IsURL reports whether location is a URL ("scheme://...") rather than a
// path on the local file system.
func IsURL(location string) bool {
	i := strings.Index(location, "://")
	if i < 2 { // a Windows drive letter is not a scheme
		return false
	}
	for j, c := range location[:i] {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// Redact returns location with its secrets replaced by "REDACTED": the
// password of a URL's user information, the values of query parameters
// whose names suggest a secret (key, secret, token, password, signature,
// credential), and the password of a URL given as a query value
// (endpoint=http://user:pass@host). A path is returned as it is.
func Redact(location string) string {
	if !IsURL(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		// Do not echo what cannot be parsed: it may hold a secret.
		return location[:strings.Index(location, "://")] + "://REDACTED"
	}
	return secret.Redact(u)
}

// A Store is a logdir location opened for reading and writing: a Bucket
// and the key prefix under which the logdir lives. Open makes one from a
// path or a URL; its FS reads the logdir as a tree, its Bucket writes
// immutable objects into it (see NewSink and Update).
type Store struct {
	bucket  Bucket
	prefix  string // "" or ending in "/"
	name    string // the location with secrets redacted
	dir     string // the directory of a local Store
	timeout time.Duration

	// ctx is the context of the requests of FS, which fs.FS cannot be
	// given: Close cancels it.
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// StoreOptions configures a Store. The zero value gives the defaults, and
// so does a nil *StoreOptions.
type StoreOptions struct {
	// RequestTimeout bounds every wait of the Store's FS for a bucket: a
	// listing (between two of its objects), the start of a read, each
	// Read of an object's data. A wait that lasts longer fails with an
	// error that names the file and wraps ErrTransient and
	// os.ErrDeadlineExceeded, so that a server that stops answering
	// fails a reader rather than hanging it. Zero means
	// DefaultRequestTimeout; a negative value, no bound.
	RequestTimeout time.Duration
}

// Open opens a logdir location: a path on the local file system, or a URL.
// file:// URLs name local directories; other schemes need a registered
// driver: importing github.com/tbgo/tbgo/storage/cloud registers s3://,
// gs://, azblob:// and mem://. A URL's path is the logdir's key prefix
// within the bucket, and its query configures the driver, e.g.
//
//	s3://bucket/runs?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1
//
// Open checks neither that the bucket exists nor that the logdir holds
// anything: the first read or write reports that, naming the location.
// ctx bounds the opening only (see Store.FS). Errors name the location as
// Display does, without secrets; a driver's error that would show one is
// replaced by the error it wraps that does not.
func Open(ctx context.Context, location string) (*Store, error) {
	return OpenWith(ctx, location, nil)
}

// OpenWith is Open with options; nil means the defaults.
func OpenWith(ctx context.Context, location string, o *StoreOptions) (*Store, error) {
	st, err := openStore(ctx, location)
	if err != nil {
		return nil, err
	}
	st.setup(ctx, o)
	return st, nil
}

func openStore(ctx context.Context, location string) (*Store, error) {
	if location == "" {
		return nil, errors.New("storage: empty location")
	}
	if !IsURL(location) {
		return openDir(location, location), nil
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: not a valid URL", Redact(location))
	}
	name := secret.Redact(u)
	display := Display(name)
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		dir, err := fileDir(u)
		if err != nil {
			return nil, fmt.Errorf("storage: %s: %w", display, err)
		}
		return openDir(dir, name), nil
	}
	drivers.RLock()
	open := drivers.m[scheme]
	drivers.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("storage: %s: %w %q (known: %s; cloud schemes need a driver: import _ \"github.com/tbgo/tbgo/storage/cloud\")",
			display, ErrUnknownScheme, u.Scheme, strings.Join(Schemes(), ", "))
	}
	b, prefix, err := open(ctx, u)
	if err != nil {
		// Drivers quote the URL they were given, secrets and all.
		return nil, fmt.Errorf("storage: %s: %w", display, secret.Hide(err, secret.Of(u)))
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Store{bucket: b, prefix: prefix, name: name}, nil
}

// fileDir returns the local directory that the file URL u names.
func fileDir(u *url.URL) (string, error) {
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("a file URL names a local directory (file:///path), not host %q", u.Host)
	}
	if u.RawQuery != "" {
		return "", errors.New("a file URL takes no query parameters")
	}
	return filepath.FromSlash(u.Path), nil
}

// setup gives the Store its options and the context of its requests,
// which keeps ctx's values but not its cancellation.
func (s *Store) setup(ctx context.Context, o *StoreOptions) {
	if o == nil {
		o = &StoreOptions{}
	}
	s.timeout = o.RequestTimeout
	if s.timeout == 0 {
		s.timeout = DefaultRequestTimeout
	}
	s.ctx, s.cancel = context.WithCancelCause(context.WithoutCancel(ctx))
}

func openDir(dir, name string) *Store {
	return &Store{bucket: &dirBucket{root: dir}, name: name, dir: dir}
}

// NewStore returns a Store over a Bucket opened by other means (a
// gocloud.dev bucket wrapped by storage/cloud, say), with the logdir under
// prefix and name naming it in messages. Close closes b.
func NewStore(b Bucket, prefix, name string) *Store {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	st := &Store{bucket: b, prefix: prefix, name: name}
	st.setup(context.Background(), nil)
	return st
}

// Name returns the location the Store was opened with, secrets redacted.
func (s *Store) Name() string { return s.name }

// Bucket returns the Store's bucket.
func (s *Store) Bucket() Bucket { return s.bucket }

// Key returns the key of the logdir-relative slash path p: the prefix
// joined with p.
func (s *Store) Key(p string) string {
	if p == "" || p == "." {
		return strings.TrimSuffix(s.prefix, "/")
	}
	return s.prefix + path.Clean(p)
}

// Dir returns the directory of a Store opened from a path or a file://
// URL, and false for a bucket. Callers may use it for what only a local
// file system offers: os.DirFS (which follows symbolic links), appending
// with tfevents.Create.
func (s *Store) Dir() (string, bool) { return s.dir, s.dir != "" }

// FS returns the logdir as a read-only file system: what
// tfevents.DiscoverRunsFS and history read. A local Store gives os.DirFS
// of its directory. A bucket gives a tree in which every common prefix is
// a directory and every object a file. Its ReadDir is one delimited
// listing (its entries carry sizes, so it costs no per-file request).
// Opening a file starts one streaming read of the whole object, which
// tells the object's size: a sequential read to the end costs that one
// request, and its io.EOF none; a Read after that io.EOF looks once more,
// with one request, so that a follower sees an object that grew. Seek
// and ReadAt start another read from the offset asked. (Snapshot walks a
// whole logdir with one listing.)
//
// A bucket's FS is as long-lived as the Store: its requests are made
// under a context of the Store's, which carries the values of the
// context given to Open, is canceled by Close, and bounds each wait for
// the store by StoreOptions.RequestTimeout. Errors name the file by the
// Store's location, as Display shows it.
func (s *Store) FS() fs.FS {
	if s.dir != "" {
		return os.DirFS(s.dir)
	}
	return s.bucketFS()
}

func (s *Store) bucketFS() *bucketFS {
	return &bucketFS{b: s.bucket, prefix: s.prefix, name: Display(s.name), ctx: s.ctx, timeout: s.timeout}
}

// Close cancels the requests of the Store's FS that are under way, which
// fail with an error wrapping fs.ErrClosed, and closes the Store's bucket.
func (s *Store) Close() error {
	if s.bucket == nil {
		return nil
	}
	s.cancel(fs.ErrClosed)
	b := s.bucket
	s.bucket = nil
	return b.Close()
}
