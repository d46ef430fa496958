package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/hostile"
)

// corpusCeiling is the most resident memory a reading command may hold
// on any input of the hostile corpus: that of archive's own corpus test,
// where opening an archive of a million entries takes 300 MB. The largest
// record holds a million values in 2 MB, or 32 MB of text; the commands
// hold at most 150 MB and 190 MB for them (and TestHostileManyValues holds
// inspect, verify, repair and tail to 48 MB of heap on the first).
const corpusCeiling = 512 << 20

// corpusCommands are the reading commands, each with its arguments
// around the input (%[1]s) and a scratch directory (%[2]s).
var corpusCommands = []struct{ name, args string }{
	{"inspect", "inspect %[1]s"},
	{"verify", "verify %[1]s"},
	{"repair", "repair %[1]s %[2]s/repaired"},
	{"export", "export -what all -o %[2]s/export %[1]s"},
	{"compare", "compare %[1]s"},
	{"plot", "plot -o %[2]s/p.png %[1]s"},
	{"tail", "tail -all -poll 100ms %[1]s"},
}

// TestHostileCorpusCommands runs every reading command over each input of
// internal/hostile's corpus (issue 11: a million values in a record, a
// huge value, an oversized record, non-finite wall times, colliding tag
// paths, 3000 tags, a megabyte tag, names that are not UTF-8, a symbolic
// link DAG, manifest bombs), each in a child process under a memory
// ceiling and a time limit, and logs what each used: the figures of
// docs/RELIABILITY.md. A command may end with an error that names the
// problem (verify on damage, plot on too many tags, tail on an archive),
// never a panic or a broken limit.
func TestHostileCorpusCommands(t *testing.T) {
	if arg, ok := hostile.ChildArg(t); ok {
		fmt.Println("outcome:", corpusCommand(arg))
		return
	}
	if testing.Short() || hostile.Race {
		t.Skip("the hostile corpus measures memory and takes a while: run without -short and -race")
	}
	dir := t.TempDir()
	for _, c := range hostile.Corpus(t, filepath.Join(dir, "corpus")) {
		for _, cmd := range corpusCommands {
			scratch := filepath.Join(dir, "out", filepath.Base(c.Path), cmd.name)
			if err := os.MkdirAll(scratch, 0o755); err != nil {
				t.Fatal(err)
			}
			args := fmt.Sprintf(cmd.args, c.Path, scratch)
			u, out, err := hostile.RunChild("TestHostileCorpusCommands", args, hostile.Limits{MaxRSS: corpusCeiling, Timeout: 2 * time.Minute})
			outcome := "?"
			if _, after, ok := strings.Cut(out, "outcome: "); ok {
				outcome, _, _ = strings.Cut(after, "\n")
			}
			t.Logf("| %s | %s | %.0f MB | %.2f s | %s |", c.Class, cmd.name, float64(u.PeakRSS)/1e6, u.Elapsed.Seconds(), outcome)
			if err != nil {
				t.Errorf("%s: %s: %v", c.Class, cmd.name, shorten(err.Error(), 2000))
			} else if want := corpusOutcome(c.Class, cmd.name); want != "" && !strings.Contains(outcome, want) {
				t.Errorf("%s: %s: %s, want %q", c.Class, cmd.name, outcome, want)
			}
		}
	}
}

// corpusOutcome returns what a command's outcome on a class of the corpus
// must say: "ok" unless the command reports the input's damage or refuses
// it, and "" where another package's defect is open (export of colliding
// tag paths: issue 11, item 8).
func corpusOutcome(class, cmd string) string {
	switch {
	case strings.HasPrefix(class, "manifest bomb") && cmd == "tail":
		return "does not grow"
	case class == "manifest bomb":
		return "more than 1048576 entries"
	case (class == "oversized record" || class == "non-finite wall times") && (cmd == "inspect" || cmd == "verify"):
		return "corrupt record(s)"
	case class == "colliding tag paths" && cmd == "plot":
		return "no scalar or histogram values"
	case class == "colliding tag paths" && cmd == "export":
		return ""
	case class == "many tags" && cmd == "plot":
		return "too many charts: 3000 tags"
	}
	return "ok"
}

// corpusCommand runs one command line in the child and says how it ended:
// "ok", or the start of its error. tail runs for two seconds.
func corpusCommand(line string) string {
	args := strings.Fields(line)
	var err error
	if args[0] == "tail" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = tail(ctx, args[len(args)-1], &history.FollowOptions{FromStart: true, Poll: 100 * time.Millisecond}, "text", io.Discard, io.Discard)
	} else {
		err = run(args, io.Discard, io.Discard)
	}
	if err == nil {
		return "ok"
	}
	return "error: " + shorten(strings.ReplaceAll(err.Error(), "|", "/"), 160)
}
