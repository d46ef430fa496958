package table

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tbgo/tbgo/internal/runes"
)

// TextOptions say how WriteText and WriteMarkdown write a Comparison for
// people. The zero TextOptions write every column, start times in local
// time.
type TextOptions struct {
	// Width bounds WriteText's lines, in characters: the run's column
	// is always written, then each other column in order if it fits.
	// Zero means unbounded. WriteMarkdown ignores it.
	Width int
	// Location is the time zone of start times; nil means time.Local.
	Location *time.Location
}

// WriteText writes c to w as a table for people, in columns aligned with
// spaces, numbers to the right. Unlike Write it leaves out the TAG:STAT_step
// columns and the columns every row leaves null, names a tag's column
// TAG alone when c has one statistic, rounds metrics to 4 significant
// digits, writes a status without its STATUS_ prefix, a start time to the
// minute and a duration with units (4.2s, 1m23s, 2h05m, 3d04h), and
// writes the hyper-parameters equal in every row once, on a line "every
// run: NAME=VALUE, ..." below the table. A cell is put on one line and
// cut to 40 characters, the last "…". It returns the names of the
// columns that do not fit in o.Width. A nil o means the zero
// TextOptions.
func (c *Comparison) WriteText(w io.Writer, o *TextOptions) (omitted []string, err error) {
	if o == nil {
		o = &TextOptions{}
	}
	return c.human(o.Location).text(w, o.Width)
}

// WriteMarkdown writes c to w as a Markdown table for people: the
// columns and cells of WriteText, unbounded and not cut, with "|" and
// "\" escaped, and the hyper-parameters equal in every row on a line
// "Every run: NAME=VALUE, ..." below the table. A nil o means the zero
// TextOptions.
func (c *Comparison) WriteMarkdown(w io.Writer, o *TextOptions) error {
	if o == nil {
		o = &TextOptions{}
	}
	return c.human(o.Location).markdown(w)
}

// humanTable is the table for people: cells as text, numbers rounded,
// the step columns and the empty columns left out, and the
// hyper-parameters that every row shares set apart.
type humanTable struct {
	head  []string
	right []bool // numbers, aligned right
	rows  [][]string
	same  []string // NAME=VALUE shared by every row
}

// human returns c's table for people, start times in loc (nil: local).
func (c *Comparison) human(loc *time.Location) *humanTable {
	if loc == nil {
		loc = time.Local
	}
	h := &humanTable{}
	var keep []int
	for i, col := range c.Columns {
		tag, _, step, metric := c.Metric(i)
		if step {
			continue
		}
		if i > 0 && !slices.ContainsFunc(c.Rows, func(r []Value) bool { return !r[i].IsNull() }) {
			continue // empty: runs without sessions have no status
		}
		_, hparam := c.HParam(i)
		if hparam && len(c.Rows) > 1 && !c.Rows[0][i].IsNull() && !slices.ContainsFunc(c.Rows, func(r []Value) bool {
			return r[i].Compare(c.Rows[0][i]) != 0
		}) {
			h.same = append(h.same, col.Name+"="+humanValue(col, c.Rows[0][i], true, loc))
			continue
		}
		keep = append(keep, i)
		name := col.Name
		if name == "start_time" {
			name = "start"
		} else if metric && len(c.Stats) == 1 {
			name = tag // the statistic is the same for every tag
		}
		h.head = append(h.head, name)
		h.right = append(h.right, col.Type != TypeString)
	}
	for _, row := range c.Rows {
		cells := make([]string, len(keep))
		for j, i := range keep {
			_, hparam := c.HParam(i)
			cells[j] = humanValue(c.Columns[i], row[i], hparam, loc)
		}
		h.rows = append(h.rows, cells)
	}
	return h
}

