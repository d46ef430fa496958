package archive

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/golang/snappy"
)

// index holds a manifest's entries in path order, compactly: each entry's
// fields encoded back to back in recs (see appendRec), at the offsets at.
// An Entry is decoded when it is used, so an open archive's memory grows
// with its manifest's size (an entry costs its path and a dozen bytes, a
// file 32 more for its SHA-256), never with a Go value per entry: a small
// archive whose manifest lists two million directories cannot make Open
// take gigabytes.
//
// Directories that hold listed entries but are not listed themselves (in
// an archive not written by Create) are not stored: they are found by
// prefix, since the paths that start with "dir/" are contiguous in path
// order.
type index struct {
	recs string // a string, so that paths and names are substrings of it
	at   []uint32
}

// Flags of an entry record.
const (
	recDir = 1 << iota
	recCompacted
)

// appendRec appends e's record: its path (uvarint length, bytes), flags,
// permission bits, modification time (varint seconds, uvarint
// nanoseconds) and, for a file, size, offset and stored length (uvarints)
// and SHA-256, and for a compacted file its original size and SHA-256.
func appendRec(b []byte, e *Entry) []byte {
	b = binary.AppendUvarint(b, uint64(len(e.Path)))
	b = append(b, e.Path...)
	var flags byte
	if e.IsDir() {
		flags |= recDir
	}
	if e.Compacted {
		flags |= recCompacted
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(e.Mode.Perm()))
	b = binary.AppendVarint(b, e.ModTime.Unix())
	b = binary.AppendUvarint(b, uint64(e.ModTime.Nanosecond()))
	if e.IsDir() {
		return b
	}
	b = binary.AppendUvarint(b, uint64(e.Size))
	b = binary.AppendUvarint(b, uint64(e.Offset))
	b = binary.AppendUvarint(b, uint64(e.Stored))
	b = append(b, e.SHA256[:]...)
	if e.Compacted {
		b = binary.AppendUvarint(b, uint64(e.OriginalSize))
		b = append(b, e.OriginalSHA256[:]...)
	}
	return b
}

// uvarint decodes the unsigned varint at recs[off:], returning it and the
// offset after it.
func (ix *index) uvarint(off int) (uint64, int) {
	var v uint64
	for shift := 0; ; shift += 7 {
		c := ix.recs[off]
		off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, off
		}
	}
}

// path returns the path of listed entry i, without copying it.
func (ix *index) path(i int) string {
	n, off := ix.uvarint(int(ix.at[i]))
	return ix.recs[off : off+int(n)]
}

// isDir reports whether listed entry i is a directory.
func (ix *index) isDir(i int) bool {
	n, off := ix.uvarint(int(ix.at[i]))
	return ix.recs[off+int(n)]&recDir != 0
}

// entry decodes listed entry i. Records are written by appendRec from
// checked entries, so decoding cannot fail.
func (ix *index) entry(i int) Entry {
	n, off := ix.uvarint(int(ix.at[i]))
	e := Entry{Path: ix.recs[off : off+int(n)]}
	off += int(n)
	flags := ix.recs[off]
	off++
	uv := func() uint64 {
		var v uint64
		v, off = ix.uvarint(off)
		return v
	}
	e.Mode = fs.FileMode(uv())
	zz := uv() // zigzag, as binary.AppendVarint writes it
	sec := int64(zz >> 1)
	if zz&1 != 0 {
		sec = ^sec
	}
	e.ModTime = time.Unix(sec, int64(uv()))
	if flags&recDir != 0 {
		e.Mode |= fs.ModeDir
		return e
	}
	e.Size, e.Offset, e.Stored = int64(uv()), int64(uv()), int64(uv())
	off += copy(e.SHA256[:], ix.recs[off:])
	if flags&recCompacted != 0 {
		e.Compacted, e.OriginalSize = true, int64(uv())
		copy(e.OriginalSHA256[:], ix.recs[off:])
	}
	return e
}

