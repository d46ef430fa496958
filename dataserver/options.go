package dataserver

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// Options configures a Server. The zero Options loads once and keeps
// TensorBoard's default number of points per time series.
type Options struct {
	// Reload is the pause between the end of one load cycle and the start
	// of the next, in which new runs, new files and appended records are
	// picked up and deleted runs dropped. Zero or negative loads once.
	// With ReloadAlways set, cycles follow each other with no pause.
	Reload       time.Duration
	ReloadAlways bool

	// Samples overrides, per plugin name, how many points a time series
	// keeps: a count, or Unbounded. Plugins not listed keep the default of
	// their data class: 1000 scalars, 100 tensors, 10 blob sequences.
	Samples map[string]int

	// Checksum makes damage end the reading of an event file for the life
	// of the server, as TensorBoard's data server treats a record whose
	// checksum fails under --checksum. Without it, damaged records are
	// skipped and the file read on. Every record's checksums are verified
	// either way.
	Checksum bool

	// Logger receives what the server does: damage and load cycles at
	// Warn and Info, each run's load at Debug. Nil discards it.
	Logger *slog.Logger
}

// Default capacities by data class, as TensorBoard's data server keeps.
const (
	DefaultScalars       = 1000
	DefaultTensors       = 100
	DefaultBlobSequences = 10
)

// capacity returns how many points a series of this metadata keeps.
func (o *Options) capacity(md *tbpb.SummaryMetadata) int {
	var c int
	switch md.GetDataClass() {
	case tbpb.DataClass_DATA_CLASS_SCALAR:
		c = DefaultScalars
	case tbpb.DataClass_DATA_CLASS_TENSOR:
		c = DefaultTensors
	case tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE:
		c = DefaultBlobSequences
	default:
		return 0
	}
	if md.GetPluginData() != nil {
		if n, ok := o.Samples[md.GetPluginData().GetPluginName()]; ok {
			c = n
		}
	}
	return c
}

// ParseSamples parses the value of --samples-per-plugin: comma-separated
// PLUGIN=N pairs, N a non-negative count or "all" for Unbounded. The empty
// string gives no overrides.
func ParseSamples(s string) (map[string]int, error) {
	m := map[string]int{}
	if s == "" {
		return m, nil
	}
	for _, kv := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("dataserver: samples %q: want PLUGIN=N or PLUGIN=all", kv)
		}
		if v == "all" {
			m[name] = Unbounded
			continue
		}
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			return nil, fmt.Errorf("dataserver: samples %q: %q is neither a count nor \"all\"", kv, v)
		}
		m[name] = int(n)
	}
	return m, nil
}