// humanValue formats a value of column c for people: a status without
// its prefix, a start time in loc to the minute, a duration with units,
// metrics to 4 significant digits, hyper-parameters (exact) as they are.
func humanValue(c Column, v Value, exact bool, loc *time.Location) string {
	if v.IsNull() {
		return ""
	}
	switch {
	case c.Name == "status":
		return strings.ToLower(strings.TrimPrefix(v.String(), "STATUS_"))
	case c.Name == "start_time":
		t, err := time.Parse(time.RFC3339, v.String())
		if err != nil {
			return v.String()
		}
		return t.In(loc).Format("2006-01-02 15:04")
	case c.Name == "duration":
		return humanDuration(v.Float())
	case c.Type == TypeFloat && !exact:
		return roundFloat(v.Float())
	}
	return v.String()
}

// roundFloat formats f to 4 significant digits: 0.1235, 1235, 1.235e5.
func roundFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return FloatValue(f).String()
	}
	s := strconv.FormatFloat(f, 'g', 4, 64)
	// Go writes e+05 and e-07; people write e5 and e-7.
	if m, e, ok := strings.Cut(s, "e"); ok {
		sign := ""
		if e[0] == '-' {
			sign = "-"
		}
		s = m + "e" + sign + strings.TrimLeft(e[1:], "0")
	}
	return s
}

// humanDuration formats seconds with units: 4.2s, 1m23s, 2h05m, 3d04h.
func humanDuration(secs float64) string {
	switch {
	case math.IsNaN(secs) || secs < 0:
		return FloatValue(secs).String() + "s"
	case secs < 60:
		return strconv.FormatFloat(secs, 'f', 1, 64) + "s"
	}
	s := int64(math.Round(secs))
	switch {
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// markdown writes the human table as a Markdown table.
func (h *humanTable) markdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	line := func(cells []string) {
		bw.WriteString("|")
		for _, c := range cells {
			bw.WriteString(" " + markdownCell(c) + " |")
		}
		bw.WriteString("\n")
	}
	line(h.head)
	bw.WriteString("|")
	for _, right := range h.right {
		if right {
			bw.WriteString("--:|")
		} else {
			bw.WriteString("---|")
		}
	}
	bw.WriteString("\n")
	for _, row := range h.rows {
		line(row)
	}
	if len(h.same) > 0 {
		bw.WriteString("\nEvery run: " + markdownCell(strings.Join(h.same, ", ")) + "\n")
	}
	return bw.Flush()
}

// markdownCell escapes what would break a Markdown table cell.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// maxCell bounds a cell of the text table, in characters.
const maxCell = 40

// text writes the human table in aligned columns, as many as fit width
// (0: all), the run always, and returns the names of the others.
func (h *humanTable) text(w io.Writer, width int) (omitted []string, err error) {
	cell := func(s string) string {
		return runes.Shorten(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s), maxCell)
	}
	cols := len(h.head)
	widths := make([]int, cols)
	cells := make([][]string, len(h.rows)+1)
	for r, row := range append([][]string{h.head}, h.rows...) {
		cells[r] = make([]string, cols)
		for i, c := range row {
			cells[r][i] = cell(c)
			widths[i] = max(widths[i], utf8.RuneCountInString(cells[r][i]))
		}
	}
	var shown []int
	used := 0
	for i := range cols {
		need := widths[i]
		if len(shown) > 0 {
			need += 2
		}
		if i > 0 && width > 0 && used+need > width {
			omitted = append(omitted, h.head[i])
			continue
		}
		shown = append(shown, i)
		used += need
	}
	bw := bufio.NewWriter(w)
	for _, row := range cells {
		var line strings.Builder
		for j, i := range shown {
			if j > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(row[i]))
			if h.right[i] {
				line.WriteString(pad + row[i])
			} else if j < len(shown)-1 {
				line.WriteString(row[i] + pad)
			} else {
				line.WriteString(row[i])
			}
		}
		bw.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	if len(h.same) > 0 {
		bw.WriteString("every run: " + strings.Join(h.same, ", ") + "\n")
	}
	return omitted, bw.Flush()
}
