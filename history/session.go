package history

import (
	"encoding/json"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/summary"
)

// A Session is what the HParams dashboard knows of a run: the
// hyper-parameters its session start recorded and how it ended. Feed it a
// run's values in order with Add.
//
// TensorBoard reads both from the metadata of the first value of each tag
// in a run, which neither of its loaders ever replaces: in a run directory
// re-used by a second program (two event files, two sessions), the
// dashboard shows the first session's start and the first end. Add keeps
// the first of each too, whatever View the values were read with.
type Session struct {
	// Started reports that the run has a session start; the fields
	// below it are the first one's.
	Started bool
	// HParams are the hyper-parameter values by name: a string, a bool or
	// a float64 (every number). A value of another kind (which
	// TensorBoard's writers do not write) is kept as its JSON text.
	HParams map[string]any
	// Group names the session group, empty if none was given.
	Group                string
	ModelURI, MonitorURL string
	// StartTime is the session's start in seconds since the Unix epoch.
	StartTime float64

	// Ended reports that the run has a session end; Status and EndTime
	// are the first one's. Without one TensorBoard shows the status
	// STATUS_UNKNOWN, which is Status's zero value.
	Ended   bool
	Status  summary.Status
	EndTime float64
}

// Add takes in v if it is a session start or end (tag
// summary.SessionStartTag or summary.SessionEndTag of the hparams plugin)
// and reports whether it was. A malformed one is an error wrapping
// summary.ErrMalformed.
func (s *Session) Add(v *summary.Value) (bool, error) {
	if v.Plugin != summary.PluginHParams || v.Tag != summary.SessionStartTag && v.Tag != summary.SessionEndTag {
		return false, nil
	}
	var pd hparamspb.HParamsPluginData
	if err := proto.Unmarshal(v.Content, &pd); err != nil {
		return true, fmt.Errorf("%w: %q at step %d: hparams plugin data does not decode: %v", summary.ErrMalformed, v.Tag, v.Step, err)
	}
	switch v.Tag {
	case summary.SessionStartTag:
		start := pd.GetSessionStartInfo()
		if start == nil {
			return true, fmt.Errorf("%w: %q at step %d holds no session start", summary.ErrMalformed, v.Tag, v.Step)
		}
		if s.Started {
			return true, nil
		}
		s.Started = true
		s.HParams = make(map[string]any, len(start.GetHparams()))
		for k, x := range start.GetHparams() {
			s.HParams[k] = hparamValue(x)
		}
		s.Group, s.ModelURI, s.MonitorURL = start.GetGroupName(), start.GetModelUri(), start.GetMonitorUrl()
		s.StartTime = start.GetStartTimeSecs()
	case summary.SessionEndTag:
		end := pd.GetSessionEndInfo()
		if end == nil {
			return true, fmt.Errorf("%w: %q at step %d holds no session end", summary.ErrMalformed, v.Tag, v.Step)
		}
		if s.Ended {
			return true, nil
		}
		s.Ended = true
		s.Status = summary.Status(end.GetStatus())
		s.EndTime = end.GetEndTimeSecs()
	}
	return true, nil
}

// Names returns the names of the hyper-parameters in order.
func (s *Session) Names() []string {
	names := make([]string, 0, len(s.HParams))
	for k := range s.HParams {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// hparamValue returns a hyper-parameter value as a Go value.
func hparamValue(v *structpb.Value) any {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NumberValue:
		return k.NumberValue
	case *structpb.Value_StringValue:
		return k.StringValue
	case *structpb.Value_BoolValue:
		return k.BoolValue
	}
	b, err := json.Marshal(v.AsInterface())
	if err != nil {
		return fmt.Sprint(v.AsInterface())
	}
	return string(b)
}
