package dataserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// bucketWorkers is how many runs of a logdir in a bucket load at once, at
// least: enough to hide a remote store's latency of tens of milliseconds
// per request behind the decoding of what has arrived.
const bucketWorkers = 16

// batch is how many records a loader reads while holding its run's lock:
// enough to make locking cheap, few enough that an RPC waits at most a
// fraction of a millisecond.
const batch = 1024

// A run is one run of the logdir: what RPCs read, under mu, and the
// loader's state, which only the goroutine loading the run touches.
type run struct {
	name string

	mu       sync.RWMutex
	hasStart bool
	start    float64 // the earliest finite wall time of any event
	series   map[string]*series

	files   map[string]*eventFile
	dec     *summary.Decoder
	version float64 // the file_version of the run's newest file_version event
	started bool    // a SessionLog START has been seen
	scalars []summary.ScalarPoint
	values  []summary.Value
	found   []*series
	recent  [8]recentTag // the series of tags seen lately, for lookup
	next    int
}

// A recentTag is a tag, by the address and length of its bytes, and its
// series.
type recentTag struct {
	p *byte
	n int
	s *series
}

// An eventFile is an event file of a run being followed across load
// cycles; a dead one is never read again. Between cycles a file read to a
// record boundary keeps only its offset, not a Scanner and its buffer: a
// logdir of many quiet files costs little memory.
//
// A file stays open while its run lives, dead or not: the values of its
// records are read again from it when RPCs ask for them (see payload).
// The loader reads on from f, but for an object in a bucket (remote),
// which it reads on through a file of its own opened for each cycle, so
// that a cycle whose context is done ends its request by closing that
// file and leaves f to the RPCs.
type eventFile struct {
	name   string
	fsys   fs.FS
	f      fs.File
	remote bool              // f is an object in a bucket: every read is a request
	in     io.Reader         // what the loader reads on from: f, or the cycle's file of a remote one
	sc     *tfevents.Scanner // nil between cycles at a record boundary
	end    int64             // where the next Scanner starts
	seen   int64             // how many bytes of the file have been read
	dead   bool

	raMu sync.Mutex // for ra
	ra   fs.File    // a second handle, for reads at offsets of a file that is not an *os.File
}

func newRun(name string) *run {
	return &run{name: name, series: map[string]*series{}, files: map[string]*eventFile{}, dec: summary.NewDecoder()}
}

// close closes the run's files.
func (r *run) close() {
	for _, ef := range r.files {
		ef.close()
	}
}

// kill stops reading ef for good; its records can still be read again.
func (ef *eventFile) kill() {
	ef.sc = nil
	ef.dead = true
}

func (ef *eventFile) close() {
	ef.kill()
	if ef.f != nil {
		ef.f.Close()
	}
	ef.raMu.Lock()
	if ef.ra != nil {
		ef.ra.Close()
		ef.ra = nil
	}
	ef.raMu.Unlock()
}

