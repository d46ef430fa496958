package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// Options says what a read returns. The zero Options returns every value
// of every run as written, skipping damage.
type Options struct {
	// Runs and Tags select runs and tags by name; nil selects all.
	Runs, Tags *Matcher
	// View says which values of each series are returned.
	View View
	// Damaged, if set, is called with every damaged stretch of an event
	// file and every record or value that does not decode, each of
	// which the read skips (tfevents.Scanner's policy: skip, resync, go
	// on). An error it returns ends the read. If Damaged is nil, the read
	// goes on to the end and then returns a *DamageError counting what
	// was skipped, unless that was only torn tails, which writers still
	// appending leave and TensorBoard waits for too.
	Damaged func(*tfevents.Damage) error
	// Strict ends the read at the first damage other than a torn tail,
	// with the *tfevents.Damage as its error.
	Strict bool
}

// A DamageError reports the damage a read skipped when Options.Damaged
// was nil: every value that could be read was read. errors.As finds the
// first *tfevents.Damage in it.
type DamageError struct {
	Count int              // damaged stretches skipped, torn tails left out
	First *tfevents.Damage // the first of them
}

func (e *DamageError) Error() string {
	if e.Count == 1 {
		return fmt.Sprintf("history: skipped damage: %v", e.First)
	}
	return fmt.Sprintf("history: skipped %d damaged parts; the first: %v", e.Count, e.First)
}

// Unwrap returns the first damage.
func (e *DamageError) Unwrap() error { return e.First }

// A Value is a decoded summary value (see summary.Decoder) of a run, with
// where its record lies.
type Value struct {
	Run    string
	File   string // as Source.FileName names it
	Offset int64  // of the record holding the value
	summary.Value
}

// A Scalar is a scalar value of a run.
type Scalar struct {
	Run string
	summary.ScalarPoint
}

// ctxCheckEvery is how many records a read handles between looks at its
// context.
const ctxCheckEvery = 1 << 12

// Values calls fn with every value of the selected runs and tags, run by
// run in name order, each run's files in name order and each file's values
// in record order. The values are decoded as TensorBoard decodes them:
// every run has its own summary.Decoder, so a series' metadata comes from
// its first value. *Value and what it points to are valid only during the
// call. An error from fn ends the read and is returned; so is ctx's error.
//
// Memory is bounded by the largest record, plus, for View TensorBoard, a
// few words per series and per restart of a series: a TensorBoard view
// reads each run twice, first to learn which values later ones preempt,
// and the second pass stops in each file where the first stopped, so a
// file that grows in between is read as it was.
func (s *Source) Values(ctx context.Context, o *Options, fn func(*Value) error) error {
	r := newRead(o)
	for _, run := range s.runs {
		if !r.Runs.Match(run.Name) {
			continue
		}
		if err := s.runValues(ctx, &r.Options, r.report, run, fn); err != nil {
			return err
		}
	}
	return r.end()
}

// Scalars calls fn with every scalar value of the selected runs and tags,
// in the order of Values and with the same values Values would give for
// KindScalar, but decoded by summary.Decoder's AppendScalars fast path.
// *Scalar is valid only during the call.
//
// With more than one run and more than one CPU, runs are decoded ahead in
// parallel, as MapScalars describes, while fn is still called from the
// calling goroutine, one value at a time, in order; Problem is called
// there too.
func (s *Source) Scalars(ctx context.Context, o *Options, fn func(*Scalar) error) error {
	r := newRead(o)
	runs, workers := s.selectRuns(&r.Options)
	if workers < 2 {
		for _, run := range runs {
			if err := s.runScalars(ctx, &r.Options, r.report, run, fn); err != nil {
				return err
			}
		}
		return r.end()
	}
	return mapParallel(ctx, s, r, runs, workers,
		func(dst, batch []Scalar) []Scalar { return append(dst[:0], batch...) },
		func(batch []Scalar) error {
			for i := range batch {
				if err := fn(&batch[i]); err != nil {
					return err
				}
			}
			return nil
		})
}

// selectRuns returns the runs o selects and how many of them to read at
// once.
func (s *Source) selectRuns(o *Options) (runs []tfevents.Run, workers int) {
	for _, run := range s.runs {
		if o.Runs.Match(run.Name) {
			runs = append(runs, run)
		}
	}
	return runs, min(runtime.GOMAXPROCS(0), len(runs))
}

