package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/golang/snappy"
)

// An Entry describes one file or directory of an archive as its manifest
// records it.
type Entry struct {
	// Path is the entry's slash-separated path relative to the logdir;
	// "." is the logdir itself.
	Path string
	// Mode is fs.ModeDir for a directory plus the permission bits.
	Mode fs.FileMode
	// ModTime is the modification time the logdir had, to the nanosecond.
	ModTime time.Time

	// Size is a file's length in bytes as stored (after compaction, if
	// any); SHA256 is the SHA-256 of those bytes.
	Size   int64
	SHA256 [sha256.Size]byte

	// Offset and Stored locate the file's Snappy stream in the archive:
	// Stored compressed bytes from Offset. Both are 0 for an empty file.
	Offset, Stored int64

	// Compacted reports that compaction rewrote this event file; then
	// OriginalSize and OriginalSHA256 describe the file in the logdir.
	Compacted      bool
	OriginalSize   int64
	OriginalSHA256 [sha256.Size]byte
}

// IsDir reports whether e is a directory.
func (e *Entry) IsDir() bool { return e.Mode.IsDir() }

// A Reader presents an archive as a read-only file system: the archived
// logdir's files and directories under their original slash-separated
// relative paths. It implements fs.FS, fs.ReadDirFS and fs.StatFS.
//
// Open checks the whole manifest before it returns: every path is safe to
// join to a directory, every entry is a file or a directory, every stored
// range lies inside the archive without overlapping another, and no
// declared size is beyond what Snappy could have compressed into the
// stored bytes. Files opened from a Reader decompress as they are read,
// holding one 64 KiB Snappy chunk at a time; reading a file to its end
// checks its size and SHA-256 and returns an error wrapping ErrCorrupt
// instead of io.EOF when either does not match.
//
// A Reader is safe for concurrent use; each opened file is not.
type Reader struct {
	ra      io.ReaderAt
	closer  io.Closer
	name    string
	entries []Entry          // in path order, with synthesized parents
	index   map[string]int   // path -> entries index
	kids    map[string][]int // directory path -> children, by name
	compact *Compaction      // nil when not compacted
}

// The file systems and files a Reader provides.
var (
	_ interface {
		fs.ReadDirFS
		fs.StatFS
		io.Closer
	} = (*Reader)(nil)
	_ interface {
		fs.File
		io.Seeker
		io.ReaderAt
	} = (*file)(nil)
	_ fs.ReadDirFile = (*dir)(nil)
)

// Open opens the archive file at path. Close closes it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("archive: %w", err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("archive: %s is not a regular file", path)
	}
	r, err := NewReader(f, info.Size())
	if err != nil {
		f.Close()
		return nil, prefixError(path, err)
	}
	r.name, r.closer = path, f
	return r, nil
}

// prefixError names the archive in an error from NewReader.
func prefixError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "archive: ")
	return &readError{msg: "archive: " + name + ": " + msg, err: err}
}

// readError is an error with a message of its own that still unwraps to
// the error it rewrites.
type readError struct {
	msg string
	err error
}

func (e *readError) Error() string { return e.msg }
func (e *readError) Unwrap() error { return e.err }

// NewReader reads the archive of the given size from r, checking its
// header, footer and manifest. The Reader's Close does not close r.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	if size < headerLen {
		return nil, fmt.Errorf("archive: %w: %d bytes, shorter than a header", ErrNotArchive, size)
	}
	var head [headerLen]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("archive: reading the header: %w", err)
	}
	if err := checkHeader(head[:]); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if size < headerLen+footerLen {
		return nil, fmt.Errorf("archive: %w: %d bytes, too short to hold a footer (truncated?)", ErrCorrupt, size)
	}
	var foot [footerLen]byte
	if _, err := r.ReadAt(foot[:], size-footerLen); err != nil {
		return nil, fmt.Errorf("archive: reading the footer: %w", err)
	}
	f, err := parseFooter(foot[:], size)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	raw, err := readStream(io.NewSectionReader(r, int64(f.offset), int64(f.stored)), int64(f.size))
	if err != nil {
		return nil, fmt.Errorf("archive: manifest: %w", err)
	}
	entries, c, err := decodeManifest(raw, int64(f.offset))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	ar := &Reader{ra: r, compact: c}
	if err := ar.build(entries); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return ar, nil
}

