package tfevents

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// A Reader reads the records of an event file one at a time with memory
// bounded by the largest record: it never holds more than that record and
// one read buffer.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	// MaxRecordLen caps a record's length field; a longer one ends the read
	// with ErrRecordTooLarge before anything is allocated for it. Zero
	// means DefaultMaxRecordLen.
	MaxRecordLen int64

	// Name labels errors, usually the file's path. Open sets it.
	Name string

	r      io.Reader
	closer io.Closer
	buf    []byte
	start  int   // first unconsumed byte of buf
	end    int   // end of valid data in buf
	off    int64 // stream offset of buf[start]
	err    error // sticky: the stream can no longer be framed
}

// NewReader returns a Reader that reads records from r, which must be
// positioned at a record boundary.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

// NewReaderAt is NewReader for an r positioned at offset bytes into the
// stream, so that Offset and error messages count from the stream's start.
func NewReaderAt(r io.Reader, offset int64) *Reader {
	return &Reader{r: r, off: offset}
}

// Open opens the event file name and returns a Reader positioned at offset,
// which must be 0 or the Offset of an earlier Reader on the same file.
// Close closes the file.
func Open(name string, offset int64) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	if offset != 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("tfevents: %s: seek to %d: %w", name, offset, err)
		}
	}
	r := NewReaderAt(f, offset)
	r.Name = name
	r.closer = f
	return r, nil
}

// Offset returns the stream offset just past the last record returned by
// Next, where a new Reader can resume.
func (r *Reader) Offset() int64 { return r.off }

// Close closes the file opened by Open. It does nothing for a Reader made by
// NewReader and is safe to call more than once.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Next returns the data of the next record. The slice is valid until the
// next call.
//
// At a clean end it returns io.EOF. If the stream ends inside a record it
// returns io.ErrUnexpectedEOF and keeps what it read, so a later call
// resumes once more data has been appended. A data-checksum mismatch is
// returned as a *CorruptError and the record is skipped; a length-checksum
// mismatch or a length over MaxRecordLen ends the stream for good.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.fill(headerLen); err != nil {
		return nil, err
	}
	hdr := r.buf[r.start : r.start+headerLen]
	n := binary.LittleEndian.Uint64(hdr)
	if MaskedCRC(hdr[:8]) != binary.LittleEndian.Uint32(hdr[8:]) {
		r.err = &CorruptError{Name: r.Name, Offset: r.off, Checksum: LengthChecksum, Length: n}
		return nil, r.err
	}
	limit := r.MaxRecordLen
	if limit <= 0 {
		limit = DefaultMaxRecordLen
	}
	// Whatever the guard, the framed record's size must fit in an int.
	limit = min(limit, int64(math.MaxInt-headerLen-footerLen))
	if n > uint64(limit) {
		r.err = fmt.Errorf("tfevents: %srecord at offset %d has length %d, over the limit of %d: %w",
			prefixName(r.Name), r.off, n, limit, ErrRecordTooLarge)
		return nil, r.err
	}
	total := headerLen + int(n) + footerLen
	if err := r.fill(total); err != nil {
		return nil, err
	}
	rec := r.buf[r.start : r.start+total]
	data := rec[headerLen : headerLen+int(n)]
	off := r.off
	r.start += total
	r.off += int64(total)
	if MaskedCRC(data) != binary.LittleEndian.Uint32(rec[headerLen+int(n):]) {
		return nil, &CorruptError{Name: r.Name, Offset: off, Checksum: DataChecksum, Length: n}
	}
	return data, nil
}

// ReadEvent reads the next record and decodes it into ev, which is reset
// first. A record that is not a valid Event gives an error wrapping
// ErrInvalidEvent; the reader stays usable.
func (r *Reader) ReadEvent(ev *tbpb.Event) error {
	data, err := r.Next()
	if err != nil {
		return err
	}
	if err := (proto.UnmarshalOptions{}).Unmarshal(data, ev); err != nil {
		return fmt.Errorf("tfevents: %srecord at offset %d: %w: %v",
			prefixName(r.Name), r.off-int64(RecordLen(len(data))), ErrInvalidEvent, err)
	}
	return nil
}

// Follow is Next for a file that another process is still appending to: at
// the end of the data, or inside a torn record, it waits, looking again
// every poll (DefaultPollInterval if zero), until a whole record arrives or
// ctx is done. It returns ctx's error when ctx ends the wait.
func (r *Reader) Follow(ctx context.Context, poll time.Duration) ([]byte, error) {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	var t *time.Timer
	for {
		data, err := r.Next()
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return data, err
		}
		if t == nil {
			t = time.NewTimer(poll)
			defer t.Stop()
		} else {
			t.Reset(poll)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// fill makes at least n unconsumed bytes available in r.buf, reading as
// needed. The buffer grows only as data actually arrives, so a hostile
// length field cannot make it allocate more than twice the bytes present.
func (r *Reader) fill(n int) error {
	empty := 0 // consecutive reads that returned nothing and no error
	for r.end-r.start < n {
		if r.end == len(r.buf) {
			r.makeRoom(n)
		}
		m, err := r.r.Read(r.buf[r.end:])
		if m < 0 || m > len(r.buf)-r.end {
			return fmt.Errorf("tfevents: %sreader returned invalid count %d", prefixName(r.Name), m)
		}
		r.end += m
		if r.end-r.start >= n {
			return nil
		}
		if err == io.EOF {
			if r.end == r.start {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("tfevents: %s%w", prefixName(r.Name), err)
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyReads {
			// Like bufio: a reader that keeps returning 0, nil is broken.
			return fmt.Errorf("tfevents: %s%w", prefixName(r.Name), io.ErrNoProgress)
		}
	}
	return nil
}

// makeRoom frees space at the end of r.buf, moving unconsumed bytes to the
// front or growing the buffer, without growing it past what n needs.
func (r *Reader) makeRoom(n int) {
	if r.buf == nil {
		r.buf = make([]byte, initialBufSize)
		return
	}
	pending := r.end - r.start
	if r.start > 0 && (len(r.buf) >= n || len(r.buf)-pending >= len(r.buf)/2) {
		copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, pending
		return
	}
	// Here n > len(r.buf): double, but never past what the record needs.
	size := min(max(2*len(r.buf), initialBufSize), n)
	buf := make([]byte, size)
	copy(buf, r.buf[r.start:r.end])
	r.buf = buf
	r.start, r.end = 0, pending
}
