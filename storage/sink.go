package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// Defaults of SinkOptions.
const (
	// DefaultMaxAge bounds how long records wait in a Sink before they
	// are uploaded: with a summary writer that hands its records over
	// every 2 s, values are in the bucket within about 30 s.
	DefaultMaxAge = 25 * time.Second

	// DefaultMaxSize is the size at which a segment is uploaded whatever
	// its age: below the 16 MiB at which S3 uploads go multipart, so
	// every segment is one PUT.
	DefaultMaxSize = 8 << 20

	// DefaultRetryTimeout is how long a Sink retries a failing upload
	// before its error becomes permanent.
	DefaultRetryTimeout = 5 * time.Minute

	// DefaultRequestTimeout bounds one request: an upload attempt of a
	// Sink, and each wait of a Store's FS for its bucket.
	DefaultRequestTimeout = time.Minute
)

var (
	// ErrCollision is returned by a Sink whose segment name was taken by
	// someone else: another process is writing the same run with the
	// same host, pid and start second (two containers, say); or whose
	// open segment (SinkOptions.SegmentAge) someone else changed or
	// removed.
	ErrCollision = errors.New("segment taken or changed by another writer")

	// ErrRunBusy is returned by NewSink when another writer wrote the run
	// recently: two processes writing one run lose points in
	// TensorBoard's loaders (see NewSink).
	ErrRunBusy = errors.New("run is being written by another process")

	// ErrSinkClosed is returned by a Sink's methods after Close.
	ErrSinkClosed = errors.New("storage: sink closed")
)

// SinkOptions configures a Sink. The zero value is ready to use.
type SinkOptions struct {
	// MaxAge is how long whole records may wait in the Sink before they
	// are uploaded as a segment. Zero means DefaultMaxAge. It trades
	// freshness for objects: a run that writes without pause makes one
	// object per MaxAge (3456 a day at 25 s, 288 at 5 minutes), and
	// readers pay per object (see the package documentation).
	MaxAge time.Duration

	// MaxSize is the size at which the pending records are uploaded
	// whatever their age, which bounds the Sink's memory. Zero means
	// DefaultMaxSize.
	MaxSize int

	// SegmentAge, if positive, keeps a segment open that long: an upload
	// made within SegmentAge of the segment's creation, while it is below
	// MaxSize, rewrites it in place, the same bytes followed by the new
	// records, rather than creating the next segment. A Sync in that time
	// rewrites it too, so SegmentAge is meant to be several times MaxAge.
	// Zero (or negative), the default, means every upload creates a
	// segment.
	//
	// It trades bytes for objects at the same freshness: with the default
	// MaxAge (25 s) and SegmentAge 5 minutes, values are in the bucket
	// within about 30 s and a run that writes without pause makes 288
	// objects a day instead of 3456, but a segment is uploaded 12 times
	// as it grows, which uploads about 6.5 times the event bytes, and
	// each rewrite is a Stat (HEAD) and a PUT. TensorBoard's Python
	// loader reads a grown object on from where it stopped. A local
	// directory (a path, a file:// URL) is refused: it replaces a file by
	// renaming another over it, and RustBoard keeps reading the old one.
	// On GCS, keep Syncs of a Sink below one per second (an object takes
	// one write a second).
	SegmentAge time.Duration

	// Hostname goes into the segment names; empty means os.Hostname().
	Hostname string

	// Suffix is appended to every segment's name, e.g. ".v2".
	Suffix string

	// RetryTimeout is how long a failing upload is retried, with
	// exponential backoff, when its error is transient (ErrTransient: a
	// refused connection, a server error, throttling). Zero means
	// DefaultRetryTimeout; negative means no retries.
	RetryTimeout time.Duration

	// RequestTimeout bounds one upload attempt, and each wait of
	// NewSink's listing of the run. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration

	// AllowShared skips the check for another live writer of the run.
	AllowShared bool

	// Now is the clock for the names, the segment headers' wall time and
	// the age of an open segment (SegmentAge). Nil means time.Now.
	Now func() time.Time
}

