package storage

import (
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// Join joins a location (a path or a URL, as Open takes them) with
// slash-separated path elements below it: filepath.Join for a path, the
// URL's path extended for a URL, its query (a driver's settings) kept.
// It is how a program names a run below a logdir whatever the logdir is:
//
//	Join("runs", "exp1", "rank0")                      // runs/exp1/rank0
//	Join("s3://b/runs?region=us-east-1", "exp1/rank0") // s3://b/runs/exp1/rank0?region=us-east-1
//
// A URL that does not parse is returned with the elements appended after
// a slash, so that Open reports it.
func Join(location string, elem ...string) string {
	if !IsURL(location) {
		parts := append([]string{location}, elem...)
		for i := 1; i < len(parts); i++ {
			parts[i] = filepath.FromSlash(parts[i])
		}
		return filepath.Join(parts...)
	}
	u, err := url.Parse(location)
	if err != nil {
		return strings.TrimSuffix(location, "/") + "/" + path.Join(elem...)
	}
	u.Path = path.Join(append([]string{"/", u.Path}, elem...)...)
	u.RawPath = ""
	return u.String()
}

// Local returns the local path a location names: the location itself if
// it is a path, the path of a file:// URL (file:///abs/path); ok is false
// for any other URL, which names an object store, and for a file:// URL
// that Open would refuse (a host, a query).
func Local(location string) (dir string, ok bool) {
	if !IsURL(location) {
		return location, true
	}
	u, err := url.Parse(location)
	if err != nil || !strings.EqualFold(u.Scheme, "file") {
		return "", false
	}
	dir, err = fileDir(u)
	return dir, err == nil
}

// Display returns a location as messages name it: a path as it is; a URL
// with its secrets redacted and its query (endpoints, regions: driver
// settings) and trailing slash dropped, s3://bucket/runs for
// s3://bucket/runs/?endpoint=....
func Display(location string) string {
	if !IsURL(location) {
		return location
	}
	u, _, _ := strings.Cut(Redact(location), "?")
	return strings.TrimSuffix(u, "/")
}