// readStream decompresses a whole Snappy stream that must hold exactly
// size bytes. Memory grows with the data actually decompressed, never
// with the declared size alone.
func readStream(r io.Reader, size int64) ([]byte, error) {
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(snappy.NewReader(r), size+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	case n != size:
		return nil, fmt.Errorf("%w: %d bytes decompressed, %d declared", ErrCorrupt, n, size)
	}
	return b.Bytes(), nil
}

// build indexes entries, adding the directories that hold them when the
// manifest does not list them, and refuses a path that is both a file and
// a directory.
func (r *Reader) build(entries []Entry) error {
	r.index = make(map[string]int, len(entries))
	for i := range entries {
		r.index[entries[i].Path] = i
	}
	all := entries
	for _, e := range entries {
		for dir := path.Dir(e.Path); e.Path != "."; dir = path.Dir(dir) {
			if i, ok := r.index[dir]; ok {
				if !all[i].IsDir() {
					return fmt.Errorf("%w: %q is a file and also holds %q", ErrCorrupt, dir, e.Path)
				}
				break
			}
			r.index[dir] = len(all)
			all = append(all, Entry{Path: dir, Mode: fs.ModeDir | 0o755})
			if dir == "." {
				break
			}
		}
	}
	if len(all) > len(entries) {
		slices.SortFunc(all, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
		for i := range all {
			r.index[all[i].Path] = i
		}
	}
	if len(all) == 0 {
		all = append(all, Entry{Path: ".", Mode: fs.ModeDir | 0o755})
		r.index["."] = 0
	}
	r.entries = all
	r.kids = map[string][]int{}
	for i, e := range all {
		if e.Path != "." {
			dir := path.Dir(e.Path)
			r.kids[dir] = append(r.kids[dir], i)
		}
	}
	for _, kids := range r.kids {
		slices.SortFunc(kids, func(a, b int) int { return strings.Compare(path.Base(all[a].Path), path.Base(all[b].Path)) })
	}
	return nil
}

// Close closes the archive file if Open opened it. Files opened from the
// Reader fail after Close.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Entries returns every entry of the archive in path order, the logdir
// itself (".") first. A directory the manifest does not list but that
// holds listed entries (in an archive not written by Create) appears with
// mode 0755 and a zero ModTime. The slice is the Reader's own; do not
// modify it.
func (r *Reader) Entries() []Entry { return r.entries }

// Compaction returns how the archive's event files were compacted, or nil
// if they are byte-for-byte copies of the logdir's.
func (r *Reader) Compaction() *Compaction { return r.compact }

// lookup returns the entry of name, or a *fs.PathError.
func (r *Reader) lookup(op, name string) (*Entry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	i, ok := r.index[name]
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return &r.entries[i], nil
}

// Open opens the named file or directory for reading; name is
// slash-separated and relative, as fs.ValidPath requires. A file also
// implements io.Seeker (seeking backwards restarts decompression from the
// file's start, seeking forwards decompresses and discards) and
// io.ReaderAt.
func (r *Reader) Open(name string) (fs.File, error) {
	e, err := r.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e.IsDir() {
		return &dir{r: r, e: e, kids: r.kids[e.Path]}, nil
	}
	f := &file{r: r, e: e, h: sha256.New()}
	f.rewind()
	return f, nil
}

// Stat returns the fs.FileInfo of the named file or directory. Its Sys
// method returns the *Entry.
func (r *Reader) Stat(name string) (fs.FileInfo, error) {
	e, err := r.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return fileInfo{e}, nil
}

// ReadDir returns the entries of the named directory sorted by name.
func (r *Reader) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := r.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	kids := r.kids[e.Path]
	list := make([]fs.DirEntry, len(kids))
	for i, k := range kids {
		list[i] = fs.FileInfoToDirEntry(fileInfo{&r.entries[k]})
	}
	return list, nil
}

// Check reads the named file to its end and reports whether its
// decompressed bytes match the manifest's size and SHA-256.
func (r *Reader) Check(name string) error {
	f, err := r.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		return err
	}
	return nil
}

// fileInfo is an Entry as an fs.FileInfo.
type fileInfo struct{ e *Entry }

