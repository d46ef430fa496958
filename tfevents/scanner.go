package tfevents

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// DefaultMaxRecordLen is the largest record tbgo writes or reads: a Writer
// refuses a longer one and a Scanner skips it, reporting OversizedRecord.
// TensorBoard's own client refuses messages over 256 MiB, so no record a
// loader can serve is larger.
const DefaultMaxRecordLen = 256 << 20

// DefaultPollInterval is how often Await looks for new data when its poll
// argument is zero.
const DefaultPollInterval = 250 * time.Millisecond

const initialBufSize = 64 << 10

// A Scanner reads the records of an event file one at a time, the way
// bufio.Scanner reads lines: Scan advances to the next record, Record
// returns its data, and Err, once Scan returns false, says why, nil at the
// end of the data. It is the one record loop of tbgo: every reader in the
// module reads through it, so every reader sees the same records.
//
// Damage is skipped, and the scan goes on: a record whose data checksum
// fails is skipped; after a length field whose checksum fails, the
// Scanner searches the bytes that follow for the next valid record (both
// checksums matching) and skips everything before it; a record longer
// than MaxRecordLen is skipped without being read into memory. Each
// damaged stretch is reported once, as a *Damage, to Damaged. With Strict
// set, damage other than a torn tail ends the scan instead, and Err
// returns the *Damage.
//
// At the end of the data, a partial record is a torn tail: reported as
// TornTail damage and dropped, or, with Follow set, kept so that a later
// Scan resumes it once the writer has appended the rest.
//
// Memory is bounded by the largest record read, at most MaxRecordLen, plus
// a 64 KiB buffer, whatever the input. A Scanner is not safe for
// concurrent use.
type Scanner struct {
	// Name labels damage and errors, usually the file's path.
	Name string

	// MaxRecordLen caps a record's length; a longer record is skipped as
	// OversizedRecord damage. Zero means DefaultMaxRecordLen.
	MaxRecordLen int64

	// Strict makes damage other than a torn tail end the scan: Scan
	// returns false and Err returns the *Damage.
	Strict bool

	// Follow is for a file another process is still appending to: at the
	// end of the data a partial record (or a search for the next valid
	// record after damage) is kept pending rather than reported, and a
	// later Scan resumes it.
	Follow bool

	// Damaged, if not nil, is called with each damaged stretch the scan
	// skips (after Strict had its say). An error it returns ends the scan
	// and becomes Err's.
	Damaged func(*Damage) error

	r      io.Reader
	buf    []byte
	start  int   // first unconsumed byte of buf
	end    int   // end of valid data in buf
	off    int64 // stream offset of buf[start]
	rec    []byte
	recOff int64
	err    error   // sticky: ends the scan
	done   bool    // the data has ended, in a scan without Follow
	bad    *Damage // damage whose end a search for the next record seeks
	skip   int64   // bytes of an oversized record still to be skipped
	count  int     // damage reported
}

// NewScanner returns a Scanner that reads records from r, which must be
// positioned at a record boundary.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: r}
}

// NewScannerAt is NewScanner for an r positioned offset bytes into the
// stream, a record boundary such as the End of an earlier Scanner, so that
// offsets count from the stream's start.
func NewScannerAt(r io.Reader, offset int64) *Scanner {
	return &Scanner{r: r, off: offset}
}

// Record returns the data of the record Scan found: a serialized Event in
// an event file. The slice is valid until the next call to Scan.
func (s *Scanner) Record() []byte { return s.rec }

// Offset returns the offset in the stream of the first byte of the record
// Scan found.
func (s *Scanner) Offset() int64 { return s.recOff }

// RecordLen returns how many bytes of the stream the record Scan found
// occupies, its framing included.
func (s *Scanner) RecordLen() int64 { return int64(RecordLen(len(s.rec))) }

// End returns the offset up to which the stream has been consumed, records
// and skipped damage alike: where a new Scanner over the same file would
// resume.
func (s *Scanner) End() int64 { return s.off }

// Pending returns the number of bytes past End that Scan has read but that
// do not form a record yet: a torn tail, or damage whose end is not yet
// known, kept for a later Scan in Follow mode.
func (s *Scanner) Pending() int64 { return int64(s.end - s.start) }

// Damages returns how many damaged stretches the scan has reported.
func (s *Scanner) Damages() int { return s.count }

// Err returns what ended the scan: nil at the end of the data (a torn tail
// included), the *Damage that ended a Strict scan, an error returned by
// Damaged, or a read error of the underlying reader.
func (s *Scanner) Err() error { return s.err }

