package table_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tbgo/tbgo/history/table"
)

// The table for people leaves out the step columns, names a tag's
// column by the tag when there is one statistic, rounds, writes start
// times to the minute, durations with units and statuses without their
// prefix, and aligns numbers to the right; Markdown is the same table.
func TestWriteText(t *testing.T) {
	t.Parallel()
	c, err := table.Compare(compareSums(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	omitted, err := c.WriteText(&b, &table.TextOptions{Location: time.UTC})
	if err != nil || omitted != nil {
		t.Fatalf("WriteText: %q, %v", omitted, err)
	}
	want := `run          status   start             duration    lr  opt    acc  loss
plain                 2023-11-14 22:13      0.0s                       9
setup        running                                 1  none
trial1       success  2023-11-14 22:13      4.0s   0.1  adam  0.75  0.75
trial1/eval  success  2023-11-14 22:13      1.0s   0.1  adam           1
trial2       failure  2023-11-14 22:13      2.0s  0.01  sgd         0.25
trial3       failure  2023-11-14 22:13      1.0s  0.02  sgd          NaN
`
	if b.String() != want {
		t.Errorf("text table:\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := c.WriteMarkdown(&b, &table.TextOptions{Location: time.UTC, Width: 10}); err != nil {
		t.Fatal(err)
	}
	want = `| run | status | start | duration | lr | opt | acc | loss |
|---|---|---|--:|--:|---|--:|--:|
| plain |  | 2023-11-14 22:13 | 0.0s |  |  |  | 9 |
| setup | running |  |  | 1 | none |  |  |
| trial1 | success | 2023-11-14 22:13 | 4.0s | 0.1 | adam | 0.75 | 0.75 |
| trial1/eval | success | 2023-11-14 22:13 | 1.0s | 0.1 | adam |  | 1 |
| trial2 | failure | 2023-11-14 22:13 | 2.0s | 0.01 | sgd |  | 0.25 |
| trial3 | failure | 2023-11-14 22:13 | 1.0s | 0.02 | sgd |  | NaN |
`
	if b.String() != want {
		t.Errorf("Markdown table (unbounded whatever the Width):\n%s\nwant\n%s", b.String(), want)
	}

	// A column null in every row is left out: plain has no session.
	c, err = table.Compare(compareSums(), &table.CompareOptions{Where: []string{"run=plain"}})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if _, err := c.WriteText(&b, &table.TextOptions{Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	want = "run    start             duration  loss\nplain  2023-11-14 22:13      0.0s     9\n"
	if b.String() != want {
		t.Errorf("text table of a run without a session:\n%s\nwant\n%s", b.String(), want)
	}
}

// The columns that do not fit the width are left out and named; the run
// is always written.
func TestWriteTextWidth(t *testing.T) {
	t.Parallel()
	c, err := table.Compare(compareSums(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		width   int
		omitted []string
	}{
		{0, nil},
		{72, nil},
		{71, []string{"loss"}},
		{50, []string{"lr", "opt", "acc", "loss"}},
		{1, []string{"status", "start", "duration", "lr", "opt", "acc", "loss"}},
	} {
		var b bytes.Buffer
		omitted, err := c.WriteText(&b, &table.TextOptions{Width: tc.width})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(omitted, tc.omitted) {
			t.Errorf("width %d: omitted %q, want %q", tc.width, omitted, tc.omitted)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != len(c.Rows)+1 {
			t.Errorf("width %d: %d lines, want %d:\n%s", tc.width, len(lines), len(c.Rows)+1, b.String())
		}
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); tc.width > len("trial1/eval") && n > tc.width {
				t.Errorf("width %d: a line of %d characters: %q", tc.width, n, l)
			}
			if !strings.HasPrefix(l, "run") && !strings.HasPrefix(l, "plain") && !strings.HasPrefix(l, "setup") && !strings.HasPrefix(l, "trial") {
				t.Errorf("width %d: a line without its run: %q", tc.width, l)
			}
		}
	}
}

// A hyper-parameter equal in every row is written once, below the
// table; every statistic names its column when there are several; start
// times are local by default.
func TestWriteTextShared(t *testing.T) {
	t.Parallel()
	c, err := table.Compare(compareSums(), &table.CompareOptions{Stats: []table.Stat{table.Last, table.Max}, Where: []string{"opt=sgd"}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.WriteText(&b, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1700000020, 0).Local().Format("2006-01-02 15:04")
	want := "run     status   start             duration    lr  loss:last  loss:max\n" +
		"trial2  failure  " + start + "      2.0s  0.01       0.25         4\n" +
		"trial3  failure  " + time.Unix(1700000030, 0).Local().Format("2006-01-02 15:04") + "      1.0s  0.02        NaN\n" +
		"every run: opt=sgd\n"
	if b.String() != want {
		t.Errorf("text table:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := c.WriteMarkdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "|\n\nEvery run: opt=sgd\n") {
		t.Errorf("Markdown table without the shared line:\n%s", b.String())
	}
}

// The text table cuts a long cell to 40 characters, the last "…", and
// puts a line break in a cell on one line; Markdown keeps the cell whole
// and escapes what would end it.
func TestWriteTextCell(t *testing.T) {
	t.Parallel()
	c := &table.Comparison{
		Columns: []table.Column{{Name: "run"}},
		Rows:    [][]table.Value{{table.StringValue(strings.Repeat("é", 80))}, {table.StringValue("a\nb")}, {table.StringValue(`x|y\z`)}},
	}
	var b bytes.Buffer
	if _, err := c.WriteText(&b, nil); err != nil {
		t.Fatal(err)
	}
	want := "run\n" + strings.Repeat("é", 39) + "…\na b\nx|y\\z\n"
	if b.String() != want {
		t.Errorf("text table:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := c.WriteMarkdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	want = "| run |\n|---|\n| " + strings.Repeat("é", 80) + " |\n| a b |\n| x\\|y\\\\z |\n"
	if b.String() != want {
		t.Errorf("Markdown table:\n%q\nwant\n%q", b.String(), want)
	}
}
