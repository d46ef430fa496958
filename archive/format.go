package archive

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"
)

// The wire format, all integers little-endian:
//
//	header (16 bytes)
//	  0   8  magic "\x89TBAR\r\n\x1a"
//	  8   2  format version, 1
//	  10  2  flags, 0
//	  12  4  CRC-32C of bytes 0..11
//	file data
//	  one Snappy framed stream per non-empty regular file, in manifest
//	  order, back to back; an empty file stores nothing
//	manifest
//	  one Snappy framed stream holding the manifest as JSON
//	footer (40 bytes)
//	  0   8  manifest offset
//	  8   8  manifest stored (compressed) length
//	  16  8  manifest size (decompressed)
//	  24  4  CRC-32C of bytes 0..23
//	  28  4  zero
//	  32  8  end magic "\x89TBAREND"
//
// The manifest sits right before the footer, so a writer can stream the
// archive without seeking and a reader finds every file from the end.
const (
	magic      = "\x89TBAR\r\n\x1a"
	endMagic   = "\x89TBAREND"
	headerLen  = 16
	footerLen  = 40
	version    = 1
	manifestV1 = 1
)

// MaxManifestSize caps the decompressed manifest a Reader accepts, about a
// quarter of a million files. Create refuses to write a larger one.
const MaxManifestSize = 64 << 20

// MaxEntries caps the entries (files and directories) a manifest may
// list. Create refuses a logdir with more, and a Reader a manifest with
// more: together with MaxManifestSize it bounds what an open archive, and
// a walk of it, holds (a directory listing its every entry takes about
// 100 bytes each).
const MaxEntries = 1 << 20

// maxExpansion bounds how many decompressed bytes a stored byte may stand
// for. Snappy's best case is a 3-byte copy of 64 bytes, about 21 to 1 per
// 64 KiB chunk, so a larger declared size cannot be honest.
const maxExpansion = 32

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors a Reader returns, wrapped with the archive's name and what is
// wrong; callers branch with errors.Is.
var (
	// ErrNotArchive: the file does not start with the archive magic.
	ErrNotArchive = errors.New("not a tbgo archive")
	// ErrVersion: the archive was written in a format version this
	// package does not read.
	ErrVersion = errors.New("unsupported archive version")
	// ErrCorrupt: the archive's structure, compressed data or a checksum
	// does not hold.
	ErrCorrupt = errors.New("corrupt archive")
	// ErrUnsafePath: an entry's path could escape the directory it is
	// restored into (.., an absolute path, a backslash, a NUL byte), or
	// the entry is not a regular file or a directory (a link or a device).
	ErrUnsafePath = errors.New("unsafe entry")
)

func appendHeader(b []byte) []byte {
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint16(b, 0)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[len(b)-12:], castagnoli))
}

// checkHeader checks the 16 header bytes.
func checkHeader(h []byte) error {
	if string(h[:len(magic)]) != magic {
		return ErrNotArchive
	}
	if v := binary.LittleEndian.Uint16(h[8:]); v != version {
		return fmt.Errorf("%w %d (this tbgo reads version %d)", ErrVersion, v, version)
	}
	if crc32.Checksum(h[:12], castagnoli) != binary.LittleEndian.Uint32(h[12:]) {
		return fmt.Errorf("%w: header checksum mismatch", ErrCorrupt)
	}
	if f := binary.LittleEndian.Uint16(h[10:]); f != 0 {
		return fmt.Errorf("%w: unknown header flags %#04x", ErrCorrupt, f)
	}
	return nil
}

// footer locates the manifest.
type footer struct {
	offset, stored, size uint64
}

func (f footer) append(b []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint64(b, f.offset)
	b = binary.LittleEndian.AppendUint64(b, f.stored)
	b = binary.LittleEndian.AppendUint64(b, f.size)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
	b = binary.LittleEndian.AppendUint32(b, 0)
	return append(b, endMagic...)
}