// cycle is one load cycle: discover the runs, drop the runs gone, add the
// new ones, and read every run's files up to their current ends.
func (s *Server) cycle(ctx context.Context) {
	if l, ok := s.fsys.(*listing); ok {
		if err := l.refresh(ctx); err != nil {
			s.log.Warn("dataserver: cannot list the logdir", "err", err)
			return
		}
	}
	found, err := tfevents.DiscoverRunsFS(s.fsys, s.root)
	switch {
	case errors.Is(err, tfevents.ErrNoEventFiles), errors.Is(err, fs.ErrNotExist):
		found = nil
	case err != nil:
		// A directory that vanished mid-walk, a permission denied: keep
		// what is loaded and look again next cycle.
		s.log.Warn("dataserver: cannot list the logdir", "err", err)
		return
	}
	byName := make(map[string]tfevents.Run, len(found))
	for _, fr := range found {
		byName[fr.Name] = fr
	}
	s.mu.Lock()
	for name, r := range s.runs {
		if _, ok := byName[name]; !ok {
			delete(s.runs, name)
			r.close()
			s.log.Info("dataserver: run removed", "run", name)
		}
	}
	todo := make([]*run, 0, len(found))
	for _, fr := range found {
		r := s.runs[fr.Name]
		if r == nil {
			r = newRun(fr.Name)
			s.runs[fr.Name] = r
		}
		todo = append(todo, r)
	}
	s.mu.Unlock()

	work := make(chan *run)
	var wg sync.WaitGroup
	workers := cap(s.cpu)
	if _, ok := s.fsys.(*listing); ok {
		// Reading a bucket waits on requests more than on the CPU: more
		// runs load at once, decoding at most one per CPU (s.cpu).
		workers = max(workers, bucketWorkers)
	}
	for range min(workers, len(todo)) {
		wg.Go(func() {
			for r := range work {
				s.load(ctx, r, byName[r.name].Files)
			}
		})
	}
	for _, r := range todo {
		if ctx.Err() != nil {
			break
		}
		work <- r
	}
	close(work)
	wg.Wait()
}

// load reads run r's files (paths in name order) up to their ends: files
// no longer listed die, new ones are opened, and every live one is read
// on from where the last cycle stopped. It stops early when ctx is done.
func (s *Server) load(ctx context.Context, r *run, files []string) {
	for name, ef := range r.files {
		if _, listed := slices.BinarySearch(files, name); !listed && !ef.dead {
			// Like TensorBoard's data server: a deleted file's data stays,
			// and a file of the same name made later is not read.
			ef.kill()
		}
	}
	for _, name := range files {
		if ctx.Err() != nil {
			return
		}
		ef := r.files[name]
		if ef == nil {
			ef = s.open(name)
			r.files[name] = ef
		}
		if !ef.dead && s.grown(ef) && !s.read(ctx, r, ef) {
			// Its later files wait until this one is read: a point
			// preempts the points of higher steps read before it.
			return
		}
	}
}

// grown reports whether ef may hold bytes not read yet. A file on disk or
// in an archive is read on to its end every cycle; an object in a bucket
// only when the cycle's listing shows it longer than what has been read,
// so that an unchanged object costs no request.
func (s *Server) grown(ef *eventFile) bool {
	l, ok := s.fsys.(*listing)
	if !ok {
		return true
	}
	size, ok := l.size(ef.name)
	return !ok || size > ef.seen
}

func (s *Server) open(name string) *eventFile {
	f, err := s.fsys.Open(name)
	if err != nil {
		s.log.Warn("dataserver: cannot open event file", "file", name, "err", err)
		return &eventFile{name: name, dead: true}
	}
	_, remote := s.fsys.(*listing)
	return &eventFile{name: name, fsys: s.fsys, f: f, remote: remote, in: f}
}

// follow opens the remote file ef for the loader's reads of this cycle,
// at where the last cycle stopped reading, without a request. The file
// is closed when ctx is done, which ends a request under way at once
// rather than when the store answers or its request times out, and by
// the returned func, which ends the reads.
func (s *Server) follow(ctx context.Context, ef *eventFile) (end func(), err error) {
	f, err := s.fsys.Open(ef.name)
	if err != nil {
		return nil, err
	}
	seeker, ok := f.(io.Seeker)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("%s: the file cannot seek", ef.name)
	}
	if _, err := seeker.Seek(ef.seen, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	ef.in = f
	return func() {
		if stop() {
			f.Close()
		}
	}, nil
}

// scanner returns the Scanner that goes on reading ef, a file of r. It
// is to be used with r's lock held, which it lets go while it waits for
// bytes (unlocked).
func (s *Server) scanner(r *run, ef *eventFile) *tfevents.Scanner {
	if ef.sc != nil {
		return ef.sc
	}
	sc := tfevents.NewScannerAt(unlocked{ef, &r.mu, s.cpu}, ef.end)
	sc.Name = ef.name
	sc.Follow = true
	sc.Strict = s.opts.Checksum
	sc.Damaged = func(d *tfevents.Damage) error {
		s.log.Warn("dataserver: skipping damage", "damage", d.Error())
		return nil
	}
	ef.sc = sc
	return sc
}

