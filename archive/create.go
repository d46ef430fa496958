package archive

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/golang/snappy"

	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/internal/logwalk"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// Options configures Create. The zero value archives the logdir losslessly.
type Options struct {
	// Compaction, when not zero, rewrites event files to drop values; see
	// Compaction. The zero value keeps every byte.
	Compaction Compaction

	// Strict makes compaction fail on damage in an event file (see
	// CompactionReport.Damage) with the *tfevents.Damage, instead of
	// reading past it and keeping it as it was. A torn tail is never an
	// error. Without compaction, files are copied byte for byte and their
	// records are not read.
	Strict bool

	// Progress, if not nil, is called after each file is archived with
	// the bytes of the logdir's files archived so far and in all, as
	// history.VerifyOptions.Progress is: for a command's progress line.
	Progress func(done, total int64)
}

// Compaction says which summary values lossy compaction drops. Each field's
// zero value drops nothing of its kind; the zero Compaction turns
// compaction off. Values are counted per run and tag, across the run's
// event files in the order TensorBoard reads them.
type Compaction struct {
	// KeepImages, when positive, keeps only the last KeepImages image
	// values of each tag. A value is one step's entry, however many images
	// its batch holds.
	KeepImages int `json:"keep_images,omitempty"`
	// KeepAudio, when positive, keeps only the last KeepAudio audio values
	// of each tag.
	KeepAudio int `json:"keep_audio,omitempty"`
	// ScalarFactor, when above 1, keeps every ScalarFactor-th scalar of
	// each tag (the 1st, the ScalarFactor+1-th, ...) and the last one.
	ScalarFactor int `json:"scalar_factor,omitempty"`
}

// IsZero reports whether c drops nothing.
func (c Compaction) IsZero() bool {
	return c.KeepImages <= 0 && c.KeepAudio <= 0 && c.ScalarFactor <= 1
}

// A Report says what Create archived and, when compaction was asked for,
// what it dropped.
type Report struct {
	// Files and Dirs count the entries archived.
	Files, Dirs int
	// BytesIn is the size of the logdir's files as read; BytesStored the
	// size of the files as archived (smaller after compaction); BytesOut
	// the size of the archive.
	BytesIn, BytesStored, BytesOut int64
	// Skipped lists what was left out, in the order met, each Path
	// relative to the logdir: entries that are not regular files or
	// directories (sockets, devices, dangling links), names that cannot
	// be archived portably (not UTF-8, or holding a backslash), a second
	// path to a directory already archived (a symbolic link back to an
	// ancestor, or a second link to one directory: each directory is
	// archived once), and the archive being written, if it lies inside
	// the logdir.
	Skipped []Skip
	// Compaction is nil unless Options.Compaction asked for compaction.
	Compaction *CompactionReport
}

// Ratio returns BytesOut / BytesIn, the archive's size relative to the
// logdir; 0 for an empty logdir.
func (r *Report) Ratio() float64 {
	if r.BytesIn == 0 {
		return 0
	}
	return float64(r.BytesOut) / float64(r.BytesIn)
}

// A Skip is a path left out of the archive, and why. Its Path is relative
// to the logdir; its String method gives the words every command prints.
type Skip = tfevents.Skip

// A CompactionReport tells what compaction dropped.
type CompactionReport struct {
	// Settings are the options compaction ran with.
	Settings Compaction
	// Files are the event files compaction rewrote, in path order; event
	// files it found nothing to drop in are not listed.
	Files []CompactedFile
	// Tags are the series that lost values, by run and tag.
	Tags []TagDrop
	// Damage lists the damaged parts of event files, in path and offset
	// order, as a tfevents.Scanner reports them (File is the path
	// relative to the logdir): records whose checksum fails, the bytes
	// from a corrupt length to the next valid record, records over the
	// reader's limit, records that are not an Event, events whose wall
	// time is not finite. Compaction reads past them, as every tbgo
	// reader does (their values are not counted), and keeps their bytes
	// as they were, where they were, so that the compacted file is
	// damaged exactly as the original (run "tbgo repair" first for a
	// clean one). Torn tails, which a writer still appending leaves, are
	// kept as they were too, and not listed.
	Damage []tfevents.Damage
	// ImagesDropped, AudioDropped and ScalarsDropped total the values
	// dropped of each kind.
	ImagesDropped, AudioDropped, ScalarsDropped int
}