// Scan advances to the next record, skipping damage. It returns false at
// the end of the data or when an error ends the scan; Err tells which. In
// Follow mode, a Scan after the end of the data reads on, so that records
// appended meanwhile are found.
func (s *Scanner) Scan() bool {
	s.rec = nil
	if s.err != nil || s.done {
		return false
	}
	limit := s.maxRecordLen()
	for {
		if s.skip > 0 || s.bad != nil {
			if !s.recover(limit) {
				return s.atEnd()
			}
			if s.err != nil {
				return false
			}
			continue
		}
		if s.end-s.start < headerLen && !s.fill(headerLen) {
			return s.atEnd()
		}
		hdr := s.buf[s.start : s.start+headerLen]
		n := binary.LittleEndian.Uint64(hdr)
		if MaskedCRC(hdr[:8]) != binary.LittleEndian.Uint32(hdr[8:]) {
			s.bad = &Damage{File: s.Name, Offset: s.off, Kind: BadLengthChecksum,
				Err: fmt.Errorf("length field does not match its checksum")}
			s.consume(1) // the next record may start anywhere after
			continue
		}
		if n > uint64(limit) {
			total := int64(math.MaxInt64) // the rest of the stream
			if n <= math.MaxInt64-headerLen-footerLen {
				total = int64(n) + headerLen + footerLen
			}
			s.skip = total
			d := &Damage{File: s.Name, Offset: s.off, Kind: OversizedRecord, Bytes: total,
				Err: fmt.Errorf("length %d is over the limit of %d", n, limit)}
			if !s.report(d) {
				return false
			}
			continue
		}
		total := headerLen + int(n) + footerLen
		if s.end-s.start < total && !s.fill(total) {
			return s.atEnd()
		}
		data := s.buf[s.start+headerLen : s.start+headerLen+int(n)]
		if MaskedCRC(data) != binary.LittleEndian.Uint32(s.buf[s.start+total-footerLen:]) {
			d := &Damage{File: s.Name, Offset: s.off, Kind: BadDataChecksum, Bytes: int64(total),
				Err: fmt.Errorf("record data does not match its checksum")}
			s.consume(total)
			if !s.report(d) {
				return false
			}
			continue
		}
		s.rec, s.recOff = data, s.off
		s.consume(total)
		return true
	}
}

// Report reports damage found in the record Scan just returned by whoever
// decodes it (an InvalidEvent, a NonFiniteWallTime or an InvalidValue), so
// that it follows the scan's policy: it goes to Damaged, and in a Strict
// scan, or if Damaged returns an error, it ends the scan. d's File and
// Offset are set to the record's; for a kind that condemns the whole
// record (InvalidEvent, NonFiniteWallTime), Bytes is set to its length.
// Report returns false if the scan has ended.
func (s *Scanner) Report(d Damage) bool {
	if s.err != nil {
		return false
	}
	d.File, d.Offset = s.Name, s.recOff
	if d.Kind == InvalidEvent || d.Kind == NonFiniteWallTime {
		d.Bytes = s.RecordLen()
	}
	return s.report(&d)
}

// Await is Scan for a file another process is still appending to; it
// needs Follow. At the end of the data it waits, looking again every poll
// (DefaultPollInterval if zero), until a record arrives, returning true,
// or ctx is done, returning false with ctx's error from Err. A Scanner
// whose Await was ended by ctx is not usable again.
func (s *Scanner) Await(ctx context.Context, poll time.Duration) bool {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	var t *time.Timer
	for {
		if s.Scan() {
			return true
		}
		if s.err != nil || s.done {
			return false
		}
		if t == nil {
			t = time.NewTimer(poll)
			defer t.Stop()
		} else {
			t.Reset(poll)
		}
		select {
		case <-ctx.Done():
			s.err = ctx.Err()
			return false
		case <-t.C:
		}
	}
}

func (s *Scanner) maxRecordLen() int64 {
	limit := s.MaxRecordLen
	if limit <= 0 {
		limit = DefaultMaxRecordLen
	}
	// Whatever the guard, a framed record must fit in an int.
	return min(limit, int64(math.MaxInt-headerLen-footerLen))
}

// report applies the policy to d: Strict, then Damaged. It returns false
// if the scan must end.
func (s *Scanner) report(d *Damage) bool {
	if d.Count == 0 {
		d.Count = 1
	}
	s.count++
	if s.Strict && d.Kind != TornTail {
		s.err = d
		return false
	}
	if s.Damaged != nil {
		if err := s.Damaged(d); err != nil {
			s.err = err
			return false
		}
	}
	return true
}

// atEnd handles the end of the data (or a read error) met while a record,
// a search or a skip was under way. Without Follow, what is left is
// reported: a partial record as a torn tail, an unfinished search as
// damage up to the end. It returns false, for Scan to return.
func (s *Scanner) atEnd() bool {
	if s.err != nil || s.Follow {
		return false
	}
	s.done = true
	pending := s.Pending()
	switch {
	case s.bad != nil:
		d := s.bad
		s.bad = nil
		d.Bytes = s.off + pending - d.Offset
		d.Err = fmt.Errorf("%w; no valid record follows", d.Err)
		s.consume(int(pending))
		s.report(d)
	case s.skip > 0:
		// The oversized record, reported already, runs past the end.
		s.skip = 0
	case pending > 0:
		d := &Damage{File: s.Name, Offset: s.off, Kind: TornTail, Bytes: pending,
			Err: fmt.Errorf("the data ends inside a record (a writer may still be appending)")}
		s.consume(int(pending))
		s.report(d)
	}
	return false
}