// unlocked reads on from ef (from its in, which a remote file changes
// every cycle while its Scanner stays) with mu, which the caller holds,
// let go, and its CPU token given back: the loader holds its run's lock
// and a token while it scans a batch of records, but not while it waits
// for their bytes (a request to a bucket, say), so that RPCs reading the
// run do not wait for the network, and other runs' loaders decode
// meanwhile.
type unlocked struct {
	ef  *eventFile
	mu  *sync.RWMutex
	cpu chan struct{}
}

func (u unlocked) Read(p []byte) (int, error) {
	u.mu.Unlock()
	<-u.cpu
	n, err := u.ef.in.Read(p)
	u.cpu <- struct{}{}
	u.mu.Lock()
	return n, err
}

// read reads the records of ef that have arrived since the last read. A
// partial record at the end waits for the rest; damage that ends the scan
// (a strict scan's, or a read error) kills the file, but for a failed
// request to a bucket, or one that ctx ended, after which read reports
// false: the next cycle reads on from the last whole record.
func (s *Server) read(ctx context.Context, r *run, ef *eventFile) bool {
	if ef.remote {
		end, err := s.follow(ctx, ef)
		if err != nil {
			s.log.Warn("dataserver: cannot read event file; trying again next cycle", "file", ef.name, "err", err)
			return false
		}
		defer end()
	}
	sc := s.scanner(r, ef)
	for more := true; more; {
		s.cpu <- struct{}{}
		r.mu.Lock()
		n := 0
		for n < batch && sc.Scan() {
			r.record(s, ef)
			n++
		}
		r.mu.Unlock()
		<-s.cpu
		more = n == batch
	}
	if err := sc.Err(); err != nil {
		var d *tfevents.Damage
		if ef.remote && !errors.As(err, &d) {
			// A request that failed, or that ctx ended: the next cycle
			// reads on from the last whole record.
			if ctx.Err() == nil {
				s.log.Warn("dataserver: cannot read event file; trying again next cycle", "file", sc.Name, "err", err)
			}
			ef.end, ef.seen, ef.sc = sc.End(), sc.End(), nil
			return false
		}
		s.log.Warn("dataserver: no longer reading event file", "file", sc.Name, "err", err)
		ef.kill()
		return true
	}
	ef.seen = sc.End() + sc.Pending()
	if sc.Pending() == 0 {
		// The file's offset is at sc.End: a new Scanner resumes there.
		ef.end, ef.sc = sc.End(), nil
	}
	return true
}

// record loads the record ef's Scanner just scanned into r, whose lock is
// held.
func (r *run) record(s *Server, ef *eventFile) {
	sc := ef.sc
	rec := sc.Record()
	ev, ok := peek(rec)
	if !ok {
		sc.Report(tfevents.Damage{Kind: tfevents.InvalidEvent, Err: errors.New("the record is not a valid Event")})
		return
	}
	if math.IsNaN(ev.wall) || math.IsInf(ev.wall, 0) {
		// A NaN time ends a strict scan (TensorBoard's data server
		// abandons the file); an infinite one only drops the event.
		if math.IsNaN(ev.wall) || !sc.Strict {
			sc.Report(tfevents.Damage{Kind: tfevents.NonFiniteWallTime, Err: fmt.Errorf("wall time %v", ev.wall)})
		}
		return
	}
	if !r.hasStart || ev.wall < r.start {
		r.hasStart, r.start = true, ev.wall
	}
	switch ev.what {
	case fieldFileVersion:
		r.version = fileVersion(string(ev.payload))
	case fieldSessionLog:
		r.sessionLog(ev)
	case fieldSummary:
		if ev.values > 0 && !r.fastScalars(rec, ev.values) {
			r.decode(s, ef, rec)
		}
	case fieldGraphDef, fieldTaggedRunMetadata:
		r.decode(s, ef, rec)
	}
}