// A CompactedFile is an event file compaction rewrote.
type CompactedFile struct {
	Path string
	// SizeBefore and SizeAfter are the file's sizes in the logdir and in
	// the archive.
	SizeBefore, SizeAfter int64
	// EventsDropped counts events that lost all their values;
	// EventsRewritten those that lost some, or gained the metadata of a
	// dropped first value of their tag.
	EventsDropped, EventsRewritten int
}

// A TagDrop is one series that compaction thinned.
type TagDrop struct {
	Run, Tag      string
	Kind          summary.Kind
	Kept, Dropped int
}

// source is a logdir entry to archive.
type source struct {
	rel  string // slash-separated path in the archive
	abs  string // path to read: on disk, or in fsys
	info fs.FileInfo
	fsys fs.FS // the logdir in an object store; nil on disk
}

// isEvent reports whether a source is an event file TensorBoard reads.
func (s *source) isEvent() bool {
	base := path.Base(s.rel)
	return s.info.Mode().IsRegular() && tfevents.IsEventFile(base) && !strings.HasSuffix(base, ".profile-empty")
}

// Create writes an archive of every regular file and directory under logdir
// to w and reports what it wrote. logdir may be a URL, as storage.Open
// takes them: a logdir in an object store is archived from its listings
// and streamed reads (every object a file, every common prefix a
// directory), once the program imports the store's driver
// (github.com/tbgo/tbgo/storage/cloud). Symbolic links are followed, as
// TensorBoard follows them, and archived as what they point to; each
// directory is archived once, however many paths reach it, and the other
// paths (a link back to an ancestor, a second link to a directory) are
// listed in Report.Skipped. The logdir must hold at least one event file;
// otherwise Create writes nothing and returns an error wrapping
// tfevents.ErrNoEventFiles.
//
// Files are read as large as they were when the logdir was listed, so a
// file that a writer is still appending to is archived as it was then.
// If w is an *os.File inside logdir, that file is skipped.
//
// On error, w may hold part of an archive; CreateFile never leaves one.
func Create(w io.Writer, logdir string, opts Options) (*Report, error) {
	var self []fs.FileInfo
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil {
			self = append(self, info)
		}
	}
	return create(w, logdir, opts, self)
}

// CreateFile writes an archive of logdir to the file name, as Create does.
// It writes to a temporary file in the same directory, renamed to name
// (mode 0644) only once the archive is complete and synced, the directory
// synced after, replacing any file there (which, if it lies inside logdir,
// is not archived); on error it removes the temporary file.
func CreateFile(name, logdir string, opts Options) (*Report, error) {
	f, err := atomicfile.Create(name, 0)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer f.Abort()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	self := []fs.FileInfo{info}
	if old, err := os.Stat(name); err == nil {
		self = append(self, old)
	}
	rep, err := create(f.File, logdir, opts, self)
	if err != nil {
		return nil, err
	}
	if err := f.Commit(); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return rep, nil
}