func (fi fileInfo) Name() string       { return path.Base(fi.e.Path) }
func (fi fileInfo) Size() int64        { return fi.e.Size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.e.Mode }
func (fi fileInfo) ModTime() time.Time { return fi.e.ModTime }
func (fi fileInfo) IsDir() bool        { return fi.e.IsDir() }
func (fi fileInfo) Sys() any           { return fi.e }

// file is an open archived file.
type file struct {
	r   *Reader
	e   *Entry
	dec *snappy.Reader
	h   hash.Hash // SHA-256 of every byte decompressed so far
	pos int64     // bytes decompressed so far
	off int64     // the reader's position: pos, or past it after a Seek
	err error     // sticky: corruption, or io.EOF once checked
	one [1]byte
	at  *window // ReadAt's own decompression, made on first use
}

// window is a decompression cursor of its own for ReadAt, keeping the last
// bytes it decompressed so that reads a little behind it (as a scan with
// overlapping windows makes) need no restart.
type window struct {
	dec *snappy.Reader
	buf []byte // decompressed bytes ending at end
	end int64
}

// windowKeep is how many decompressed bytes a window keeps behind its end.
const windowKeep = 64 << 10

func (f *file) rewind() {
	sr := io.NewSectionReader(f.r.ra, f.e.Offset, f.e.Stored)
	if f.dec == nil {
		f.dec = snappy.NewReader(sr)
	} else {
		f.dec.Reset(sr)
	}
	f.h.Reset()
	f.pos, f.off, f.err = 0, 0, nil
}

func (f *file) Stat() (fs.FileInfo, error) { return fileInfo{f.e}, nil }

func (f *file) Close() error {
	if f.dec == nil {
		return &fs.PathError{Op: "close", Path: f.e.Path, Err: fs.ErrClosed}
	}
	f.dec = nil
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	if f.dec == nil {
		return 0, &fs.PathError{Op: "read", Path: f.e.Path, Err: fs.ErrClosed}
	}
	if f.off > f.pos {
		// After a forward Seek: decompress and hash the bytes in between,
		// so that the file is still checked when it reaches its end.
		var buf [4096]byte
		for f.off > f.pos && f.pos < f.e.Size {
			if _, err := f.read(buf[:min(f.off-f.pos, int64(len(buf)))]); err != nil {
				return 0, err
			}
		}
	}
	n, err := f.read(p)
	f.off = f.pos
	return n, err
}

// read decompresses the next bytes of the file into p.
func (f *file) read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.pos == f.e.Size {
		return 0, f.finish()
	}
	if int64(len(p)) > f.e.Size-f.pos {
		p = p[:f.e.Size-f.pos]
	}
	n, err := f.dec.Read(p)
	f.h.Write(p[:n])
	f.pos += int64(n)
	switch {
	case err == io.EOF:
		f.err = f.corrupt(fmt.Sprintf("stream ends after %d of %d bytes", f.pos, f.e.Size), nil)
		return n, f.err
	case err != nil:
		f.err = f.corrupt(fmt.Sprintf("compressed data near byte %d", f.pos), err)
		return n, f.err
	}
	return n, nil
}

// finish checks, once every declared byte is read, that the stream ends
// there and that the bytes hash to the manifest's SHA-256.
func (f *file) finish() error {
	n, err := f.dec.Read(f.one[:])
	switch {
	case n > 0:
		f.err = f.corrupt(fmt.Sprintf("decompresses past its declared size of %d bytes", f.e.Size), nil)
	case err != io.EOF:
		f.err = f.corrupt(fmt.Sprintf("compressed data after byte %d", f.pos), err)
	case !bytes.Equal(f.h.Sum(nil), f.e.SHA256[:]):
		f.err = f.corrupt("sha256 mismatch", nil)
	default:
		f.err = io.EOF
	}
	return f.err
}

func (f *file) corrupt(what string, err error) error {
	name := f.r.name
	if name != "" {
		name += ": "
	}
	if err != nil {
		return fmt.Errorf("archive: %s%s: %w: %s: %w", name, f.e.Path, ErrCorrupt, what, err)
	}
	return fmt.Errorf("archive: %s%s: %w: %s", name, f.e.Path, ErrCorrupt, what)
}

