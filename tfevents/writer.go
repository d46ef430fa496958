package tfevents

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// DefaultBufferSize is the write buffer of a Writer when none is chosen.
const DefaultBufferSize = 64 << 10

// maxCounter is the last counter CreateFile tries in one second: three
// digits keep names in creation order.
const maxCounter = 999

// DefaultWriterName is the source_metadata.writer that CreateFile and
// NewEventWriter record.
const DefaultWriterName = "tbgo"

// ErrRemoved is returned by Flush (and, being sticky, by every later call)
// when the event file, or the directory holding it, has been deleted while
// the Writer was writing to it: what it wrote can no longer be read.
var ErrRemoved = errors.New("event file was deleted while being written")

// ErrClosed is returned by writes, Flush and Sync after Close.
var ErrClosed = errors.New("tfevents: writer closed")

// A Writer frames records into an io.Writer through a buffer. It is safe
// for concurrent use; each record is written whole, never interleaved.
//
// Errors are sticky: after the first failed write every call returns that
// error, and a failure inside the buffer is reported no later than the next
// Flush or Close. Records are complete on disk after Flush returns; a crash
// before that loses at most the buffered records and can leave only the last
// record torn. A record the readers would refuse (longer than
// DefaultMaxRecordLen) is refused instead, with an error that is not sticky:
// nothing of it is written and the Writer stays usable.
type Writer struct {
	mu       sync.Mutex
	bw       *bufio.Writer
	file     *os.File // set by CreateFile; closed by Close
	syncer   syncer   // what Flush fsyncs, if FileOptions.Fsync is set
	name     string
	fsync    bool
	interval time.Duration
	timer    *time.Timer
	armed    bool
	err      error // sticky write error
	closed   bool
	closeErr error
	hdr      [headerLen + footerLen]byte // framing of records larger than the buffer
	lastLen  int                         // data length whose header CRC is lastCRC
	lastCRC  uint32
}

// syncer is what Flush fsyncs: an *os.File, or any writer that can make
// what it was given durable.
type syncer interface{ Sync() error }

// NewWriter returns a Writer that frames records into w with a
// DefaultBufferSize buffer. It writes nothing until the first record: use
// NewEventWriter instead if w is to hold an event stream, which starts
// with a file_version event. Close flushes but does not close w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, DefaultBufferSize)}
}

// FileOptions configures CreateFile and NewEventWriter. The zero value is
// ready to use.
type FileOptions struct {
	// Suffix is appended to the file name, e.g. ".v2". It must not contain
	// a path separator. CreateFile only.
	Suffix string

	// Hostname goes into the file name. Empty means os.Hostname().
	// CreateFile only.
	Hostname string

	// Fsync makes every Flush also fsync the file, so flushed records
	// survive a power loss, not only a crash of the process. For
	// NewEventWriter it calls the writer's Sync method, if it has one, on
	// Flush and Close but not on timed flushes (see FlushInterval).
	Fsync bool

	// FlushInterval, when positive, flushes buffered records at most that
	// long after the first of them was written, so a reader sees them
	// within a bounded delay even if the program goes quiet. Zero flushes
	// only on Flush, Close and a full buffer.
	FlushInterval time.Duration

	// BufferSize is the size of the write buffer; zero means
	// DefaultBufferSize.
	BufferSize int

	// WriterName is recorded as source_metadata.writer in the first event.
	// Empty means DefaultWriterName.
	WriterName string

	// Now is the clock for the file name and the first event's wall time.
	// Nil means time.Now.
	Now func() time.Time
}