func create(w io.Writer, logdir string, opts Options, self []fs.FileInfo) (*Report, error) {
	rep := &Report{}
	var fsys fs.FS
	if dir, local := storage.Local(logdir); local {
		logdir = dir
	} else {
		st, err := storage.Open(context.Background(), logdir)
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		defer st.Close()
		fsys = st.FS()
		logdir = storage.Display(logdir)
	}
	srcs, err := scan(logdir, fsys, self, rep)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(srcs, func(s source) bool { return s.isEvent() }) {
		return nil, fmt.Errorf("archive: %s: %w", logdir, tfevents.ErrNoEventFiles)
	}
	if len(srcs) > MaxEntries {
		return nil, fmt.Errorf("archive: %s holds %d files and directories, over the limit of %d an archive may list", logdir, len(srcs), MaxEntries)
	}
	var comp *compactor
	if !opts.Compaction.IsZero() {
		c := opts.Compaction
		c.KeepImages, c.KeepAudio, c.ScalarFactor = max(c.KeepImages, 0), max(c.KeepAudio, 0), max(c.ScalarFactor, 0)
		if c.ScalarFactor == 1 {
			c.ScalarFactor = 0
		}
		comp = newCompactor(c, opts.Strict)
		rep.Compaction = comp.rep
		if err := comp.count(srcs); err != nil {
			return nil, err
		}
	}

	cw := &countWriter{w: bufio.NewWriterSize(w, 256<<10)}
	aw := &archiveWriter{out: cw, sw: snappy.NewBufferedWriter(cw), sum: sha256.New(), buf: make([]byte, 64<<10)}
	cw.Write(appendHeader(nil))
	entries := make([]Entry, 0, len(srcs))
	var total int64
	for _, s := range srcs {
		if !s.info.IsDir() {
			total += s.info.Size()
		}
	}
	for _, s := range srcs {
		e := Entry{Path: s.rel, Mode: s.info.Mode().Perm(), ModTime: s.info.ModTime()}
		if s.info.IsDir() {
			e.Mode |= fs.ModeDir
			rep.Dirs++
		} else {
			var err error
			if comp != nil && s.isEvent() {
				err = aw.compacted(&e, s, comp)
			} else {
				err = aw.verbatim(&e, s)
			}
			if err != nil {
				return nil, err
			}
			rep.Files++
			rep.BytesIn += s.info.Size()
			rep.BytesStored += e.Size
			if opts.Progress != nil {
				opts.Progress(rep.BytesIn, total)
			}
		}
		entries = append(entries, e)
	}
	if comp != nil {
		comp.finish()
	}
	raw := encodeManifest(entries, rep.compactionSettings())
	if len(raw) > MaxManifestSize {
		return nil, fmt.Errorf("archive: %s: the manifest would take %d bytes, over the limit of %d (paths too long, or too many)", logdir, len(raw), MaxManifestSize)
	}
	f := footer{offset: uint64(cw.n), size: uint64(len(raw))}
	aw.sw.Reset(cw)
	aw.sw.Write(raw)
	if err := aw.sw.Flush(); err != nil {
		return nil, fmt.Errorf("archive: writing the manifest: %w", err)
	}
	f.stored = uint64(cw.n) - f.offset
	cw.Write(f.append(nil))
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if cw.err != nil {
		return nil, fmt.Errorf("archive: %w", cw.err)
	}
	rep.BytesOut = cw.n
	return rep, nil
}

func (r *Report) compactionSettings() *Compaction {
	if r.Compaction == nil {
		return nil
	}
	return &r.Compaction.Settings
}

// scan lists logdir's directories and regular files in path order,
// following symbolic links, reading each directory once, and leaving out
// the files self. A logdir in an object store is fsys, logdir naming it.
func scan(logdir string, fsys fs.FS, self []fs.FileInfo, rep *Report) ([]source, error) {
	ops, root := logwalk.OS(), logdir
	if fsys != nil {
		ops, root = logwalk.FS(fsys), "."
	}
	info, err := ops.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("archive: %s is not a directory", logdir)
	}
	srcs := []source{{rel: ".", abs: root, info: info, fsys: fsys}}
	skip := func(rel, reason string) { rep.Skipped = append(rep.Skipped, Skip{Path: rel, Reason: reason}) }
	w := logwalk.Walker{
		Ops: ops,
		Check: func(rel string) error {
			if err := checkPath(rel); err != nil {
				// Not UTF-8, or a backslash: restored elsewhere, the name
				// could not be written or could escape.
				return fmt.Errorf("name cannot be archived portably: %w", err)
			}
			return nil
		},
		Visit: func(_ *logwalk.Entry, entries []logwalk.Entry) error {
			for i := range entries {
				e := &entries[i]
				info, err := e.Info()
				if err != nil {
					return err
				}
				switch {
				case slices.ContainsFunc(self, func(s fs.FileInfo) bool { return os.SameFile(s, info) }):
					skip(e.Rel(), "the archive being written")
				case e.IsDir() || info.Mode().IsRegular():
					srcs = append(srcs, source{rel: e.Rel(), abs: e.Path(), info: info, fsys: fsys})
				default:
					skip(e.Rel(), "not a regular file ("+info.Mode().Type().String()+")")
				}
			}
			return nil
		},
		Skipped: func(e *logwalk.Entry, reason string) { skip(e.Rel(), reason) },
	}
	if err := w.Walk(root); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	slices.SortFunc(srcs, func(a, b source) int { return strings.Compare(a.rel, b.rel) })
	return srcs, nil
}