// MapScalars reads the scalars Scalars reads, in the same order, a batch
// at a time. Each batch holds up to a few thousand consecutive scalars of
// one run. encode turns a batch into a T (a chunk of formatted text, say)
// in the goroutine that decoded it; fn is then called with each T, in
// order, from the calling goroutine, and so is Options.Damaged, between
// the batches before and after the damage. An error from fn ends the read
// and is returned; so is ctx's error.
//
// With more than one run and more than one CPU, runs are decoded and
// encoded ahead in parallel, up to GOMAXPROCS at once, each keeping a few
// batches waiting for fn, so memory stays bounded; encode must then be
// safe to call from several goroutines at once. Otherwise everything
// happens in the calling goroutine.
//
// batch is valid only during encode. A T that fn has returned from is
// handed to a later encode as dst, so that its storage can be reused; the
// first dst are T's zero value. fn must not keep a T after it returns.
func MapScalars[T any](ctx context.Context, s *Source, o *Options,
	encode func(dst T, batch []Scalar) T, fn func(T) error) error {
	r := newRead(o)
	runs, workers := s.selectRuns(&r.Options)
	if workers >= 2 {
		return mapParallel(ctx, s, r, runs, workers, encode, fn)
	}
	var spare T
	b := batcher[T]{encode: encode, dst: func() T { return spare }, emit: func(it batchItem[T]) error {
		if it.damage != nil {
			return r.report(it.damage)
		}
		spare = it.val
		return fn(it.val)
	}}
	for _, run := range runs {
		if err := b.run(ctx, s, &r.Options, run); err != nil {
			return err
		}
	}
	return r.end()
}

// scalarBatch is how many scalars a batch of MapScalars holds at most, and
// batchesAhead how many batches, per run read at once, the runs after the
// one the caller reads may hold for it.
const (
	scalarBatch  = 4096
	batchesAhead = 8
)

// A batchItem is an encoded batch of scalars, or damage met after it.
type batchItem[T any] struct {
	val    T
	damage *tfevents.Damage
	token  bool // val holds a batch of the budget
}

// A batcher gathers the scalars of a run into batches, encodes them and
// hands them to emit, with the damage met in between.
type batcher[T any] struct {
	encode func(T, []Scalar) T
	dst    func() T // storage for the next encode
	emit   func(batchItem[T]) error
	batch  []Scalar
}