// sessionLog purges on a restart as TensorBoard's Python loader does: in
// a run whose events have a file version of 2 or more, every SessionLog
// START after the first drops, from every series, the points whose step is
// not smaller than the START's.
func (r *run) sessionLog(ev envelope) {
	if r.version < 2 || !isStart(ev.payload) {
		return
	}
	if !r.started {
		r.started = true
		return
	}
	for _, ts := range r.series {
		ts.preempt(ev.step)
	}
}

// fastScalars loads a summary event of n values through the Decoder's
// allocation-free scalar path, and reports whether that sufficed: every
// value was a scalar of an existing scalar series.
func (r *run) fastScalars(rec []byte, n int) bool {
	pts, err := r.dec.AppendScalars(r.scalars[:0], rec)
	r.scalars = pts[:0]
	if err != nil || len(pts) != n {
		return false
	}
	found := r.found[:0]
	for i := range pts {
		ts := r.lookup(pts[i].Tag)
		if ts == nil || (ts.class != tbpb.DataClass_DATA_CLASS_SCALAR && ts.stored()) {
			return false
		}
		found = append(found, ts)
	}
	for i, ts := range found {
		p := &pts[i]
		ts.offer(point{step: p.Step, wall: p.WallTime, scalar: float32(p.Value)})
	}
	clear(found)
	r.found = found[:0]
	return true
}

// lookup returns the series of tag, or nil. The Decoder hands out the
// same string for every scalar of a tag, so a few recent tags are found
// by the address of their bytes before the map is asked.
func (r *run) lookup(tag string) *series {
	p := unsafe.StringData(tag)
	for _, c := range &r.recent {
		if c.p == p && c.n == len(tag) && c.s != nil {
			return c.s
		}
	}
	s := r.series[tag]
	if s != nil {
		r.recent[r.next] = recentTag{p, len(tag), s}
		r.next = (r.next + 1) % len(r.recent)
	}
	return s
}

// decode loads an event through the Decoder's full path. Tensors and
// blobs are not kept when ef can be read again at the record's offset.
func (r *run) decode(s *Server, ef *eventFile, rec []byte) {
	sc := ef.sc
	vals, err := r.dec.Record(r.values[:0], rec)
	if d := (*tfevents.Damage)(nil); errors.As(err, &d) && d.Kind != tfevents.InvalidValue {
		// Not an Event: the scan's policy says whether the file goes on,
		// as TensorBoard's data server abandons it under --checksum.
		sc.Report(*d)
		return
	} else if err != nil {
		// Values that do not decode are left out, the event's others
		// kept; they do not end even a strict scan, as TensorBoard's data
		// server keeps reading past values it cannot convert.
		s.log.Debug("dataserver: skipping values", "file", sc.Name, "offset", sc.Offset(), "err", err)
	}
	var crc uint32
	summed := false
	for i := range vals {
		v := &vals[i]
		ts := r.series[v.Tag]
		if ts == nil {
			md := metadataOf(v)
			ts = newSeries(md, s.opts.capacity(md))
			r.series[v.Tag] = ts
		}
		reread := ef.rereads(ts.class)
		p := convert(v, ts.class, ts.plugin, !reread)
		if reread && !p.bad && ts.capacity != 0 {
			if !summed {
				crc, summed = tfevents.MaskedCRC(rec), true
			}
			p.value = payload{src: ef, off: sc.Offset() + recordHeader, size: uint32(len(rec)), crc: crc, n: p.value.n}
		}
		ts.offer(p)
	}
	clear(vals)
	r.values = vals[:0]
}

// discard is a logger that drops everything.
var discard = slog.New(slog.DiscardHandler)