// countWriter counts the bytes written through it and keeps the first
// error, so that the archive's offsets are known without seeking.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// archiveWriter compresses files into the archive.
type archiveWriter struct {
	out *countWriter
	sw  *snappy.Writer
	sum hash.Hash
	buf []byte
}

// storeWriter is where a file's bytes go: the Snappy stream and the hash.
type storeWriter struct {
	aw *archiveWriter
	n  int64
}

func (s *storeWriter) Write(p []byte) (int, error) {
	s.aw.sum.Write(p)
	s.n += int64(len(p))
	return s.aw.sw.Write(p)
}

// begin starts a file's stream.
func (aw *archiveWriter) begin(e *Entry) *storeWriter {
	aw.sw.Reset(aw.out)
	aw.sum.Reset()
	e.Offset = aw.out.n
	return &storeWriter{aw: aw}
}

// end finishes a file's stream and fills in e.
func (aw *archiveWriter) end(e *Entry, sw *storeWriter) error {
	if err := aw.sw.Flush(); err != nil {
		return fmt.Errorf("archive: writing %s: %w", e.Path, err)
	}
	e.Size = sw.n
	e.Stored = aw.out.n - e.Offset
	if e.Stored == 0 {
		e.Offset = 0
	}
	aw.sum.Sum(e.SHA256[:0])
	return nil
}

// A sourceFile is an open source file: an *os.File, or an object of a
// store (read with ranged reads).
type sourceFile interface {
	fs.File
	io.ReaderAt
}

// open opens a source file and checks it is still the regular file that
// was listed.
func open(s source) (sourceFile, error) {
	var f sourceFile
	if s.fsys == nil {
		of, err := os.Open(s.abs)
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		f = of
	} else {
		ff, err := s.fsys.Open(s.abs)
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		var ok bool
		if f, ok = ff.(sourceFile); !ok {
			ff.Close()
			return nil, fmt.Errorf("archive: %s cannot be read at an offset", s.abs)
		}
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("archive: %s is no longer a regular file", s.abs)
	}
	return f, nil
}

// verbatim stores the first s.info.Size() bytes of the source file.
func (aw *archiveWriter) verbatim(e *Entry, s source) error {
	f, err := open(s)
	if err != nil {
		return err
	}
	defer f.Close()
	sw := aw.begin(e)
	n, err := io.CopyBuffer(sw, io.LimitReader(f, s.info.Size()), aw.buf)
	if err != nil {
		return fmt.Errorf("archive: %s: %w", s.abs, err)
	}
	if n != s.info.Size() {
		return fmt.Errorf("archive: %s shrank while it was archived (%d of %d bytes)", s.abs, n, s.info.Size())
	}
	return aw.end(e, sw)
}

// compacted stores the event file s through the compactor.
func (aw *archiveWriter) compacted(e *Entry, s source, c *compactor) error {
	f, err := open(s)
	if err != nil {
		return err
	}
	defer f.Close()
	orig := sha256.New()
	sw := aw.begin(e)
	cf, err := c.rewrite(sw, f, s, orig)
	if err != nil {
		return err
	}
	if err := aw.end(e, sw); err != nil {
		return err
	}
	if cf.EventsDropped == 0 && cf.EventsRewritten == 0 {
		return nil // byte for byte the file it was
	}
	e.Compacted = true
	e.OriginalSize = s.info.Size()
	orig.Sum(e.OriginalSHA256[:0])
	cf.SizeBefore, cf.SizeAfter = s.info.Size(), e.Size
	c.rep.Files = append(c.rep.Files, cf)
	return nil
}

// errChanged reports a file that changed between compaction's two passes.
var errChanged = errors.New("changed while it was archived")