// ReadAt reads len(p) bytes at offset off, as io.ReaderAt specifies. It
// decompresses with a cursor of its own, neither moving nor moved by Read
// and Seek; a read more than 64 KiB behind the previous one restarts that
// cursor from the file's start. ReadAt does not check the file's SHA-256
// (a sequential Read to the end does), only Snappy's chunk checksums. It
// must not be called concurrently with other methods of the file.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if f.dec == nil {
		return 0, &fs.PathError{Op: "readat", Path: f.e.Path, Err: fs.ErrClosed}
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.e.Path, Err: fs.ErrInvalid}
	}
	if f.at == nil {
		f.at = &window{}
		f.resetWindow()
	}
	w := f.at
	n := 0
	for n < len(p) {
		o := off + int64(n)
		if o >= f.e.Size {
			return n, io.EOF
		}
		start := w.end - int64(len(w.buf))
		switch {
		case o < start:
			f.resetWindow()
		case o < w.end:
			n += copy(p[n:], w.buf[o-start:])
		default:
			if err := f.advance(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (f *file) resetWindow() {
	sr := io.NewSectionReader(f.r.ra, f.e.Offset, f.e.Stored)
	w := f.at
	if w.dec == nil {
		w.dec = snappy.NewReader(sr)
		w.buf = make([]byte, 0, 2*windowKeep)
	} else {
		w.dec.Reset(sr)
	}
	w.buf, w.end = w.buf[:0], 0
}

// advance decompresses the window's next bytes, sliding it forward.
func (f *file) advance() error {
	w := f.at
	if len(w.buf) > cap(w.buf)-windowKeep/2 {
		keep := copy(w.buf, w.buf[len(w.buf)-windowKeep:])
		w.buf = w.buf[:keep]
	}
	want := min(int64(cap(w.buf)-len(w.buf)), f.e.Size-w.end)
	n, err := w.dec.Read(w.buf[len(w.buf) : len(w.buf)+int(want)])
	w.buf = w.buf[:len(w.buf)+n]
	w.end += int64(n)
	switch {
	case err == io.EOF:
		return f.corrupt(fmt.Sprintf("stream ends after %d of %d bytes", w.end, f.e.Size), nil)
	case err != nil:
		return f.corrupt(fmt.Sprintf("compressed data near byte %d", w.end), err)
	}
	return nil
}

// Seek sets the offset of the next Read. Offsets past the end are allowed;
// reading there returns io.EOF once the file is checked.
func (f *file) Seek(offset int64, whence int) (int64, error) {
	if f.dec == nil {
		return 0, &fs.PathError{Op: "seek", Path: f.e.Path, Err: fs.ErrClosed}
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.e.Size
	default:
		return 0, &fs.PathError{Op: "seek", Path: f.e.Path, Err: fs.ErrInvalid}
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: f.e.Path, Err: fs.ErrInvalid}
	}
	if offset < f.pos {
		f.rewind()
	}
	f.off = offset
	return offset, nil
}

// dir is an open archived directory.
type dir struct {
	r    *Reader
	e    *Entry
	kids []int
	n    int // children returned so far
}

func (d *dir) Stat() (fs.FileInfo, error) { return fileInfo{d.e}, nil }
func (d *dir) Close() error               { return nil }

func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.e.Path, Err: errors.New("is a directory")}
}

// ReadDir returns the directory's next entries, as fs.ReadDirFile
// specifies.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.kids[d.n:]
	if n > 0 {
		if len(rest) == 0 {
			return nil, io.EOF
		}
		rest = rest[:min(n, len(rest))]
	}
	list := make([]fs.DirEntry, len(rest))
	for i, k := range rest {
		list[i] = fs.FileInfoToDirEntry(fileInfo{&d.r.entries[k]})
	}
	d.n += len(rest)
	return list, nil
}

// IsArchive reports whether the file at path starts with the archive
// magic. A directory, or a file shorter than the magic, is not an archive;
// the error is for a path that cannot be opened or read.
func IsArchive(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("archive: %w", err)
	}
	if !info.Mode().IsRegular() {
		return false, nil
	}
	var head [len(magic)]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false, nil
		}
		return false, fmt.Errorf("archive: %s: %w", path, err)
	}
	return string(head[:]) == magic, nil
}
