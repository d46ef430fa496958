package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"time"

	"github.com/golang/snappy"
	"github.com/tbgo/tbgo/tfevents"
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
// checks its size and SHA-256 and returns a *tfevents.Damage of kind
// BadFileChecksum, wrapping ErrCorrupt, instead of io.EOF when either does
// not match.
//
// A Reader's memory grows with the manifest's size, not with the number
// of entries times a Go value: the manifest is read an entry at a time
// into a compact index (a dozen bytes and the path per entry, 32 more for
// a file), and an Entry is decoded only when it is used. A manifest is at
// most MaxManifestSize.
//
// A Reader is safe for concurrent use; each opened file is not.
type Reader struct {
	ra      io.ReaderAt
	closer  io.Closer
	name    string
	ix      *index
	compact *Compaction // nil when not compacted
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

// Open opens the archive file at path. Close closes it. Errors name the
// archive.
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
	r, err := newReader(f, info.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the archive of the given size from r, checking its
// header, footer and manifest. The Reader's Close does not close r.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	return newReader(r, size, "")
}

// newReader is NewReader for an archive called name in errors and damage
// reports ("" for none).
func newReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	fail := func(err error) error {
		if name == "" {
			return fmt.Errorf("archive: %w", err)
		}
		return fmt.Errorf("archive: %s: %w", name, err)
	}
	if size < headerLen {
		return nil, fail(fmt.Errorf("%w: %d bytes, shorter than a header", ErrNotArchive, size))
	}
	var head [headerLen]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fail(fmt.Errorf("reading the header: %w", err))
	}
	if err := checkHeader(head[:]); err != nil {
		return nil, fail(err)
	}
	if size < headerLen+footerLen {
		return nil, fail(fmt.Errorf("%w: %d bytes, too short to hold a footer (truncated?)", ErrCorrupt, size))
	}
	var foot [footerLen]byte
	if _, err := r.ReadAt(foot[:], size-footerLen); err != nil {
		return nil, fail(fmt.Errorf("reading the footer: %w", err))
	}
	f, err := parseFooter(foot[:], size)
	if err != nil {
		return nil, fail(err)
	}
	ix, c, err := readManifest(io.NewSectionReader(r, int64(f.offset), int64(f.stored)), int64(f.size), int64(f.offset))
	if err != nil {
		return nil, fail(fmt.Errorf("manifest: %w", err))
	}
	return &Reader{ra: r, name: name, ix: ix, compact: c}, nil
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

// Entries returns every entry of the archive: the logdir itself (".")
// first, then the others in path order. A directory the manifest does not
// list but that holds listed entries (in an archive not written by Create)
// comes just before the first entry it holds, with mode 0755 and a zero
// ModTime. Each Entry is decoded as the loop reaches it.
func (r *Reader) Entries() iter.Seq[Entry] { return r.ix.all() }

// Compaction returns how the archive's event files were compacted, or nil
// if they are byte-for-byte copies of the logdir's.
func (r *Reader) Compaction() *Compaction { return r.compact }

// lookup returns the entry of name, or a *fs.PathError.
func (r *Reader) lookup(op, name string) (*Entry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e, ok := r.ix.lookup(name)
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return &e, nil
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
		return &dir{e: e, kids: r.ix.children(e.Path)}, nil
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
	return dirEntries(r.ix.children(e.Path)), nil
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
		f.err = f.corrupt(f.pos, f.e.Size-f.pos, fmt.Sprintf("stream ends after %d of %d bytes", f.pos, f.e.Size), nil)
		return n, f.err
	case err != nil:
		f.err = f.corrupt(f.pos, f.e.Size-f.pos, fmt.Sprintf("compressed data near byte %d", f.pos), err)
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
		f.err = f.corrupt(f.pos, 0, fmt.Sprintf("decompresses past its declared size of %d bytes", f.e.Size), nil)
	case err != io.EOF:
		f.err = f.corrupt(f.pos, 0, fmt.Sprintf("compressed data after byte %d", f.pos), err)
	case !bytes.Equal(f.h.Sum(nil), f.e.SHA256[:]):
		f.err = f.corrupt(0, 0, "sha256 mismatch", nil)
	default:
		f.err = io.EOF
	}
	return f.err
}

// corrupt returns the damage of a file whose bytes do not match the
// manifest, found at offset off: the rest of the file, skip bytes, cannot
// be read. The damage's File is "ARCHIVE:PATH", or PATH for an archive
// without a name.
func (f *file) corrupt(off, skip int64, what string, err error) error {
	d := &tfevents.Damage{File: f.e.Path, Offset: off, Kind: tfevents.BadFileChecksum, Bytes: skip}
	if f.r.name != "" {
		d.File = f.r.name + ":" + f.e.Path
	}
	if err != nil {
		d.Err = fmt.Errorf("%w: %s: %w", ErrCorrupt, what, err)
	} else {
		d.Err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	return d
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
		return f.corrupt(w.end, f.e.Size-w.end, fmt.Sprintf("stream ends after %d of %d bytes", w.end, f.e.Size), nil)
	case err != nil:
		return f.corrupt(w.end, f.e.Size-w.end, fmt.Sprintf("compressed data near byte %d", w.end), err)
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
	e    *Entry
	kids []dirEntry
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
	d.n += len(rest)
	return dirEntries(rest), nil
}

func dirEntries(kids []dirEntry) []fs.DirEntry {
	list := make([]fs.DirEntry, len(kids))
	for i := range kids {
		list[i] = &kids[i]
	}
	return list
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