// CreateFile creates a new event file in dir (creating dir if needed) and
// writes and flushes its first event: file_version "brain.Event:2" with
// source_metadata.writer. The file is named
//
//	events.out.tfevents.<10-digit seconds>.<host>.<pid>.<3-digit counter><suffix>
//
// and created exclusively: CreateFile never overwrites a file, it picks the
// next counter instead. The counter is zero-padded so that files made in
// the same second still sort in the order they were made, which is the
// order TensorBoard reads them in. Close closes the file. A nil opts means
// the zero FileOptions.
func CreateFile(dir string, opts *FileOptions) (*Writer, error) {
	o := fileOptions(opts)
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		o.Hostname = h
	}
	for _, s := range []string{o.Suffix, o.Hostname} {
		if filepath.Base("x"+s) != "x"+s {
			return nil, fmt.Errorf("tfevents: file name part %q contains a path separator", s)
		}
	}
	if dir == "" {
		return nil, errors.New("tfevents: empty directory name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	now := o.Now()
	o.Now = func() time.Time { return now } // the name's time is the first event's
	var f *os.File
	for counter := 0; ; counter++ {
		name := filepath.Join(dir, fmt.Sprintf("events.out.%s.%010d.%s.%d.%03d%s",
			Infix, now.Unix(), o.Hostname, os.Getpid(), counter, o.Suffix))
		var err error
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || counter >= maxCounter {
			return nil, fmt.Errorf("tfevents: %w", err)
		}
	}
	w := newEventWriter(f, &o)
	w.file, w.name = f, f.Name()
	if err := w.start(&o); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// NewEventWriter returns a Writer of an event stream into w, such as an
// in-memory buffer or a sink that stores what is flushed as objects: it
// writes and flushes the stream's first event, file_version
// "brain.Event:2" with source_metadata.writer, as CreateFile does for a
// file. Close flushes but does not close w. The file-name options (Suffix,
// Hostname) do not apply. A nil opts means the zero FileOptions.
func NewEventWriter(w io.Writer, opts *FileOptions) (*Writer, error) {
	o := fileOptions(opts)
	ew := newEventWriter(w, &o)
	if err := ew.start(&o); err != nil {
		ew.Close()
		return nil, err
	}
	return ew, nil
}

// fileOptions returns opts with its defaults filled in.
func fileOptions(opts *FileOptions) FileOptions {
	var o FileOptions
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WriterName == "" {
		o.WriterName = DefaultWriterName
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	return o
}

// newEventWriter returns a Writer into w configured by o, with nothing
// written yet.
func newEventWriter(w io.Writer, o *FileOptions) *Writer {
	ew := &Writer{
		bw:       bufio.NewWriterSize(w, o.BufferSize),
		fsync:    o.Fsync,
		interval: o.FlushInterval,
	}
	ew.syncer, _ = w.(syncer)
	return ew
}

// start writes and flushes the first event of an event stream.
func (w *Writer) start(o *FileOptions) error {
	first := &tbpb.Event{
		WallTime:       WallTime(o.Now()),
		What:           &tbpb.Event_FileVersion{FileVersion: FileVersion},
		SourceMetadata: &tbpb.SourceMetadata{Writer: o.WriterName},
	}
	if err := w.WriteEvent(first); err != nil {
		return err
	}
	return w.Flush()
}

// WallTime converts t to an event's wall_time: seconds since the Unix epoch
// with a fractional part.
func WallTime(t time.Time) float64 {
	// Adding the parts rounds once; dividing UnixNano would round the
	// 19-digit integer first and lose the fraction's last digits.
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// FileName returns the path of the file made by CreateFile, or "" for a
// Writer into an io.Writer.
func (w *Writer) FileName() string { return w.name }

// WriteRecord frames data as one record and buffers it. data is not
// retained. Callers writing an event file must pass serialized Events.
//
// A record longer than DefaultMaxRecordLen, which no reader would read, is
// refused with an error wrapping ErrRecordTooLarge that gives its size:
// nothing is written, the error is not sticky and the Writer stays usable.
// Only len(data) is looked at, so the check costs nothing.
func (w *Writer) WriteRecord(data []byte) error {
	if err := CheckRecordLen(len(data)); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	total := RecordLen(len(data))
	if total <= w.bw.Available() {
		// Frame in place in the buffer's free space: no copy, no alloc.
		b := w.bw.AvailableBuffer()[:headerLen]
		binary.LittleEndian.PutUint64(b, uint64(len(data)))
		binary.LittleEndian.PutUint32(b[8:], MaskedCRC(b[:8]))
		b = append(b, data...)
		b = binary.LittleEndian.AppendUint32(b, MaskedCRC(data))
		_, err := w.bw.Write(b)
		return w.noteWrite(err)
	}
	// Frame in w.hdr, not a local array: MaskedCRC would make a local
	// escape to the heap, one allocation per large record.
	hdr := w.hdr[:]
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], w.lengthCRC(len(data), hdr[:8]))
	binary.LittleEndian.PutUint32(hdr[headerLen:], MaskedCRC(data))
	if _, err := w.bw.Write(hdr[:headerLen]); err != nil {
		return w.noteWrite(err)
	}
	if _, err := w.bw.Write(data); err != nil {
		return w.noteWrite(err)
	}
	_, err := w.bw.Write(hdr[headerLen:])
	return w.noteWrite(err)
}

// CheckRecordLen returns an error wrapping ErrRecordTooLarge, giving n, if
// a record of n data bytes is longer than DefaultMaxRecordLen: the check
// WriteRecord makes, for writers that know a record's size before they
// build it.
func CheckRecordLen(n int) error {
	if n > DefaultMaxRecordLen {
		return fmt.Errorf("tfevents: %w: %d bytes, readers accept at most %d (DefaultMaxRecordLen)",
			ErrRecordTooLarge, n, DefaultMaxRecordLen)
	}
	return nil
}

// lengthCRC returns the masked CRC of the encoded length field lenField
// of an n-byte record. Runs of records of one length (a scalar series) are
// common, so the last result is kept.
func (w *Writer) lengthCRC(n int, lenField []byte) uint32 {
	if n != w.lastLen || n == 0 {
		w.lastLen, w.lastCRC = n, MaskedCRC(lenField)
	}
	return w.lastCRC
}

// WriteEvent serializes ev and writes it as one record. An event whose
// wall_time is NaN or infinite is refused: TensorBoard's fast loader would
// drop it or abandon the whole file. So is an event larger than
// DefaultMaxRecordLen (see WriteRecord), before it is serialized.
func (w *Writer) WriteEvent(ev *tbpb.Event) error {
	if ev == nil {
		return errors.New("tfevents: nil event")
	}
	if math.IsNaN(ev.WallTime) || math.IsInf(ev.WallTime, 0) {
		return fmt.Errorf("tfevents: event at step %d has wall time %v, want a finite number of seconds", ev.Step, ev.WallTime)
	}
	opts := proto.MarshalOptions{Deterministic: true}
	if err := CheckRecordLen(opts.Size(ev)); err != nil {
		return fmt.Errorf("%w (event at step %d)", err, ev.Step)
	}
	opts.UseCachedSize = true // computed by Size just now
	data, err := opts.Marshal(ev)
	if err != nil {
		return fmt.Errorf("tfevents: marshal event: %w", err)
	}
	return w.WriteRecord(data)
}

// Flush writes buffered records to the underlying writer, and fsyncs it
// if FileOptions.Fsync was set.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.flushLocked(true)
}

// Close flushes, closes the file made by CreateFile and stops the flush
// timer.
// It is safe to call more than once; later calls return the first result.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.closeErr
	}
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
	}
	err := w.err
	if err == nil {
		err = w.flushLocked(true)
	}
	if w.file != nil {
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("tfevents: %w", cerr)
		}
	}
	w.closeErr = err
	return err
}