// parseFooter checks the 40 footer bytes of an archive of archiveSize
// bytes and returns where the manifest is.
func parseFooter(b []byte, archiveSize int64) (footer, error) {
	if string(b[32:]) != endMagic {
		return footer{}, fmt.Errorf("%w: no footer (the archive is truncated or was never finished)", ErrCorrupt)
	}
	if crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:]) {
		return footer{}, fmt.Errorf("%w: footer checksum mismatch", ErrCorrupt)
	}
	if binary.LittleEndian.Uint32(b[28:]) != 0 {
		return footer{}, fmt.Errorf("%w: footer reserved field is not zero", ErrCorrupt)
	}
	f := footer{
		offset: binary.LittleEndian.Uint64(b),
		stored: binary.LittleEndian.Uint64(b[8:]),
		size:   binary.LittleEndian.Uint64(b[16:]),
	}
	end := uint64(archiveSize - footerLen)
	// Compare without adding, so lengths near 2^64 cannot wrap around.
	if f.offset < headerLen || f.offset > end || f.stored != end-f.offset {
		return footer{}, fmt.Errorf("%w: footer puts the manifest at offset %d, length %d, which does not end at the footer (offset %d)",
			ErrCorrupt, f.offset, f.stored, end)
	}
	if f.size > MaxManifestSize {
		return footer{}, fmt.Errorf("%w: manifest size %d is over the limit of %d", ErrCorrupt, f.size, MaxManifestSize)
	}
	if f.size/maxExpansion > f.stored {
		return footer{}, fmt.Errorf("%w: manifest size %d cannot come from %d compressed bytes", ErrCorrupt, f.size, f.stored)
	}
	return f, nil
}

// manifestEntry is an Entry as the manifest spells it.
type manifestEntry struct {
	Path  string `json:"path"`
	Type  string `json:"type"` // "file" or "dir"
	Mode  uint32 `json:"mode"` // permission bits
	MTime int64  `json:"mtime"`
	MNsec int64  `json:"mtime_nsec"`

	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	Stored int64  `json:"stored,omitempty"`

	OriginalSize   int64  `json:"original_size,omitempty"`
	OriginalSHA256 string `json:"original_sha256,omitempty"`
}

const (
	typeFile = "file"
	typeDir  = "dir"
)

func toManifest(e *Entry) manifestEntry {
	m := manifestEntry{
		Path:  e.Path,
		Type:  typeFile,
		Mode:  uint32(e.Mode.Perm()),
		MTime: e.ModTime.Unix(),
		MNsec: int64(e.ModTime.Nanosecond()),
	}
	if e.Mode.IsDir() {
		m.Type = typeDir
		return m
	}
	m.Size, m.Offset, m.Stored = e.Size, e.Offset, e.Stored
	m.SHA256 = hex.EncodeToString(e.SHA256[:])
	if e.Compacted {
		m.OriginalSize = e.OriginalSize
		m.OriginalSHA256 = hex.EncodeToString(e.OriginalSHA256[:])
	}
	return m
}

// encodeManifest returns the manifest's JSON, one entry per line so that
// it reads well when extracted by hand.
func encodeManifest(entries []Entry, c *Compaction) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"version\":%d,", manifestV1)
	if c != nil {
		cj, _ := json.Marshal(c) // plain ints: cannot fail
		fmt.Fprintf(&b, "\"compaction\":%s,", cj)
	}
	b.WriteString("\"entries\":[")
	for i := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		ej, _ := json.Marshal(toManifest(&entries[i])) // strings and ints: cannot fail
		b.Write(ej)
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