// search returns the index of the first listed entry whose path is not
// before p.
func (ix *index) search(p string) int {
	lo, hi := 0, len(ix.at)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ix.path(m) < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the index of the listed entry of path p.
func (ix *index) find(p string) (int, bool) {
	i := ix.search(p)
	return i, i < len(ix.at) && ix.path(i) == p
}

// holds reports whether some listed entry's path starts with prefix.
func (ix *index) holds(prefix string) bool {
	i := ix.search(prefix)
	return i < len(ix.at) && strings.HasPrefix(ix.path(i), prefix)
}

// lookup returns the entry of path p: a listed one, or a directory that
// holds listed entries without being listed, which has mode 0755 and a
// zero ModTime. The root "." always exists.
func (ix *index) lookup(p string) (Entry, bool) {
	if i, ok := ix.find(p); ok {
		return ix.entry(i), true
	}
	if p == "." || ix.holds(p+"/") {
		return impliedDir(p), true
	}
	return Entry{}, false
}

func impliedDir(p string) Entry {
	return Entry{Path: p, Mode: fs.ModeDir | 0o755}
}

// prefixOf returns the prefix shared by the paths of what directory dir
// holds: "dir/", or "" for the root.
func prefixOf(dir string) string {
	if dir == "." {
		return ""
	}
	return dir + "/"
}

// A dirEntry is an entry as ReadDir lists it: its path and type, the rest
// decoded only if Info is called. It is small, as a directory can list
// millions.
type dirEntry struct {
	ix   *index
	path string
	i    int32 // the listed entry; -1 for a directory that is not listed
	dir  bool
}

func (d *dirEntry) Name() string      { return path.Base(d.path) }
func (d *dirEntry) IsDir() bool       { return d.dir }
func (d *dirEntry) String() string    { return fs.FormatDirEntry(d) }
func (d *dirEntry) Type() fs.FileMode { return d.mode().Type() }

func (d *dirEntry) mode() fs.FileMode {
	if d.dir {
		return fs.ModeDir
	}
	return 0
}

// Info decodes the entry.
func (d *dirEntry) Info() (fs.FileInfo, error) {
	e := impliedDir(d.path)
	if d.i >= 0 {
		e = d.ix.entry(int(d.i))
	}
	return fileInfo{&e}, nil
}

// children returns the entries directory dir directly holds, sorted by
// name. Below each child directory it jumps over the child's contents by
// binary search, so it costs the number of children, not of descendants.
func (ix *index) children(dir string) []dirEntry {
	prefix := prefixOf(dir)
	var kids []dirEntry
	for i := ix.search(prefix); i < len(ix.at); {
		p := ix.path(i)
		if !strings.HasPrefix(p, prefix) {
			break
		}
		rest := p[len(prefix):]
		slash := strings.IndexByte(rest, '/')
		if p == "." || slash < 0 {
			if p != "." {
				kids = append(kids, dirEntry{ix: ix, path: p, i: int32(i), dir: ix.isDir(i)})
			}
			i++
			continue
		}
		// A descendant: its child directory, listed earlier (and so
		// already taken) or not listed at all.
		child := p[:len(prefix)+slash]
		if _, listed := ix.find(child); !listed {
			kids = append(kids, dirEntry{ix: ix, path: child, i: -1, dir: true})
		}
		i = ix.search(child + "0") // '0' follows '/': past child's contents
	}
	slices.SortFunc(kids, func(a, b dirEntry) int { return strings.Compare(a.path, b.path) })
	return kids
}

// newAncestors calls yield with the directories above listed entry i that
// are not listed and were not yielded for an entry before i, shallowest
// first. Since the paths below a directory are contiguous, a directory
// not yet seen is one that entry i-1 does not lie below.
func (ix *index) newAncestors(i int, yield func(string) bool) bool {
	p := ix.path(i)
	var prev string
	if i > 0 {
		prev = ix.path(i - 1)
	}
	for k := 0; k < len(p); k++ {
		if p[k] != '/' {
			continue
		}
		dir := p[:k]
		if len(prev) > k && prev[k] == '/' && strings.HasPrefix(prev, dir) {
			continue // entry i-1 lies below it: taken already
		}
		if _, listed := ix.find(dir); !listed && !yield(dir) {
			return false
		}
	}
	return true
}

// all returns every entry: the root first, then the others in path order,
// each directory that is not listed coming just before the first entry it
// holds.
func (ix *index) all() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		root, _ := ix.lookup(".")
		if !yield(root) {
			return
		}
		for i := range ix.at {
			if ix.path(i) == "." {
				continue
			}
			if !ix.newAncestors(i, func(dir string) bool { return yield(impliedDir(dir)) }) {
				return
			}
			if !yield(ix.entry(i)) {
				return
			}
		}
	}
}

// backward returns all's entries in reverse order: every directory after
// what it holds.
func (ix *index) backward() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for i := len(ix.at) - 1; i >= 0; i-- {
			if ix.path(i) == "." {
				continue
			}
			if !yield(ix.entry(i)) {
				return
			}
			var dirs []string
			ix.newAncestors(i, func(dir string) bool { dirs = append(dirs, dir); return true })
			for _, d := range slices.Backward(dirs) {
				if !yield(impliedDir(d)) {
					return
				}
			}
		}
		root, _ := ix.lookup(".")
		yield(root)
	}
}

