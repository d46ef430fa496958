package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", "[-json] LOGDIR|RUN|FILE|ARCHIVE", stderr)
	asJSON := fs.Bool("json", false, "print one JSON document instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: inspect takes one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	rep, err := inspect(fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else if err := rep.writeText(stdout); err != nil {
		return err
	}
	if rep.Corrupt > 0 {
		return fmt.Errorf("%s: %d corrupt record(s)", rep.Path, rep.Corrupt)
	}
	return nil
}

// inspectReport is what inspect finds in a logdir; its JSON form is
// inspect's -json output.
type inspectReport struct {
	Path    string      `json:"path"`
	Runs    []runReport `json:"runs"`
	Corrupt int         `json:"corrupt_records"`
	Torn    int         `json:"torn_tails"`
}

type runReport struct {
	Name          string         `json:"name"`
	Files         []fileReport   `json:"files"`
	FirstWallTime float64        `json:"first_wall_time"`
	LastWallTime  float64        `json:"last_wall_time"`
	Plugins       []pluginReport `json:"plugins"`
	SessionLogs   map[string]int `json:"session_logs,omitempty"`
	OutOfOrder    []stepBack     `json:"out_of_order,omitempty"`

	tags map[string]*tagReport
}

type fileReport struct {
	Path        string    `json:"path"`
	Size        int64     `json:"size"`
	Records     int       `json:"records"`
	FileVersion string    `json:"file_version,omitempty"`
	Writer      string    `json:"writer,omitempty"`
	Problems    []problem `json:"problems,omitempty"`
}

// problem is a damaged or unreadable part of a file.
type problem struct {
	Offset int64  `json:"offset"`
	Kind   string `json:"kind"` // "torn tail", "length crc", "data crc", "too large", "invalid event", "invalid value", "read error"
	Detail string `json:"detail"`
}

type pluginReport struct {
	Name string       `json:"name"`
	Tags []*tagReport `json:"tags"`
}

type tagReport struct {
	Tag        string `json:"tag"`
	Plugin     string `json:"-"`
	Count      int    `json:"count"`
	FirstStep  int64  `json:"first_step"`
	LastStep   int64  `json:"last_step"`
	MinStep    int64  `json:"min_step"`
	MaxStep    int64  `json:"max_step"`
	OutOfOrder int    `json:"out_of_order"`
}

// stepBack is a value whose step is not above the previous step of its tag.
type stepBack struct {
	Tag      string `json:"tag"`
	Step     int64  `json:"step"`
	Previous int64  `json:"previous"`
	File     string `json:"file"`
	Offset   int64  `json:"offset"`
}

// maxStepBacks caps how many out-of-order steps a run lists; the tag
// counts have them all.
const maxStepBacks = 20

func inspect(path string) (*inspectReport, error) {
	src, err := history.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	rep := &inspectReport{Path: path}
	for _, run := range src.Runs() {
		rr := &runReport{Name: run.Name, tags: map[string]*tagReport{}}
		dec := summary.NewDecoder()
		for _, file := range run.Files {
			fr, err := rr.readFile(src, file, dec)
			if err != nil {
				return nil, err
			}
			for _, p := range fr.Problems {
				if p.Kind == "torn tail" {
					rep.Torn++
				} else {
					rep.Corrupt++
				}
			}
			rr.Files = append(rr.Files, fr)
		}
		rr.groupTags()
		rep.Runs = append(rep.Runs, *rr)
	}
	return rep, nil
}

// readFile reads one event file of the run, adding its values to rr.
func (rr *runReport) readFile(src *history.Source, file string, dec *summary.Decoder) (fileReport, error) {
	path := src.FileName(file)
	fr := fileReport{Path: path}
	if info, err := src.Stat(file); err == nil {
		fr.Size = info.Size()
	}
	f, err := src.FS().Open(file)
	if err != nil {
		return fr, err
	}
	defer f.Close()
	r := tfevents.NewReader(f)
	r.Name = path
	var ev tbpb.Event
	var vals []summary.Value
	for {
		off := r.Offset()
		data, err := r.Next()
		if err == io.EOF {
			return fr, nil
		}
		if err != nil {
			p, fatal := classify(err, off, fr.Size)
			fr.Problems = append(fr.Problems, p)
			if fatal {
				return fr, nil
			}
			continue
		}
		fr.Records++
		if err := proto.Unmarshal(data, &ev); err != nil {
			fr.Problems = append(fr.Problems, problem{Offset: off, Kind: "invalid event", Detail: err.Error()})
			continue
		}
		rr.noteWallTime(ev.WallTime)
		switch what := ev.What.(type) {
		case *tbpb.Event_FileVersion:
			fr.FileVersion = what.FileVersion
			fr.Writer = ev.GetSourceMetadata().GetWriter()
			continue
		case *tbpb.Event_SessionLog:
			if rr.SessionLogs == nil {
				rr.SessionLogs = map[string]int{}
			}
			rr.SessionLogs[strings.ToLower(what.SessionLog.Status.String())]++
			continue
		}
		vals, err = dec.Event(vals[:0], &ev)
		if err != nil {
			fr.Problems = append(fr.Problems, problem{Offset: off, Kind: "invalid value", Detail: err.Error()})
		}
		for _, v := range vals {
			rr.noteValue(v, path, off)
		}
	}
}