// toEntry checks a manifest entry and sets *e from it. dataEnd is where
// the file data ends (the manifest's offset): a stored range must lie in
// [headerLen, dataEnd).
func (me *manifestEntry) toEntry(e *Entry, dataEnd int64) error {
	if err := checkPath(me.Path); err != nil {
		return err
	}
	if me.Mode&^0o777 != 0 {
		return fmt.Errorf("%w: mode %#o has bits beyond the permissions", ErrUnsafePath, me.Mode)
	}
	if me.MNsec < 0 || me.MNsec >= 1e9 {
		return fmt.Errorf("%w: mtime_nsec %d out of range", ErrCorrupt, me.MNsec)
	}
	*e = Entry{
		Path:    me.Path,
		Mode:    fs.FileMode(me.Mode),
		ModTime: time.Unix(me.MTime, me.MNsec),
	}
	switch me.Type {
	case typeDir:
		e.Mode |= fs.ModeDir
		if me.Size != 0 || me.SHA256 != "" || me.Offset != 0 || me.Stored != 0 || me.OriginalSize != 0 || me.OriginalSHA256 != "" {
			return fmt.Errorf("%w: a directory with file fields", ErrCorrupt)
		}
		return nil
	case typeFile:
	case "":
		return fmt.Errorf("%w: no type", ErrCorrupt)
	default:
		// Links, devices and anything else a foreign tool might list.
		return fmt.Errorf("%w: type %q; archives hold only files and directories", ErrUnsafePath, me.Type)
	}
	if me.Path == "." {
		return fmt.Errorf("%w: the root is not a directory", ErrCorrupt)
	}
	if me.Size < 0 || me.Stored < 0 || me.Offset < 0 {
		return fmt.Errorf("%w: negative size, stored length or offset", ErrCorrupt)
	}
	if me.Stored == 0 {
		if me.Size != 0 || me.Offset != 0 {
			return fmt.Errorf("%w: %d bytes stored in nothing", ErrCorrupt, me.Size)
		}
	} else if me.Offset < headerLen || me.Offset > dataEnd || me.Stored > dataEnd-me.Offset {
		return fmt.Errorf("%w: stored bytes [%d, +%d) lie outside the file data [%d, %d)", ErrCorrupt, me.Offset, me.Stored, headerLen, dataEnd)
	}
	if me.Size/maxExpansion > me.Stored {
		return fmt.Errorf("%w: declared size %d cannot come from %d compressed bytes (a decompression bomb?)", ErrCorrupt, me.Size, me.Stored)
	}
	if err := parseSum(&e.SHA256, me.SHA256, "sha256"); err != nil {
		return err
	}
	e.Size, e.Offset, e.Stored = me.Size, me.Offset, me.Stored
	if me.OriginalSHA256 != "" {
		if me.OriginalSize < 0 {
			return fmt.Errorf("%w: negative original_size", ErrCorrupt)
		}
		if err := parseSum(&e.OriginalSHA256, me.OriginalSHA256, "original_sha256"); err != nil {
			return err
		}
		e.Compacted, e.OriginalSize = true, me.OriginalSize
	} else if me.OriginalSize != 0 {
		return fmt.Errorf("%w: original_size without original_sha256", ErrCorrupt)
	}
	return nil
}

func parseSum(dst *[32]byte, s, field string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%w: %s %q is not 64 hex digits", ErrCorrupt, field, s)
	}
	if _, err := hex.Decode(dst[:], []byte(s)); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrCorrupt, field, s, err)
	}
	return nil
}

// checkPath accepts a slash-separated relative path that stays inside the
// directory it is joined to on every operating system.
func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty path", ErrUnsafePath)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%w: absolute path", ErrUnsafePath)
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Errorf("%w: path holds a backslash or a NUL byte", ErrUnsafePath)
	case len(p) >= 2 && p[1] == ':':
		return fmt.Errorf("%w: path starts with a drive letter", ErrUnsafePath)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: path is not UTF-8", ErrUnsafePath)
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return fmt.Errorf("%w: path escapes the archive through a .. element", ErrUnsafePath)
		}
	}
	if !fs.ValidPath(p) {
		return fmt.Errorf("%w: path is not clean (empty, . or trailing elements)", ErrUnsafePath)
	}
	return nil
}