// SinkStats counts what a Sink sent.
type SinkStats struct {
	Objects      int   // segments created
	Rewrites     int   // uploads that rewrote the open segment (SegmentAge)
	Bytes        int64 // bytes uploaded, a rewritten segment's whole (each attempt counted once)
	Requests     int   // write requests, retries included
	StatRequests int   // Stat requests (HEAD on S3) before rewrites, retries included
	Records      int64 // bytes of records received (Write) that were uploaded
}

// A Sink is the io.Writer an event file goes to when its run lives in an
// object store, which cannot append: it keeps the bytes written in memory
// and uploads them as a sequence of immutable objects, segments, that
// TensorBoard's loaders read as consecutive event files of the run.
//
// The Sink finds the record boundaries in what is written itself (the
// TFRecord framing), so writes may split records anywhere, as a
// bufio.Writer does. Pending whole records are uploaded:
//
//   - on Sync, which returns once the segment is stored (durable): the
//     tfevents.Writer above calls it from Flush and Close;
//   - MaxAge after the oldest of them arrived, in the background;
//   - when they reach MaxSize, by the Write that made them so.
//
// Each segment holds whole records only and begins with a file_version
// record (the stream's first record if it is one, which is then repeated,
// else one the Sink makes), and is created with a create-only write. Its
// name is
//
//	events.out.tfevents.<start %010d>.<host>.<pid>.<seq %08d><suffix>
//
// so that the segments sort, by the bytes of their names, in the order
// they were written: both loaders read a run's files in that order, and
// TensorBoard's Python loader never reads a file whose name sorts before
// one it has read. Nothing is ever deleted, and nothing replaced but
// with SegmentAge: then the uploads within SegmentAge of a segment's
// creation rewrite it with a conditional write on the version it was
// left at (S3 If-Match), its bytes followed by the new records, so that
// a reader that has read part of it reads on from where it stopped. The
// Sink checks first that the object still has the size it stored; an
// object changed or removed by someone else is a sticky error wrapping
// ErrCollision. Segments are sealed, never written again, once the next
// is begun.
//
// A failed upload is retried while its error is transient, for up to
// RetryTimeout; then, or at once for any other error, the error is sticky:
// every later call returns it, and the records not yet uploaded are lost
// (what Sync acknowledged earlier is stored). If the process dies, what
// was uploaded stays readable and nothing is torn: the segments not yet
// uploaded are lost whole.
//
// Memory is bounded by MaxSize plus the largest record, twice while a
// background upload is under way: with SegmentAge the open segment is
// kept between uploads, and the pending records are uploaded when they
// and the open segment reach MaxSize, within that bound. A Sink is safe
// for concurrent use.
type Sink struct {
	b        Bucket
	dir      string // the run's key prefix, "" or ending in "/"
	base     string // segment name up to the sequence number
	suffix   string
	maxAge   time.Duration
	maxSize  int
	segAge   time.Duration // > 0: rewrite a segment that young
	retryFor time.Duration
	reqFor   time.Duration
	now      func() time.Time

	up sync.Mutex // held by the one upload under way, keeping them in order

	mu     sync.Mutex
	buf    []byte    // received bytes not yet uploaded
	last   []byte    // the last segment, as uploaded or being uploaded: rewritten if open, else reused for the next
	made   time.Time // when the last segment was created
	whole  int       // length of the prefix of buf made of whole records
	header []byte    // the file_version record each segment begins with
	ownHdr bool      // header is the Sink's own, not the stream's first record
	seq    int       // of the next segment
	timer  *time.Timer
	armed  bool
	err    error // sticky
	closed bool
	stats  SinkStats
}