// classify turns a reader error into a problem and says whether the rest
// of the file is unreadable.
func classify(err error, off, size int64) (problem, bool) {
	var ce *tfevents.CorruptError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem{Offset: off, Kind: "torn tail", Detail: fmt.Sprintf("last %d bytes are an incomplete record", size-off)}, true
	case errors.As(err, &ce):
		return problem{Offset: ce.Offset, Kind: ce.Checksum.String(), Detail: err.Error()}, ce.Checksum == tfevents.LengthChecksum
	case errors.Is(err, tfevents.ErrRecordTooLarge):
		return problem{Offset: off, Kind: "too large", Detail: err.Error()}, true
	}
	return problem{Offset: off, Kind: "read error", Detail: err.Error()}, true
}

func (rr *runReport) noteWallTime(t float64) {
	if t == 0 {
		return
	}
	if rr.FirstWallTime == 0 || t < rr.FirstWallTime {
		rr.FirstWallTime = t
	}
	rr.LastWallTime = max(rr.LastWallTime, t)
}

func (rr *runReport) noteValue(v summary.Value, file string, off int64) {
	tr := rr.tags[v.Tag]
	if tr == nil {
		tr = &tagReport{Tag: v.Tag, Plugin: v.Plugin, FirstStep: v.Step, MinStep: v.Step, MaxStep: v.Step, LastStep: v.Step}
		rr.tags[v.Tag] = tr
	} else {
		if v.Step <= tr.LastStep {
			tr.OutOfOrder++
			if len(rr.OutOfOrder) < maxStepBacks {
				rr.OutOfOrder = append(rr.OutOfOrder, stepBack{Tag: v.Tag, Step: v.Step, Previous: tr.LastStep, File: file, Offset: off})
			}
		}
		tr.LastStep = v.Step
		tr.MinStep = min(tr.MinStep, v.Step)
		tr.MaxStep = max(tr.MaxStep, v.Step)
	}
	tr.Count++
}

// groupTags sorts the run's tags into plugins, both in name order.
func (rr *runReport) groupTags() {
	byPlugin := map[string][]*tagReport{}
	for _, tr := range rr.tags {
		byPlugin[tr.Plugin] = append(byPlugin[tr.Plugin], tr)
	}
	for name, tags := range byPlugin {
		slices.SortFunc(tags, func(a, b *tagReport) int { return strings.Compare(a.Tag, b.Tag) })
		rr.Plugins = append(rr.Plugins, pluginReport{Name: name, Tags: tags})
	}
	slices.SortFunc(rr.Plugins, func(a, b pluginReport) int { return strings.Compare(a.Name, b.Name) })
}

func (rep *inspectReport) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: %d run(s)\n", rep.Path, len(rep.Runs))
	for _, run := range rep.Runs {
		fmt.Fprintf(tw, "\nrun %q\n", run.Name)
		for _, f := range run.Files {
			fmt.Fprintf(tw, "  file %s\t%d bytes\t%d records", filepath.Base(f.Path), f.Size, f.Records)
			if f.Writer != "" {
				fmt.Fprintf(tw, "\twriter %s", f.Writer)
			}
			fmt.Fprintln(tw)
		}
		if run.FirstWallTime != 0 {
			first, last := wallTime(run.FirstWallTime), wallTime(run.LastWallTime)
			fmt.Fprintf(tw, "  wall time %s .. %s (%s)\n", first.Format(time.DateTime), last.Format(time.DateTime+" MST"), last.Sub(first).Round(time.Millisecond))
		}
		for _, p := range run.Plugins {
			fmt.Fprintf(tw, "  %s\n", p.Name)
			for _, t := range p.Tags {
				fmt.Fprintf(tw, "    %s\t%d values\tsteps %d..%d", t.Tag, t.Count, t.MinStep, t.MaxStep)
				if t.OutOfOrder > 0 {
					fmt.Fprintf(tw, "\t%d out of order", t.OutOfOrder)
				}
				fmt.Fprintln(tw)
			}
		}
		for status, n := range run.SessionLogs {
			fmt.Fprintf(tw, "  session log %s: %d\n", status, n)
		}
		for _, sb := range run.OutOfOrder {
			fmt.Fprintf(tw, "  step goes back: %q step %d after %d (%s offset %d)\n", sb.Tag, sb.Step, sb.Previous, filepath.Base(sb.File), sb.Offset)
		}
		for _, f := range run.Files {
			for _, p := range f.Problems {
				fmt.Fprintf(tw, "  PROBLEM %s offset %d: %s: %s\n", filepath.Base(f.Path), p.Offset, p.Kind, p.Detail)
			}
		}
	}
	fmt.Fprintf(tw, "\n%d corrupt record(s), %d torn tail(s)\n", rep.Corrupt, rep.Torn)
	return tw.Flush()
}

func wallTime(secs float64) time.Time {
	s := int64(secs)
	return time.Unix(s, int64((secs-float64(s))*1e9)).UTC()
}
