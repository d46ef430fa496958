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
// password of a URL's user information, and query values whose names
// suggest a secret (key, secret, token, password, signature, credential).
// A path is returned as it is.
func Redact(location string) string {
	if !IsURL(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		// Do not echo what cannot be parsed: it may hold a secret.
		return location[:strings.Index(location, "://")] + "://REDACTED"
	}
	return redactURL(u)
}

func redactURL(u *url.URL) string {
	v := *u
	if v.User != nil {
		if _, ok := v.User.Password(); ok {
			v.User = url.UserPassword(v.User.Username(), "REDACTED")
		}
	}
	q := v.Query()
	changed := false
	for k := range q {
		lk := strings.ToLower(k)
		for _, s := range []string{"key", "secret", "token", "password", "sig", "credential"} {
			if strings.Contains(lk, s) {
				q[k] = []string{"REDACTED"}
				changed = true
				break
			}
		}
	}
	if changed {
		v.RawQuery = q.Encode()
	}
	return v.String()
}

// A Store is a logdir location opened for reading and writing: a Bucket
// and the key prefix under which the logdir lives. Open makes one from a
// path or a URL; its FS reads the logdir as a tree, its Bucket writes
// immutable objects into it (see NewSink and Update).
type Store struct {
	bucket Bucket
	prefix string // "" or ending in "/"
	name   string // the location with secrets redacted
	dir    string // the directory of a local Store
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
// Errors name the location with secrets redacted (see Redact).
func Open(ctx context.Context, location string) (*Store, error) {
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
	name := redactURL(u)
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("storage: %s: a file URL names a local directory (file:///path), not host %q", name, u.Host)
		}
		if len(u.Query()) > 0 {
			return nil, fmt.Errorf("storage: %s: a file URL takes no query parameters", name)
		}
		return openDir(filepath.FromSlash(u.Path), name), nil
	}
	drivers.RLock()
	open := drivers.m[scheme]
	drivers.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("storage: %s: %w %q (known: %s; cloud schemes need a driver: import _ \"github.com/tbgo/tbgo/storage/cloud\")",
			name, ErrUnknownScheme, u.Scheme, strings.Join(Schemes(), ", "))
	}
	b, prefix, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", name, err)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Store{bucket: b, prefix: prefix, name: name}, nil
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
	return &Store{bucket: b, prefix: prefix, name: name}
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
// listing (its entries carry sizes, so it costs no per-file request);
// opening a file starts one streaming read of the whole object, and
// Seek or ReadAt start another from the offset asked; a Read at the end
// looks once more, so that a follower sees an object that grew. Requests
// are made with context.Background: a Store's FS is as long-lived as the
// Store.
func (s *Store) FS() fs.FS {
	if s.dir != "" {
		return os.DirFS(s.dir)
	}
	return &bucketFS{b: s.bucket, prefix: s.prefix, name: Display(s.name)}
}

// Close closes the Store's bucket.
func (s *Store) Close() error {
	if s.bucket == nil {
		return nil
	}
	b := s.bucket
	s.bucket = nil
	return b.Close()
}
