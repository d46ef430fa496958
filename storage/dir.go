package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tbgo/tbgo/internal/atomicfile"
)

// tmpPrefix starts the names of the files a dirBucket writes before they
// take their key's name: no loader takes them for event files.
const tmpPrefix = ".tbgo-tmp-"

// dirBucket is a Bucket over a local directory, for paths and file://
// URLs. Create-only writes are atomic across processes (a hard link fails
// if the name is taken); conditional replaces hold an exclusive lock on
// the directory (flock on Unix, see dir_unix.go) while they compare and
// rename.
type dirBucket struct {
	root string
}

func (b *dirBucket) path(key string) (string, error) {
	if key == "" || !fs.ValidPath(key) {
		return "", fmt.Errorf("storage: %q is not a valid key", key)
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

func (b *dirBucket) List(ctx context.Context, prefix string, recursive bool, fn func(Object) error) error {
	dir, _ := path.Split(prefix)
	start := filepath.Join(b.root, filepath.FromSlash(dir))
	var objs []Object
	var walk func(osDir, keyDir string) error
	walk = func(osDir, keyDir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(osDir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && keyDir != dir {
				return nil // removed while listing
			}
			if errors.Is(err, fs.ErrNotExist) {
				if _, serr := os.Stat(b.root); serr != nil {
					return fmt.Errorf("storage: %w", serr)
				}
				return nil // an empty listing, as a bucket gives
			}
			return fmt.Errorf("storage: %w", err)
		}
		for _, e := range entries {
			key := keyDir + e.Name()
			if strings.HasPrefix(e.Name(), tmpPrefix) || !strings.HasPrefix(key, prefix) && !strings.HasPrefix(prefix, key+"/") {
				continue
			}
			info, err := os.Stat(filepath.Join(osDir, e.Name())) // follows links
			if err != nil {
				continue // dangling link, or removed meanwhile
			}
			if info.IsDir() {
				if recursive || strings.HasPrefix(prefix, key+"/") {
					if err := walk(filepath.Join(osDir, e.Name()), key+"/"); err != nil {
						return err
					}
				} else {
					objs = append(objs, Object{Key: key + "/", IsDir: true})
				}
				continue
			}
			if info.Mode().IsRegular() && strings.HasPrefix(key, prefix) {
				objs = append(objs, Object{Key: key, Size: info.Size(), ModTime: info.ModTime()})
			}
		}
		return nil
	}
	if err := walk(start, dir); err != nil {
		return err
	}
	// A directory walk is sorted per directory; keys sort by bytes
	// ("a.b" before "a/c").
	slices.SortFunc(objs, func(x, y Object) int { return strings.Compare(x.Key, y.Key) })
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (b *dirBucket) Stat(ctx context.Context, key string) (Object, error) {
	p, err := b.path(key)
	if err != nil {
		return Object{}, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return Object{}, fmt.Errorf("storage: %w", err)
	}
	if !info.Mode().IsRegular() {
		return Object{}, fmt.Errorf("storage: %s: %w (not a regular file)", p, ErrNotExist)
	}
	return Object{Key: key, Size: info.Size(), ModTime: info.ModTime(), Version: fileVersion(info)}, nil
}

func (b *dirBucket) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, Object{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, Object{}, fmt.Errorf("storage: %w", err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w (not a regular file)", p, ErrNotExist)
	}
	if err == nil && offset > 0 {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, Object{}, fmt.Errorf("storage: %w", err)
	}
	obj := Object{Key: key, Size: info.Size(), ModTime: info.ModTime(), Version: fileVersion(info)}
	if length < 0 {
		return f, obj, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, obj, nil
}

func (b *dirBucket) Write(ctx context.Context, key string, data []byte, match Version) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return fmt.Errorf("storage: %s: %w", p, err)
	}
	defer os.Remove(tmp) // after a link or a rename: a no-op or the spare name
	if match != "" {
		return b.replace(p, tmp, match)
	}
	// link(2) publishes the whole file under its name, or fails if the
	// name is taken, atomically, whoever else is writing.
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("storage: %s: %w", p, ErrExist)
		}
		return fmt.Errorf("storage: %w", err)
	}
	return atomicfile.SyncDir(dir)
}

// replace renames tmp over p if p's version is match, under the
// directory's lock.
func (b *dirBucket) replace(p, tmp string, match Version) error {
	unlock, err := lockDir(filepath.Dir(p))
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer unlock()
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: %s: %w (it was removed)", p, ErrPrecondition)
	}
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if fileVersion(info) != match {
		return fmt.Errorf("storage: %s: %w", p, ErrPrecondition)
	}
	return atomicfile.Rename(tmp, p)
}

// writeTemp writes data to a new file in dir, synced, with a name no
// loader reads (tmpPrefix), and returns its path.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), atomicfile.DefaultPerm)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (b *dirBucket) Close() error { return nil }
