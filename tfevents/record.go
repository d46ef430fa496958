// Package tfevents reads and writes TensorBoard event files: TFRecord
// framing, the event-file writer, the Scanner that reads records back
// (skipping damage, or following a file that is still growing), and logdir
// discovery with TensorBoard's rules.
//
// # Wire format
//
// An event file is a plain concatenation of records, with no file header and
// no trailer. Each record frames one serialized Event:
//
//	offset  size  field
//	0       8     length N, uint64 little-endian
//	8       4     masked CRC-32C of bytes 0..7, uint32 little-endian
//	12      N     data (a serialized Event)
//	12+N    4     masked CRC-32C of the data, uint32 little-endian
//
// The CRC is CRC-32C (Castagnoli); the mask rotates it right by 15 bits and
// adds 0xa282ead8, as LevelDB and Snappy's framing format do. The first
// record of a file is an Event whose file_version is "brain.Event:2".
//
// # Reading and damage
//
// A Scanner is the one record loop, shaped like bufio.Scanner: Scan, Record,
// Err. Damage speaks one vocabulary, the *Damage: its Kind says what is
// wrong, and errors.Is matches io.ErrUnexpectedEOF for a torn tail (a
// writer may still be appending; with Follow the Scanner waits for the
// rest), ErrCorrupt for a failed checksum and ErrRecordTooLarge for a length
// over the limit. By default damage is skipped and reported, and the scan
// goes on; Strict makes the first damage the scan's error. ReadEvents and
// ReadEventFile read a small, finished file strictly.
package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

const (
	headerLen = 12 // length (8) + masked CRC of length (4)
	footerLen = 4  // masked CRC of data
	crcDelta  = 0xa282ead8

	// FileVersion is the file_version of the first event of every file
	// tbgo writes. TensorBoard's Python loader switches its purge rules on
	// it: with version 2 only a SessionLog START discards data.
	FileVersion = "brain.Event:2"

	// Infix is the substring that makes a file an event file to
	// TensorBoard's loaders.
	Infix = "tfevents"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC returns the masked CRC-32C of b, the checksum TFRecord framing
// stores for the length field and for the data.
func MaskedCRC(b []byte) uint32 {
	return mask(crc32.Checksum(b, castagnoli))
}

func mask(c uint32) uint32 {
	return (c>>15 | c<<17) + crcDelta
}

// AppendRecord appends the framed record of data to dst and returns the
// extended slice. It allocates only when dst lacks capacity.
func AppendRecord(dst, data []byte) []byte {
	// Frame the header in dst itself: a local array would escape to the
	// heap through MaskedCRC and cost an allocation per call.
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, MaskedCRC(dst[len(dst)-8:]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC(data))
}

// RecordLen returns the number of bytes the framed record of n data bytes
// occupies.
func RecordLen(n int) int { return headerLen + n + footerLen }

// ErrCorrupt is the sentinel for a record whose checksum does not match its
// bytes: damage of kinds BadLengthChecksum, BadDataChecksum and
// BadFileChecksum matches it.
var ErrCorrupt = errors.New("corrupt record")

// ErrRecordTooLarge is the sentinel for a record longer than the limit: a
// Writer refuses such a record with it, and OversizedRecord damage, a
// record a Scanner skipped without reading it into memory, matches it.
var ErrRecordTooLarge = errors.New("record too large")

// Checksum names which checksum of a record failed.
type Checksum int

const (
	// LengthChecksum is the CRC that guards the 8-byte length field. When
	// it fails the length cannot be trusted, so the rest of the stream
	// cannot be framed.
	LengthChecksum Checksum = iota + 1
	// DataChecksum is the CRC that guards the record's data. When it
	// fails the reader can skip the record and go on.
	DataChecksum
)

func (c Checksum) String() string {
	switch c {
	case LengthChecksum:
		return "length crc"
	case DataChecksum:
		return "data crc"
	}
	return fmt.Sprintf("Checksum(%d)", int(c))
}

// CorruptError reports a checksum mismatch. errors.Is(err, ErrCorrupt)
// holds for it.
type CorruptError struct {
	Name     string   // file name, if known
	Offset   int64    // offset of the record's first byte
	Checksum Checksum // which checksum failed
	Length   uint64   // the record's length field
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("tfevents: %s%s mismatch at offset %d", prefixName(e.Name), e.Checksum, e.Offset)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func prefixName(name string) string {
	if name == "" {
		return ""
	}
	return name + ": "
}
