package history

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

// InspectReport is what Inspect found. Its JSON form is tbgo inspect
// -json's.
type InspectReport struct {
	Path string      `json:"path"`
	Runs []RunReport `json:"runs"`
	// Corrupt counts the damage of every kind but torn tails, Torn the
	// torn tails.
	Corrupt int `json:"corrupt_records"`
	Torn    int `json:"torn_tails"`
}

// A RunReport is what Inspect found in one run.
type RunReport struct {
	Name  string       `json:"name"`
	Files []FileReport `json:"files"`
	// FirstWallTime and LastWallTime span the run's events, in seconds
	// since the Unix epoch; zero for a run with none that has a wall
	// time.
	FirstWallTime float64        `json:"first_wall_time"`
	LastWallTime  float64        `json:"last_wall_time"`
	Plugins       []PluginReport `json:"plugins"`
	// SessionLogs counts the SessionLog events by status, in lower case:
	// "start", "stop", "checkpoint".
	SessionLogs map[string]int `json:"session_logs,omitempty"`
	// OutOfOrder lists the first MaxStepBacks values whose step is not
	// above the previous step of their tag; TagReport.OutOfOrder counts
	// them all.
	OutOfOrder []StepBack `json:"out_of_order,omitempty"`

	tags map[string]*TagReport
}

// A PluginReport is the tags of one plugin in a run, in name order.
type PluginReport struct {
	Name string       `json:"name"`
	Tags []*TagReport `json:"tags"`
}

// A TagReport describes one series: how many values it has and their
// steps.
type TagReport struct {
	Tag        string `json:"tag"`
	Plugin     string `json:"-"`
	Count      int    `json:"count"`
	FirstStep  int64  `json:"first_step"`
	LastStep   int64  `json:"last_step"`
	MinStep    int64  `json:"min_step"`
	MaxStep    int64  `json:"max_step"`
	OutOfOrder int    `json:"out_of_order"`
}

// A StepBack is a value whose step is not above the previous step of its
// tag: a restarted run, or a writer that logs a step twice.
type StepBack struct {
	Tag      string `json:"tag"`
	Step     int64  `json:"step"`
	Previous int64  `json:"previous"`
	File     string `json:"file"`
	Offset   int64  `json:"offset"`
}

// MaxStepBacks is how many StepBacks a RunReport lists.
const MaxStepBacks = 20

// Inspect reads every record of the Source's event files and describes
// them, as "tensorboard --inspect" does and more: each run's files, its
// tags by plugin with their value counts and step ranges, steps that go
// back, the wall-time span, session logs, and the damage read past, the
// same damage Verify reports. Damage is not an error: the error is a
// failure to read, or ctx's.
//
// Memory grows with the number of tags, not of values.
func (s *Source) Inspect(ctx context.Context) (*InspectReport, error) {
	rep := &InspectReport{Path: s.Path()}
	for _, run := range s.runs {
		rr := RunReport{Name: run.Name, tags: map[string]*TagReport{}}
		c := newChecker()
		for _, file := range run.Files {
			name := s.FileName(file)
			fr, err := s.checkFile(ctx, run.Name, file, c, nil,
				func(ev *tbpb.Event, _ int64) { rr.addEvent(ev) },
				func(v *summary.Value, off int64) { rr.addValue(v, name, off) })
			if err != nil {
				return nil, err
			}
			rep.Corrupt += fr.corrupt
			rep.Torn += fr.torn
			rr.Files = append(rr.Files, fr)
		}
		rr.groupTags()
		rep.Runs = append(rep.Runs, rr)
	}
	return rep, nil
}

func (rr *RunReport) addEvent(ev *tbpb.Event) {
	if t := ev.GetWallTime(); t != 0 {
		if rr.FirstWallTime == 0 || t < rr.FirstWallTime {
			rr.FirstWallTime = t
		}
		rr.LastWallTime = max(rr.LastWallTime, t)
	}
	if sl := ev.GetSessionLog(); sl != nil {
		if rr.SessionLogs == nil {
			rr.SessionLogs = map[string]int{}
		}
		rr.SessionLogs[strings.ToLower(sl.GetStatus().String())]++
	}
}

func (rr *RunReport) addValue(v *summary.Value, file string, off int64) {
	tr := rr.tags[v.Tag]
	if tr == nil {
		tr = &TagReport{Tag: v.Tag, Plugin: v.Plugin, FirstStep: v.Step, MinStep: v.Step, MaxStep: v.Step, LastStep: v.Step}
		rr.tags[v.Tag] = tr
	} else {
		if v.Step <= tr.LastStep {
			tr.OutOfOrder++
			if len(rr.OutOfOrder) < MaxStepBacks {
				rr.OutOfOrder = append(rr.OutOfOrder, StepBack{Tag: v.Tag, Step: v.Step, Previous: tr.LastStep, File: file, Offset: off})
			}
		}
		tr.LastStep = v.Step
		tr.MinStep = min(tr.MinStep, v.Step)
		tr.MaxStep = max(tr.MaxStep, v.Step)
	}
	tr.Count++
}

// groupTags sorts the run's tags into plugins, both in name order.
func (rr *RunReport) groupTags() {
	byPlugin := map[string][]*TagReport{}
	for _, tr := range rr.tags {
		byPlugin[tr.Plugin] = append(byPlugin[tr.Plugin], tr)
	}
	for name, tags := range byPlugin {
		slices.SortFunc(tags, func(a, b *TagReport) int { return strings.Compare(a.Tag, b.Tag) })
		rr.Plugins = append(rr.Plugins, PluginReport{Name: name, Tags: tags})
	}
	slices.SortFunc(rr.Plugins, func(a, b PluginReport) int { return cmp.Compare(a.Name, b.Name) })
	rr.tags = nil
}