// run reads one run's scalars through b.
func (b *batcher[T]) run(ctx context.Context, s *Source, o *Options, run tfevents.Run) error {
	if b.batch == nil {
		b.batch = make([]Scalar, 0, scalarBatch)
	}
	report := func(d *tfevents.Damage) error {
		if err := b.flush(); err != nil {
			return err
		}
		return b.emit(batchItem[T]{damage: d})
	}
	err := s.runScalars(ctx, o, report, run, func(sc *Scalar) error {
		if b.batch = append(b.batch, *sc); len(b.batch) == scalarBatch {
			return b.flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return b.flush()
}

// flush encodes and emits the scalars gathered.
func (b *batcher[T]) flush() error {
	if len(b.batch) == 0 {
		return nil
	}
	v := b.encode(b.dst(), b.batch)
	clear(b.batch)
	b.batch = b.batch[:0]
	return b.emit(batchItem[T]{val: v})
}

// mapParallel is MapScalars with up to workers runs read at once, each by
// its own goroutine into its own channel, which the caller empties in
// order. The runs after the one the caller is emptying may hold up to
// workers*batchesAhead batches between them; the caller's run needs none
// of that budget, so it can always go on.
func mapParallel[T any](ctx context.Context, s *Source, r *read, runs []tfevents.Run, workers int,
	encode func(T, []Scalar) T, fn func(T) error) error {
	// Deferred calls run last first: cancel, then wait for the goroutines.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ahead := newBudget(workers * batchesAhead)
	// Not stopped on return: the cancel above must still wake the workers
	// waiting for the budget.
	context.AfterFunc(ctx, ahead.stop)
	// Ts that fn is done with, for encode to reuse.
	spare := make(chan T, 2*workers*batchesAhead+workers)
	outs := make(chan *runOutput[T], workers)
	slots := make(chan struct{}, workers)
	wg.Go(func() {
		defer close(outs)
		// Runs start in order, so the run the caller waits for always
		// has a slot.
		for i, run := range runs {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			out := &runOutput[T]{items: make(chan batchItem[T], workers*batchesAhead)}
			wg.Go(func() {
				defer func() { <-slots }()
				b := batcher[T]{encode: encode,
					dst: func() (t T) {
						select {
						case t = <-spare:
						default:
						}
						return t
					},
					emit: func(it batchItem[T]) error {
						if it.damage == nil {
							var ok bool
							if it.token, ok = ahead.take(i); !ok {
								return ctx.Err()
							}
						}
						select {
						case out.items <- it:
							return nil
						case <-ctx.Done():
							return ctx.Err()
						}
					}}
				out.err = b.run(ctx, s, &r.Options, run)
				close(out.items)
			})
			select {
			case outs <- out:
			case <-ctx.Done():
				return
			}
		}
	})
	done := 0
	for out := range outs {
		ahead.setHead(done)
		for it := range out.items {
			if it.damage != nil {
				if err := r.report(it.damage); err != nil {
					return err
				}
				continue
			}
			err := fn(it.val)
			if it.token {
				ahead.put()
			}
			select {
			case spare <- it.val:
			default:
			}
			if err != nil {
				return err
			}
		}
		if out.err != nil {
			return out.err
		}
		done++
	}
	if done < len(runs) {
		return ctx.Err()
	}
	return r.end()
}

// runOutput is what a run's goroutine hands the caller: its batches, and
// once they are closed, the error that ended the run.
type runOutput[T any] struct {
	items chan batchItem[T]
	err   error
}

// A budget bounds the batches decoded ahead by the runs after the head,
// the run the caller is reading.
type budget struct {
	mu      sync.Mutex
	cond    sync.Cond
	free    int
	head    int
	stopped bool
}

func newBudget(n int) *budget {
	b := &budget{free: n}
	b.cond.L = &b.mu
	return b
}

// take waits until run may hold one more batch: it is the head, which
// takes nothing from the budget, or a batch of the budget is free, which
// it takes and reports. ok is false once the read has been stopped.
func (b *budget) take(run int) (took, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.stopped && run != b.head && b.free == 0 {
		b.cond.Wait()
	}
	switch {
	case b.stopped:
		return false, false
	case run == b.head:
		return false, true
	}
	b.free--
	return true, true
}

// put gives back a batch taken.
func (b *budget) put() {
	b.mu.Lock()
	b.free++
	b.mu.Unlock()
	b.cond.Signal()
}

// setHead says which run the caller now reads.
func (b *budget) setHead(run int) {
	b.mu.Lock()
	b.head = run
	b.mu.Unlock()
	b.cond.Broadcast()
}

// stop wakes and fails every take, now and later.
func (b *budget) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// A read is one call's Options and the damage it has skipped.
type read struct {
	Options
	skipped int
	first   *tfevents.Damage
}

func newRead(o *Options) *read {
	r := &read{}
	if o != nil {
		r.Options = *o
	}
	return r
}

// report applies the Options' policy to damage the read met.
func (r *read) report(d *tfevents.Damage) error {
	if r.Strict && !d.Torn() {
		return d
	}
	if r.Damaged != nil {
		return r.Damaged(d)
	}
	if !d.Torn() {
		if r.skipped++; r.first == nil {
			r.first = d
		}
	}
	return nil
}

// end returns the error of a read that went to its end: a *DamageError if
// it skipped damage nobody was told of.
func (r *read) end() error {
	if r.skipped > 0 {
		return &DamageError{Count: r.skipped, First: r.first}
	}
	return nil
}

func ignoreDamage(*tfevents.Damage) error { return nil }

// tagFilter caches a Matcher's answers for the tags of one run.
type tagFilter struct {
	m    *Matcher
	seen map[string]bool
}

func (f *tagFilter) match(tag string) bool {
	if f.m == nil {
		return true
	}
	ok, found := f.seen[tag]
	if !found {
		if f.seen == nil {
			f.seen = map[string]bool{}
		}
		ok = f.m.Match(tag)
		f.seen[tag] = ok
	}
	return ok
}

// preemptions returns the state of tag's series, adding it.
func preemptionOf(m map[string]*preemption, tag string) *preemption {
	p := m[tag]
	if p == nil {
		p = &preemption{}
		m[tag] = p
	}
	return p
}

func (s *Source) runValues(ctx context.Context, o *Options, report func(*tfevents.Damage) error,
	run tfevents.Run, fn func(*Value) error) error {
	var v Value
	return readRun(ctx, s, o, report, run, (*summary.Decoder).Record,
		func(val *summary.Value) (string, int64) { return val.Tag, val.Step },
		func(file string, off int64, val *summary.Value) error {
			v = Value{Run: run.Name, File: file, Offset: off, Value: *val}
			return fn(&v)
		})
}

func (s *Source) runScalars(ctx context.Context, o *Options, report func(*tfevents.Damage) error,
	run tfevents.Run, fn func(*Scalar) error) error {
	sc := Scalar{Run: run.Name}
	return readRun(ctx, s, o, report, run, (*summary.Decoder).AppendScalars,
		func(p *summary.ScalarPoint) (string, int64) { return p.Tag, p.Step },
		func(_ string, _ int64, p *summary.ScalarPoint) error {
			sc.ScalarPoint = *p
			return fn(&sc)
		})
}

// readRun reads one run for the points decode appends from each record
// (values, scalars) and hands fn those whose tag o selects. In the
// TensorBoard view a first pass finds each tag's steps, so that the
// second drops the points a restarted run overwrote, as TensorBoard does.
// Damage, and records or values that do not decode, go to report.
func readRun[P any](ctx context.Context, s *Source, o *Options, report func(*tfevents.Damage) error, run tfevents.Run,
	decode func(*summary.Decoder, []P, []byte) ([]P, error),
	tagStep func(*P) (string, int64),
	fn func(file string, off int64, p *P) error) error {
	tags := tagFilter{m: o.Tags}
	var pts []P
	var ends []int64
	var series map[string]*preemption
	var once map[string]bool // metadata-only tags met, in the TensorBoard view
	if o.View == TensorBoard {
		series = map[string]*preemption{}
		once = map[string]bool{}
		dec := summary.NewDecoder()
		var err error
		ends, err = s.pass(ctx, run, nil, ignoreDamage, func(sc *tfevents.Scanner, _ string) error {
			pts, _ = decode(dec, pts[:0], sc.Record()) // the second pass reports errors
			for i := range pts {
				if tag, step := tagStep(&pts[i]); tags.match(tag) && !metadataOnly(tag) {
					preemptionOf(series, tag).add(step)
				}
			}
			clear(pts)
			return nil
		})
		if err != nil {
			return err
		}
	}
	dec := summary.NewDecoder()
	_, err := s.pass(ctx, run, ends, report, func(sc *tfevents.Scanner, file string) error {
		var err error
		pts, err = decode(dec, pts[:0], sc.Record())
		if err != nil && !sc.Report(damageOf(err)) {
			return nil // the scan has ended; pass returns its error
		}
		for i := range pts {
			p := &pts[i]
			tag, step := tagStep(p)
			if !tags.match(tag) {
				continue
			}
			if series != nil {
				if metadataOnly(tag) {
					if once[tag] {
						continue
					}
					once[tag] = true
				} else if !series[tag].keep(step) {
					continue
				}
			}
			if err := fn(file, sc.Offset(), p); err != nil {
				return err
			}
		}
		clear(pts)
		return nil
	})
	return err
}

// metadataOnly reports whether TensorBoard reads tag's data from the
// metadata of its first value, which both loaders keep whatever comes
// after: the HParams plugin's experiment, session start and session end.
// In the TensorBoard view such a tag has just its first value.
func metadataOnly(tag string) bool {
	return tag == summary.ExperimentTag || tag == summary.SessionStartTag || tag == summary.SessionEndTag
}

// damageOf turns an error of summary.Decoder, which is damage, into the
// damage to report.
func damageOf(err error) tfevents.Damage {
	var d *tfevents.Damage
	if errors.As(err, &d) {
		return *d
	}
	return tfevents.Damage{Kind: tfevents.InvalidValue, Err: err}
}

// pass scans the records of run's files in order with tfevents.Scanner,
// calling fn with the Scanner at each record and the file's name. Damage
// goes to report. If ends is not nil, it holds where an earlier pass
// ended in each file, and pass reads each file only that far, so that
// both passes see the same bytes of a file that is still growing. It
// returns where it ended in each file.
func (s *Source) pass(ctx context.Context, run tfevents.Run, ends []int64, report func(*tfevents.Damage) error,
	fn func(sc *tfevents.Scanner, file string) error) ([]int64, error) {
	out := make([]int64, len(run.Files))
	n := 0
	for i, file := range run.Files {
		f, err := s.fsys.Open(file)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		var r io.Reader = f
		if ends != nil {
			r = io.LimitReader(f, ends[i])
		}
		sc := tfevents.NewScanner(r)
		sc.Name = s.FileName(file)
		sc.Damaged = report
		for sc.Scan() {
			if n++; n%ctxCheckEvery == 0 {
				if err = ctx.Err(); err != nil {
					break
				}
			}
			if err = fn(sc, sc.Name); err != nil {
				break
			}
		}
		f.Close()
		if err == nil {
			err = sc.Err()
		}
		if err != nil {
			return nil, err
		}
		out[i] = sc.End()
	}
	return out, nil
}
