package archive_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/internal/hostile"
	"github.com/tbgo/tbgo/tfevents"
)

// corpusLimits bound each step of TestHostileCorpus: far below what the
// defects of issue 11 took (1.42 GB to open a manifest bomb; a symlink
// DAG that never finished), with room for the heaviest step, a walk of a
// directory of a million entries (about 300 MB).
var corpusLimits = hostile.Limits{MaxRSS: 512 << 20, Timeout: 2 * time.Minute}

// TestHostileCorpus runs run discovery, archive creation (lossless and
// compacted), opening (every file checked, the runs discovered) and
// restoring over each input of internal/hostile's corpus, each step in a
// child process under corpusLimits, and logs what each used: the
// figures of docs/RELIABILITY.md. Every step must end with its expected
// outcome, never a panic, a limit broken or an unexpected error.
func TestHostileCorpus(t *testing.T) {
	if arg, ok := hostile.ChildArg(t); ok {
		fmt.Println("outcome:", corpusStep(t, arg))
		return
	}
	if testing.Short() || hostile.Race {
		t.Skip("the hostile corpus measures memory and takes a while: run without -short and -race")
	}
	dir := t.TempDir()
	slow := os.Getenv("TBGO_HOSTILE_SLOW") != ""
	for _, c := range hostile.Corpus(t, filepath.Join(dir, "corpus")) {
		arc := c.Path
		steps := []string{"open", "restore"}
		if !c.Archive {
			arc = filepath.Join(dir, filepath.Base(c.Path)+".tbar")
			steps = []string{"discover", "create", "compact", "open", "restore"}
		}
		for _, step := range steps {
			if c.Class == "manifest bomb under the entry cap" && step == "restore" && !slow {
				// A million mkdirs take a minute and more, and as long
				// again to remove: memory is not what is at stake.
				t.Logf("| %s | %s | skipped: set TBGO_HOSTILE_SLOW=1 to run it |", c.Class, step)
				continue
			}
			arg := strings.Join([]string{step, c.Path, arc, filepath.Join(dir, "restored", filepath.Base(c.Path))}, "\x1f") // a separator no path of the corpus holds
			u, out, err := hostile.RunChild("TestHostileCorpus", arg, corpusLimits)
			outcome := "?"
			if _, after, ok := strings.Cut(out, "outcome: "); ok {
				outcome, _, _ = strings.Cut(after, "\n")
			}
			t.Logf("| %s | %s | %.0f MB | %.2f s | %s |", c.Class, step, float64(u.PeakRSS)/1e6, u.Elapsed.Seconds(), outcome)
			if err != nil {
				t.Errorf("%s: %s: %v", c.Class, step, err)
			}
		}
	}
}

// corpusStep runs one step in the child: "discover", "create", "compact",
// "open" or "restore", of the logdir or archive given, and says how it
// ended. An unexpected error fails the child.
func corpusStep(t *testing.T, arg string) string {
	parts := strings.Split(arg, "\x1f") // a separator no path of the corpus holds
	step, input, arc, restored := parts[0], parts[1], parts[2], parts[3]
	skips := func(skipped []archive.Skip) string {
		if len(skipped) == 0 {
			return ""
		}
		return fmt.Sprintf(", %d skipped (%s)", len(skipped), skipped[0].Reason)
	}
	switch step {
	case "discover":
		var skipped []tfevents.Skip
		d := tfevents.Discovery{Skipped: func(s tfevents.Skip) { skipped = append(skipped, s) }}
		runs, err := d.Runs(input)
		if err != nil {
			t.Fatal(err)
		}
		fsRuns, err := d.RunsFS(os.DirFS(input), ".")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d runs (%d through io/fs)%s", len(runs), len(fsRuns), skips(skipped))
	case "create", "compact":
		var opts archive.Options
		name := arc
		if step == "compact" {
			opts.Compaction = archive.Compaction{ScalarFactor: 2, KeepImages: 1}
			name = strings.TrimSuffix(arc, ".tbar") + "-compact.tbar"
		}
		rep, err := archive.CreateFile(name, input, opts)
		if err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("%d files, %d dirs, %.1f MB%s", rep.Files, rep.Dirs, float64(rep.BytesOut)/1e6, skips(rep.Skipped))
		if c := rep.Compaction; c != nil {
			s += fmt.Sprintf(", %d scalars dropped, %d damaged parts kept", c.ScalarsDropped, len(c.Damage))
		}
		return s
	case "open":
		r, err := archive.Open(arc)
		if errors.Is(err, archive.ErrCorrupt) && strings.Contains(err.Error(), "entries") {
			return "refused: over MaxEntries"
		}
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		files := 0
		for e := range r.Entries() {
			if !e.IsDir() {
				files++
				if err := r.Check(e.Path); err != nil {
					t.Fatal(err)
				}
			}
		}
		runs, err := tfevents.DiscoverRunsFS(r, ".")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d files checked, %d runs", files, len(runs))
	case "restore":
		rep, err := archive.Restore(arc, restored, archive.RestoreOptions{})
		if errors.Is(err, archive.ErrCorrupt) && strings.Contains(err.Error(), "entries") {
			return "refused: over MaxEntries"
		}
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d files, %d dirs", rep.Files, rep.Dirs)
	}
	t.Fatalf("unknown step %q", step)
	return ""
}