// recover goes on past damage: it skips the rest of an oversized record,
// or finds the end of damage and reports it. It returns false if the data
// ended (or a read failed) first; s.err is set if the report ended the
// scan.
func (s *Scanner) recover(limit int64) bool {
	if s.skip > 0 {
		return s.discard()
	}
	if !s.resync(limit) {
		return false
	}
	s.report(s.resolved())
	return true
}

// resync looks for the next valid record after damage, consuming the bytes
// before it. It returns true when one starts at buf[start], false when the
// data ended (or a read failed) first.
func (s *Scanner) resync(limit int64) bool {
	for {
		// Scan what is buffered for a header whose checksum holds: a
		// tight loop, since damage can be long.
		for s.end-s.start >= headerLen {
			hdr := s.buf[s.start : s.start+headerLen]
			n := binary.LittleEndian.Uint64(hdr)
			if n <= uint64(limit) && MaskedCRC(hdr[:8]) == binary.LittleEndian.Uint32(hdr[8:]) {
				break
			}
			s.start++
			s.off++
		}
		if !s.fill(headerLen) {
			return false
		}
		hdr := s.buf[s.start : s.start+headerLen]
		n := binary.LittleEndian.Uint64(hdr)
		if n > uint64(limit) || MaskedCRC(hdr[:8]) != binary.LittleEndian.Uint32(hdr[8:]) {
			continue // fill read more: scan it
		}
		total := headerLen + int(n) + footerLen
		if !s.fill(total) {
			if s.err != nil || s.Follow {
				return false
			}
			// The stream ends before this candidate would: it is not a
			// whole record, so look further.
			s.consume(1)
			continue
		}
		data := s.buf[s.start+headerLen : s.start+headerLen+int(n)]
		if MaskedCRC(data) == binary.LittleEndian.Uint32(s.buf[s.start+total-footerLen:]) {
			return true
		}
		s.consume(1)
	}
}

// resolved returns the damage a finished search covered, and forgets it.
func (s *Scanner) resolved() *Damage {
	d := s.bad
	s.bad = nil
	d.Bytes = s.off - d.Offset
	d.Err = fmt.Errorf("%w; skipped to the next valid record at offset %d", d.Err, s.off)
	return d
}

// discard skips the rest of an oversized record without keeping it. It
// returns false if the data ended (or a read failed) first.
func (s *Scanner) discard() bool {
	for s.skip > 0 {
		if s.start == s.end {
			s.start, s.end = 0, 0
			if s.buf == nil {
				s.buf = make([]byte, initialBufSize)
			}
			if !s.read() {
				return false
			}
		}
		k := int(min(s.skip, int64(s.end-s.start)))
		s.consume(k)
		s.skip -= int64(k)
	}
	return true
}

func (s *Scanner) consume(n int) {
	s.start += n
	s.off += int64(n)
}

// fill makes at least n unconsumed bytes available in buf, reading as
// needed. It returns false when the data ends first or a read fails (then
// s.err is set). The buffer grows only as data arrives, so a hostile
// length field cannot make it allocate more than twice the bytes present.
func (s *Scanner) fill(n int) bool {
	for s.end-s.start < n {
		if s.end == len(s.buf) {
			s.makeRoom(n)
		}
		if !s.read() {
			return false
		}
	}
	return true
}

// read reads once into the free end of buf, which must have room. It
// returns false at the end of the data or on an error, which it records.
func (s *Scanner) read() bool {
	for empty := 0; ; {
		m, err := s.r.Read(s.buf[s.end:])
		if m < 0 || m > len(s.buf)-s.end {
			s.err = fmt.Errorf("tfevents: %sreader returned invalid count %d", prefixName(s.Name), m)
			return false
		}
		s.end += m
		if m > 0 {
			return true
		}
		switch {
		case err == io.EOF:
			return false
		case err != nil:
			s.err = fmt.Errorf("tfevents: %sread at offset %d: %w", prefixName(s.Name), s.off+int64(s.end-s.start), err)
			return false
		}
		if empty++; empty >= maxEmptyReads {
			// Like bufio: a reader that keeps returning 0, nil is broken.
			s.err = fmt.Errorf("tfevents: %s%w", prefixName(s.Name), io.ErrNoProgress)
			return false
		}
	}
}

// maxEmptyReads is how many (0, nil) reads in a row read tolerates.
const maxEmptyReads = 100

// makeRoom frees space at the end of buf, moving unconsumed bytes to the
// front or growing the buffer, without growing it past what n needs.
func (s *Scanner) makeRoom(n int) {
	if s.buf == nil {
		s.buf = make([]byte, initialBufSize)
		return
	}
	pending := s.end - s.start
	if s.start > 0 && (len(s.buf) >= n || len(s.buf)-pending >= len(s.buf)/2) {
		copy(s.buf, s.buf[s.start:s.end])
		s.start, s.end = 0, pending
		return
	}
	// Here n > len(buf): double, but never past what the record needs.
	size := min(max(2*len(s.buf), initialBufSize), n)
	buf := make([]byte, size)
	copy(buf, s.buf[s.start:s.end])
	s.buf = buf
	s.start, s.end = 0, pending
}