// NewSink returns a Sink that uploads the segments of one event file to
// the run at key prefix dir of b ("" for a run at the bucket's root).
//
// It lists the run first. One writer process per run: two processes
// writing one tag of one run lose points in both of TensorBoard's loaders
// (RustBoard drops the points of one file at steps the other already
// passed; the Python loader reads the files one after the other and then
// only the last one). So if another writer's segment in the run was
// written in the last 2×MaxAge+1 minute, NewSink fails with an error
// wrapping ErrRunBusy, unless AllowShared is set; let a crashed writer's
// run rest that long, or resume into a new run. If the run holds event
// files whose names sort after this writer's (a writer that started later
// by its clock), the start in the names is moved past theirs, so that the
// loaders still read this writer's segments after them.
func NewSink(ctx context.Context, b Bucket, dir string, opts *SinkOptions) (*Sink, error) {
	var o SinkOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.RetryTimeout == 0 {
		o.RetryTimeout = DefaultRetryTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		o.Hostname = h
	}
	for _, s := range []string{o.Hostname, o.Suffix} {
		if strings.ContainsAny(s, `/\`) {
			return nil, fmt.Errorf("storage: segment name part %q contains a slash", s)
		}
	}
	if _, local := b.(*dirBucket); local && o.SegmentAge > 0 {
		return nil, errors.New("storage: SegmentAge is not for a local directory: it rewrites segments in place, " +
			"which a directory does by renaming a new file over the old one, and RustBoard keeps reading the old file; " +
			"a local run needs no segments (summary.NewWriter appends to one event file)")
	}
	dir = strings.Trim(dir, "/")
	if dir != "" {
		dir += "/"
	}
	s := &Sink{
		b: b, dir: dir, suffix: o.Suffix,
		maxAge: o.MaxAge, maxSize: o.MaxSize, segAge: max(o.SegmentAge, 0),
		retryFor: o.RetryTimeout, reqFor: o.RequestTimeout, now: o.Now,
	}
	start := o.Now().Unix()
	pid := os.Getpid()
	s.base = fmt.Sprintf("events.out.%s.%010d.%s.%d.", tfevents.Infix, start, o.Hostname, pid)
	var last Object
	var others LastWrite
	err := list(ctx, b, o.RequestTimeout, dir, false, func(obj Object) error {
		name := path.Base(obj.Key)
		if obj.IsDir || !tfevents.IsEventFile(name) {
			return nil
		}
		if name > path.Base(last.Key) {
			last = obj
		}
		if !strings.HasPrefix(name, s.base) {
			others.Add(obj.Key, obj.ModTime)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list run %s: %w", dir, err)
	}
	if err := others.Busy(o.Now(), o.MaxAge); err != nil && !o.AllowShared {
		return nil, fmt.Errorf("storage: %w; one writer per run (wait %v after it stops, write to another run, or set AllowShared)",
			err, BusyWindow(o.MaxAge))
	}
	if lastName := path.Base(last.Key); last.Key != "" && lastName >= s.name(0) {
		later, ok := startOf(lastName)
		if !ok {
			return nil, fmt.Errorf("storage: run %s holds %s, which sorts after any name this writer can give its segments", dir, last.Key)
		}
		s.base = fmt.Sprintf("events.out.%s.%010d.%s.%d.", tfevents.Infix, later+1, o.Hostname, pid)
	}
	return s, nil
}

// startOf returns the start field of an event file's name,
// events.out.tfevents.<start>.…, if it is a 10-digit number.
func startOf(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, "events.out."+tfevents.Infix+".")
	if !ok || len(rest) < 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(rest[:10], 10, 64)
	return n, err == nil && n >= 0 && n < 9_999_999_999
}

// name returns the name of segment seq.
func (s *Sink) name(seq int) string {
	return s.base + fmt.Sprintf("%08d", seq) + s.suffix
}

// Name returns the key of the Sink's first segment.
func (s *Sink) Name() string { return s.dir + s.name(0) }

// Write buffers p. It uploads the pending whole records if they reach
// MaxSize (with the open segment they would be rewritten into, if any),
// and arms the MaxAge timer when the first of them arrives.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	s.buf = append(s.buf, p...)
	if err := s.frame(); err != nil {
		s.err = err
		s.mu.Unlock()
		return 0, err
	}
	full := s.whole >= s.maxSize ||
		s.segAge > 0 && s.whole+len(s.last) >= s.maxSize && s.open(s.now())
	if s.whole > 0 && !s.armed && !full {
		s.armed = true
		if s.timer == nil {
			s.timer = time.AfterFunc(s.maxAge, s.timedUpload)
		} else {
			s.timer.Reset(s.maxAge)
		}
	}
	s.mu.Unlock()
	if full {
		if err := s.upload(); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// frame advances whole over the records complete in buf, keeping the
// stream's first record as the segments' header if it is a file_version
// event.
func (s *Sink) frame() error {
	for {
		rest := s.buf[s.whole:]
		if len(rest) < 12 {
			return nil
		}
		if tfevents.MaskedCRC(rest[:8]) != binary.LittleEndian.Uint32(rest[8:12]) {
			return fmt.Errorf("storage: %s: written data is not TFRecord framing (bad length checksum at offset %d)",
				s.Name(), s.stats.Records+int64(s.whole))
		}
		n := binary.LittleEndian.Uint64(rest)
		if n > uint64(tfevents.DefaultMaxRecordLen) {
			return fmt.Errorf("storage: %s: record of %d bytes is over the limit of %d", s.Name(), n, tfevents.DefaultMaxRecordLen)
		}
		total := tfevents.RecordLen(int(n))
		if len(rest) < total {
			return nil
		}
		if s.header == nil {
			s.header, s.ownHdr = s.headerFor(rest[:total])
		}
		s.whole += total
	}
}

// headerFor returns the header of every segment: first itself if it is a
// file_version event (own false), else a new file_version record.
func (s *Sink) headerFor(first []byte) (hdr []byte, own bool) {
	var ev tbpb.Event
	if proto.Unmarshal(first[12:len(first)-4], &ev) == nil && ev.GetFileVersion() != "" {
		return bytes.Clone(first), false
	}
	data, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&tbpb.Event{
		WallTime:       tfevents.WallTime(s.now()),
		What:           &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion},
		SourceMetadata: &tbpb.SourceMetadata{Writer: tfevents.DefaultWriterName},
	})
	return tfevents.AppendRecord(nil, data), true
}

// Sync uploads the pending whole records as a segment and returns once it
// is stored, or the upload's error.
func (s *Sink) Sync() error {
	s.mu.Lock()
	err := s.usable()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.upload()
}

// Close uploads the pending records, stops the timer and makes later
// calls fail with ErrSinkClosed. Bytes of a record left incomplete are an
// error. It is safe to call more than once; later calls return the first
// result.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		err := s.err
		s.mu.Unlock()
		if err == ErrSinkClosed {
			return nil
		}
		return err
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	err := s.upload()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.err == nil && len(s.buf) > s.whole {
		err = fmt.Errorf("storage: %s: closed with %d bytes of an incomplete record, not uploaded", s.Name(), len(s.buf)-s.whole)
	}
	if err == nil {
		err = s.err
	}
	if err == nil {
		s.err = ErrSinkClosed
	} else {
		s.err = err
	}
	return err
}

// Stats returns what the Sink has sent so far.
func (s *Sink) Stats() SinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Sink) usable() error {
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return ErrSinkClosed
	}
	return nil
}

func (s *Sink) timedUpload() {
	s.upload() // a failure is sticky and surfaces on the next call
}

// open reports whether the last segment is open at now: SegmentAge is
// set, and the segment is younger than that and below MaxSize. The next
// upload rewrites an open segment.
func (s *Sink) open(now time.Time) bool {
	return s.segAge > 0 && s.last != nil && len(s.last) < s.maxSize && now.Sub(s.made) < s.segAge
}

// upload stores the pending whole records: it rewrites the open segment
// with them, or creates the next segment.
func (s *Sink) upload() error {
	s.up.Lock()
	defer s.up.Unlock()
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	s.armed = false
	if s.whole == 0 {
		s.mu.Unlock()
		return nil
	}
	// The last segment's upload is over (s.up): its bytes are the open
	// segment's, or the buffer of the next.
	now := s.now()
	stored := -1 // the size of the open segment rewritten; -1 for a new segment
	var seg []byte
	var key string
	if s.open(now) {
		stored = len(s.last)
		seg = append(s.last, s.buf[:s.whole]...)
		key = s.dir + s.name(s.seq-1)
	} else {
		hdr := s.header
		if s.seq == 0 && !s.ownHdr {
			hdr = nil // the stream's first record heads the first segment
		}
		seg = append(append(s.last[:0], hdr...), s.buf[:s.whole]...)
		key = s.dir + s.name(s.seq)
		s.seq++
		s.made = now
	}
	s.last = seg
	records := s.whole
	s.buf = s.buf[:copy(s.buf, s.buf[s.whole:])]
	s.whole = 0
	s.mu.Unlock()

	var stats SinkStats
	var err error
	if stored < 0 {
		stats.Requests, err = s.put(key, seg)
	} else {
		stats, err = s.rewrite(key, seg, stored)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests += stats.Requests
	s.stats.StatRequests += stats.StatRequests
	if err != nil {
		s.last = nil
		if s.err == nil || s.err == ErrSinkClosed {
			s.err = err
		}
		return err
	}
	if stored < 0 {
		s.stats.Objects++
	} else {
		s.stats.Rewrites++
	}
	s.stats.Bytes += int64(len(seg))
	s.stats.Records += int64(records)
	if cap(seg) > 2*s.maxSize && !s.open(now) {
		s.last = nil // a sealed segment's buffer is kept for the next only if it is not oversized
	}
	return nil
}

// put creates key with data, retrying transient errors with backoff. It
// returns the number of requests made.
func (s *Sink) put(key string, data []byte) (requests int, err error) {
	requests, err = create(context.Background(), s.b, key, data, s.retryFor, s.reqFor)
	if errors.Is(err, ErrExist) {
		err = fmt.Errorf("storage: %s: %w: %w", key, ErrCollision, err)
	}
	return requests, err
}

// rewrite replaces the open segment at key, which the Sink left stored
// bytes long, with data, which begins with those bytes: it takes the
// object's version with a Stat, and writes only if the object is still
// that version. It counts the requests made in the stats returned.
func (s *Sink) rewrite(key string, data []byte, stored int) (stats SinkStats, err error) {
	ctx := context.Background()
	var obj Object
	obj, stats.StatRequests, err = stat(ctx, s.b, key, s.retryFor, s.reqFor)
	switch {
	case errors.Is(err, ErrNotExist):
		return stats, fmt.Errorf("storage: open segment %s was removed by someone else: %w: %w", key, ErrCollision, err)
	case err != nil:
		return stats, err
	case obj.Size != int64(stored):
		return stats, fmt.Errorf("storage: open segment %s holds %d bytes where this writer stored %d: %w (changed by someone else)",
			key, obj.Size, stored, ErrCollision)
	case obj.Version == "":
		return stats, fmt.Errorf("storage: open segment %s: the store gave it no version to match, so it cannot be rewritten safely", key)
	}
	stats.Requests, err = write(ctx, s.b, key, data, obj.Version, s.retryFor, s.reqFor)
	if errors.Is(err, ErrPrecondition) {
		err = fmt.Errorf("storage: open segment %s changed since it was looked at: %w: %w", key, ErrCollision, err)
	}
	return stats, err
}
