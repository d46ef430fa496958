package hostile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tbgo/tbgo/tfevents"
)

// A Case is one input of a Corpus.
type Case struct {
	// Class names the kind of input, as the reliability table does.
	Class string
	// Path is what to read: a logdir, or, when Archive is set, a tbgo
	// archive.
	Path string
	// Archive reports that Path is an archive.
	Archive bool
}

// Sizes of the inputs Corpus writes: each the figure issue 11 reported,
// or past the limit it broke.
const (
	CorpusValues    = 1_000_000                        // values in one record
	CorpusValueSize = 32 << 20                         // bytes of the huge value
	CorpusRecordLen = tfevents.DefaultMaxRecordLen + 1 // the oversized record
	CorpusTags      = 3000                             // tags of one point each
	CorpusTagSize   = 1 << 20                          // bytes of the long tag
	CorpusDAGLevels = 30                               // 2^29 paths to one directory
	CorpusManifest  = 64 << 20                         // bytes of the bomb's manifest: 2 M entries
	// CorpusManifestUnderCap is the manifest of a second bomb, of
	// about 990,000 entries, just under the cap of 2^20 a reader
	// accepts, so that it opens and is walked.
	CorpusManifestUnderCap = 32 << 20
)

// Corpus writes one input of each class under dir, each in a directory of
// its own named after it, and returns them. Classes the file system
// cannot hold (names that are not UTF-8, symbolic links) are left out.
// It takes a few seconds and writes about 150 MB to disk (the oversized
// record is a hole in a sparse file).
func Corpus(t testing.TB, dir string) []Case {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	logdir := func(name string) string { return filepath.Join(dir, name) }
	cases := []Case{
		{Class: "many values in one record", Path: logdir("many-values")},
		{Class: "huge value", Path: logdir("huge-value")},
		{Class: "oversized record", Path: logdir("oversized-record")},
		{Class: "non-finite wall times", Path: logdir("non-finite-wall-times")},
		{Class: "colliding tag paths", Path: logdir("colliding-tags")},
		{Class: "many tags", Path: logdir("many-tags")},
		{Class: "long tag", Path: logdir("long-tag")},
	}
	ManyValues(t, filepath.Join(cases[0].Path, "run"), CorpusValues)
	HugeValue(t, filepath.Join(cases[1].Path, "run"), CorpusValueSize)
	OversizedRecord(t, filepath.Join(cases[2].Path, "run"), CorpusRecordLen)
	NonFiniteWallTimes(t, filepath.Join(cases[3].Path, "run"))
	CollidingTags(t, filepath.Join(cases[4].Path, "run"))
	ManyTags(t, filepath.Join(cases[5].Path, "run"), CorpusTags)
	LongTag(t, filepath.Join(cases[6].Path, "run"), CorpusTagSize)
	if supports(filepath.Join(dir, "probe\xff"), func(p string) error { return os.Mkdir(p, 0o755) }) {
		c := Case{Class: "non-UTF-8 names", Path: logdir("non-utf8-names")}
		NonUTF8Names(t, c.Path)
		cases = append(cases, c)
	}
	if supports(filepath.Join(dir, "probe-link"), func(p string) error { return os.Symlink(".", p) }) {
		c := Case{Class: "symlink DAG", Path: logdir("symlink-dag")}
		c.Path = SymlinkDAG(t, c.Path, CorpusDAGLevels)
		cases = append(cases, c)
	}
	bomb := Case{Class: "manifest bomb", Path: logdir("manifest-bomb.tbar"), Archive: true}
	ManifestBomb(t, bomb.Path, CorpusManifest)
	under := Case{Class: "manifest bomb under the entry cap", Path: logdir("manifest-bomb-under-cap.tbar"), Archive: true}
	ManifestBomb(t, under.Path, CorpusManifestUnderCap)
	return append(cases, bomb, under)
}

// supports reports whether mk succeeds at p, removing what it made.
func supports(p string, mk func(string) error) bool {
	if err := mk(p); err != nil {
		return false
	}
	os.Remove(p)
	return true
}