// Err returns the Writer's sticky error: that of the first write that
// failed, or ErrClosed after Close; nil while the Writer is usable. A
// refused record (ErrRecordTooLarge) is not sticky and does not show here.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.usable()
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	return nil
}

// flushLocked writes the buffer out and, with FileOptions.Fsync, syncs
// the underlying writer. A timed flush (explicit false) syncs only a file:
// for a sink that stores each Sync as an object, such as storage.Sink, a
// sync every FlushInterval would be an upload every FlushInterval.
func (w *Writer) flushLocked(explicit bool) error {
	w.armed = false
	if err := w.bw.Flush(); err != nil {
		return w.noteWrite(err)
	}
	if w.fsync && w.syncer != nil && (explicit || w.file != nil) {
		if err := w.syncer.Sync(); err != nil {
			return w.noteWrite(err)
		}
	}
	if w.file == nil {
		return nil
	}
	// Writes to a file whose last name is gone succeed and are lost; say
	// so instead of losing data silently.
	if removed(w.file) {
		return w.noteWrite(ErrRemoved)
	}
	return nil
}

// noteWrite records a write error as sticky and arms the flush timer after
// a successful buffered write.
func (w *Writer) noteWrite(err error) error {
	if err != nil {
		if w.name != "" {
			err = fmt.Errorf("tfevents: %s: %w", w.name, err)
		} else {
			err = fmt.Errorf("tfevents: %w", err)
		}
		w.err = err
		return err
	}
	if w.interval > 0 && !w.armed && w.bw.Buffered() > 0 {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(w.interval, w.timedFlush)
		} else {
			w.timer.Reset(w.interval)
		}
	}
	return nil
}

func (w *Writer) timedFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil || !w.armed {
		return
	}
	w.flushLocked(false) // a failure is sticky and surfaces on the next call
}