// readManifest decompresses the manifest, a Snappy stream in r that must
// hold exactly size bytes of JSON, and indexes its entries, checking each
// as it goes (see manifestEntry.toEntry): paths in strictly increasing
// order, stored ranges in the file data [headerLen, dataEnd), in manifest
// order without overlapping (as Create writes them), and no path both a
// file and a directory. The JSON is decoded an entry at a time, so memory
// is the index's, not the manifest's.
func readManifest(r io.Reader, size, dataEnd int64) (*index, *Compaction, error) {
	cr := &countReader{r: io.LimitReader(snappy.NewReader(r), size+1)}
	ix, c, err := decodeManifest(json.NewDecoder(cr), dataEnd)
	switch {
	case cr.n > size:
		return nil, nil, fmt.Errorf("%w: more bytes decompressed than the %d declared", ErrCorrupt, size)
	case err == nil && cr.n != size:
		return nil, nil, fmt.Errorf("%w: %d bytes decompressed, %d declared", ErrCorrupt, cr.n, size)
	case err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsafePath):
		// The JSON's own error, or the Snappy stream's under it.
		return nil, nil, fmt.Errorf("%w: manifest does not decode: %v", ErrCorrupt, err)
	}
	return ix, c, err
}

// decodeManifest reads the manifest object from dec. Its error is either
// one wrapping ErrCorrupt or ErrUnsafePath, or dec's own.
func decodeManifest(dec *json.Decoder, dataEnd int64) (*index, *Compaction, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, err
	}
	var (
		v    int
		c    *Compaction
		ix   = &index{}
		seen = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := tok.(string) // inside an object, a key
		if seen[key] {
			return nil, nil, fmt.Errorf("%w: manifest has %q twice", ErrCorrupt, key)
		}
		seen[key] = true
		switch key {
		case "version":
			err = dec.Decode(&v)
		case "compaction":
			err = dec.Decode(&c)
		case "entries":
			err = ix.decodeEntries(dec, dataEnd)
		default:
			// Unknown fields are ignored: a link entry from another
			// tool carries a target this format has no field for, and
			// its type is the clearer error. A change of meaning needs
			// a new version.
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, nil, fmt.Errorf("%w: manifest has data after its end", ErrCorrupt)
		}
		return nil, nil, err
	}
	if v != manifestV1 {
		return nil, nil, fmt.Errorf("%w: manifest version %d in a version %d archive", ErrCorrupt, v, version)
	}
	if c != nil && (c.KeepImages < 0 || c.KeepAudio < 0 || c.ScalarFactor < 0) {
		return nil, nil, fmt.Errorf("%w: manifest compaction has a negative setting", ErrCorrupt)
	}
	return ix, c, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%v where %q belongs", tok, want)
	}
	return nil
}

// decodeEntries reads the entries array into ix, checking each entry.
// Records take fewer bytes than the JSON they come from (a SHA-256 is 32
// bytes, not 64 hex digits), so a manifest within MaxManifestSize keeps
// every offset within uint32.
func (ix *index) decodeEntries(dec *json.Decoder, dataEnd int64) error {
	tok, err := dec.Token()
	if err != nil || tok == nil { // "entries": null is an empty list
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("entries: %v where a list belongs", tok)
	}
	var (
		me       manifestEntry
		e        Entry
		prevEnd  int64    = headerLen // where the last stored range ends
		files    []string             // listed files that may be prefixes of what follows
		lastPath []byte
		recs     []byte
	)
	for i := 0; dec.More(); i++ {
		me = manifestEntry{}
		if err := dec.Decode(&me); err != nil {
			return err
		}
		if err := me.toEntry(&e, dataEnd); err != nil {
			return fmt.Errorf("manifest entry %d (%q): %w", i, me.Path, err)
		}
		if i > 0 && string(lastPath) >= e.Path {
			return fmt.Errorf("%w: manifest entry %d (%q) is out of order or repeated after %q", ErrCorrupt, i, e.Path, lastPath)
		}
		lastPath = append(lastPath[:0], e.Path...)
		if e.Stored > 0 {
			if e.Offset < prevEnd {
				return fmt.Errorf("%w: stored data of %q at offset %d overlaps or precedes the data before it, which ends at %d", ErrCorrupt, e.Path, e.Offset, prevEnd)
			}
			prevEnd = e.Offset + e.Stored
		}
		// The listed files that are prefixes of this path form a chain,
		// each a prefix of the next; the paths that start with a file's
		// path are contiguous, so a file leaves the chain for good at
		// the first path that does not. Only the longest can be this
		// path's directory.
		for len(files) > 0 && !strings.HasPrefix(e.Path, files[len(files)-1]) {
			files = files[:len(files)-1]
		}
		if n := len(files); n > 0 && e.Path[len(files[n-1])] == '/' {
			return fmt.Errorf("%w: %q is a file and also holds %q", ErrCorrupt, files[n-1], e.Path)
		}
		if len(ix.at) >= MaxEntries {
			return fmt.Errorf("%w: manifest lists more than %d entries", ErrCorrupt, MaxEntries)
		}
		ix.at = append(ix.at, uint32(len(recs)))
		recs = appendRec(recs, &e)
		if !e.IsDir() {
			files = append(files, e.Path)
		}
	}
	ix.recs = string(recs)
	_, err = dec.Token() // the closing ']'
	return err
}
