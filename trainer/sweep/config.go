package sweep

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tbgo/tbgo/trainer/internal/yamltext"
	"github.com/tbgo/tbgo/trainer/job"
)

// The kinds of parameters.
const (
	LogUniform = "log_uniform" // low·(high/low)^u, u uniform in [0, 1]: uniform in log space
	Uniform    = "uniform"     // uniform in [low, high]
	IntUniform = "int_uniform" // an integer uniform in [low, high], both included
	Choice     = "choice"      // one of values, each equally likely
)

// The search methods.
const (
	Random = "random" // Config.Trials draws per stage
	Grid   = "grid"   // every combination of the parameters' grid points
)

// ErrConfig is wrapped by every error about a sweep configuration.
var ErrConfig = errors.New("bad sweep configuration")

// A Param is one dimension of the search space: a knob of the run
// configuration, by its dotted key, and the values it takes.
type Param struct {
	// Key is the knob's dotted key in the run configuration, such as
	// "schedule.lr" (see job.Knobs and tbgo train -h).
	Key string
	// Type is LogUniform, Uniform, IntUniform or Choice.
	Type string
	// Low and High bound a numeric parameter, Low < High (and Low > 0
	// for LogUniform; integers for IntUniform).
	Low, High float64
	// Values are a Choice's values, each one line of YAML text as the
	// run configuration reads it ("adam", "[64, 64]", "0.5").
	Values []string
	// Points is the number of grid points of a numeric parameter in a
	// grid search (default 3): evenly spaced in log space for LogUniform,
	// linearly otherwise, rounded (and deduplicated) for IntUniform.
	Points int

	line    int // the key's line in the file, 0 if unknown
	lowLine int // the line of its low, where fill reports a bad range
}

// numeric reports whether p is a range rather than a choice.
func (p *Param) numeric() bool { return p.Type != Choice }

// A Config describes a sweep. Its YAML form:
//
//	name: lr-search        # the sweep's directory is <logdir>/<name> (default: the file's name)
//	logdir: runs           # default: the base configuration's logdir
//	base: base.yaml        # a run configuration (tbgo train's format), relative to this file;
//	                       # default: tbgo train's default run
//	set:                   # knobs set in every trial, over the base
//	  epochs: 10
//	method: random         # random (default) or grid
//	trials: 20             # random: trials per stage (default 10)
//	seed: 1                # seed of the random search (default 1)
//	stages: 2              # coarse-to-fine: stages after the first narrow the ranges (default 1)
//	top: 3                 # the best trials that narrow the next stage (default a quarter of a stage, at least 1)
//	metric: accuracy/val   # the scalar tag that ranks the trials (default accuracy/val)
//	goal: max              # max or min (default max for a tag containing "accuracy", min otherwise)
//	parallel: 2            # trials at once (default: the number of CPUs)
//	params:                # the search space, in order
//	  schedule.lr:    {type: log_uniform, low: 1e-4, high: 1e-1}
//	  model.dropout:  {type: uniform, low: 0, high: 0.5, points: 3}
//	  batch_size:     {type: int_uniform, low: 16, high: 128}
//	  optimizer.name: {type: choice, values: [adam, sgd]}
//
// Parse refuses unknown keys and impossible values with the line and the
// field; Load also checks every key of set and params against the run
// configuration's knobs.
type Config struct {
	// Name names the sweep's directory, <Logdir>/<Name>; Logdir defaults
	// to the base run configuration's.
	Name   string
	Logdir string
	// Base is the base run configuration's file, relative to the sweep
	// file; empty means tbgo train's default run. Set are knobs set over
	// it in every trial.
	Base string
	Set  []Setting
	// Method is Random or Grid; Trials the number of random draws per
	// stage; Seed seeds them.
	Method string
	Trials int
	Seed   uint64
	// Stages is the number of coarse-to-fine stages, Top the number of
	// best trials that narrow the next stage's ranges (0: a quarter of a
	// stage, at least 1).
	Stages int
	Top    int
	// Metric is the scalar tag ranking the trials, Goal "max" or "min".
	Metric string
	Goal   string
	// Parallel is the number of trials trained at once; 0 means the
	// number of CPUs.
	Parallel int
	// Params is the search space, in order.
	Params []Param

	// file is the name Parse was given; baseName the base file's path
	// (Base resolved against file), once Resolve succeeded.
	file     string
	resolved bool
	baseName string
	free     bool // the parameters are a TrainFunc's, not knobs (Run)
}

// A Setting is a knob set in every trial: a dotted key and one line of
// YAML text.
type Setting struct {
	Key, Value string
	line       int
}

// errorf returns an error about field at line.
func (c *Config) errorf(line int, field, format string, args ...any) error {
	where := ""
	switch {
	case c.file != "" && line > 0:
		where = fmt.Sprintf("%s:%d: ", c.file, line)
	case c.file != "":
		where = c.file + ": "
	case line > 0:
		where = fmt.Sprintf("line %d: ", line)
	}
	if field != "" {
		field += ": "
	}
	return fmt.Errorf("sweep: %s%s%s (%w)", where, field, fmt.Sprintf(format, args...), ErrConfig)
}

// topKeys are the keys of a sweep configuration, in documentation order.
var topKeys = []string{"name", "logdir", "base", "set", "method", "trials", "seed", "stages", "top", "metric", "goal", "parallel", "params"}

// paramKeys are the keys of a parameter.
var paramKeys = []string{"type", "low", "high", "values", "points"}

// Parse reads a sweep configuration from YAML text, named name in errors
// (a file name or ""), fills in the defaults and checks it: unknown or
// duplicate keys, values of the wrong type, an unknown method, goal or
// parameter type, a range whose low is not below its high, a log-uniform
// bound that is not positive, an integer range with fractional bounds, an
// empty choice, fewer than 2 grid points, no parameters. Every error names
// the line and the field and wraps ErrConfig. Parse reads no file: Load
// resolves the base run configuration and the knob keys.
func Parse(b []byte, name string) (*Config, error) {
	c := &Config{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := yamltext.Syntax(err)
		return nil, c.errorf(line, "", "%s", msg)
	}
	if len(doc.Content) == 0 {
		return nil, c.errorf(0, "", "empty: a sweep needs params")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, c.errorf(root.Line, "", "a sweep configuration is a mapping of keys to values")
	}
	lines := map[string]int{}
	var paramsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !slices.Contains(topKeys, k.Value) {
			return nil, c.errorf(k.Line, "", "unknown key %q (known: %s)", k.Value, strings.Join(topKeys, ", "))
		}
		if lines[k.Value] > 0 {
			return nil, c.errorf(k.Line, k.Value, "given twice")
		}
		lines[k.Value] = k.Line
		var err error
		switch k.Value {
		case "name":
			c.Name, err = c.str(v, k.Value)
		case "logdir":
			c.Logdir, err = c.str(v, k.Value)
		case "base":
			c.Base, err = c.str(v, k.Value)
		case "method":
			c.Method, err = c.str(v, k.Value)
		case "metric":
			c.Metric, err = c.str(v, k.Value)
		case "goal":
			c.Goal, err = c.str(v, k.Value)
		case "trials":
			c.Trials, err = c.integer(v, k.Value, 1)
		case "stages":
			c.Stages, err = c.integer(v, k.Value, 1)
		case "top":
			c.Top, err = c.integer(v, k.Value, 1)
		case "parallel":
			c.Parallel, err = c.integer(v, k.Value, 1)
		case "seed":
			var n int
			n, err = c.integer(v, k.Value, 0)
			c.Seed = uint64(n)
		case "set":
			c.Set, err = c.settings(v)
		case "params":
			paramsNode = v
			c.Params, err = c.params(v)
		}
		if err != nil {
			return nil, err
		}
	}
	if paramsNode == nil || len(c.Params) == 0 {
		line := root.Line
		if paramsNode != nil {
			line = paramsNode.Line
		}
		return nil, c.errorf(line, "params", "no parameters to search")
	}
	if err := c.fill(lines); err != nil {
		return nil, err
	}
	return c, nil
}

// defaults fills in the defaults and checks the top-level values; lines
// has the line of each top-level key.
func (c *Config) defaults(lines map[string]int) error {
	if c.Name == "" && c.file != "" {
		c.Name = strings.TrimSuffix(filepath.Base(c.file), filepath.Ext(c.file))
	}
	if c.Name == "" {
		c.Name = "sweep"
	}
	if strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		return c.errorf(lines["name"], "name", "%q is not a directory name", c.Name)
	}
	if c.Method == "" {
		c.Method = Random
	}
	if c.Method != Random && c.Method != Grid {
		return c.errorf(lines["method"], "method", "%q is not random or grid", c.Method)
	}
	if c.Trials == 0 {
		c.Trials = 10
	}
	if c.Stages == 0 {
		c.Stages = 1
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Metric == "" {
		c.Metric = "accuracy/val"
	}
	if c.Goal == "" {
		c.Goal = "min"
		if strings.Contains(c.Metric, "accuracy") {
			c.Goal = "max"
		}
	}
	if c.Goal != "max" && c.Goal != "min" {
		return c.errorf(lines["goal"], "goal", "%q is not max or min", c.Goal)
	}
	return nil
}

// fill fills in the defaults and checks the values, for Parse and for a
// Config built in Go; lines has the line of each top-level key (empty for
// a Config built in Go).
func (c *Config) fill(lines map[string]int) error {
	if err := c.defaults(lines); err != nil {
		return err
	}
	if len(c.Params) == 0 {
		return c.errorf(0, "params", "no parameters to search")
	}
	for i := range c.Params {
		p := &c.Params[i]
		field := "params." + p.Key
		switch {
		case p.Key == "":
			return c.errorf(0, "params", "a parameter without a key")
		case p.Type == Choice && len(p.Values) == 0:
			return c.errorf(p.line, field+".values", "a choice needs a non-empty list of values")
		case p.Type == Choice:
		case p.Type != LogUniform && p.Type != Uniform && p.Type != IntUniform:
			return c.errorf(p.line, field+".type", "%q is not one of %s, %s, %s, %s", p.Type, LogUniform, Uniform, IntUniform, Choice)
		case !(p.Low < p.High) || math.IsInf(p.Low, 0) || math.IsInf(p.High, 0):
			return c.errorf(p.lowLine, field+".low", "%v is not below high %v", p.Low, p.High)
		case p.Type == LogUniform && p.Low <= 0:
			return c.errorf(p.lowLine, field+".low", "%v: a log-uniform range needs positive bounds", p.Low)
		case p.Type == IntUniform && (p.Low != math.Trunc(p.Low) || p.High != math.Trunc(p.High)):
			return c.errorf(p.line, field, "[%v, %v] is not an integer range", p.Low, p.High)
		case p.Points == 0:
			p.Points = 3
		case p.Points < 2:
			return c.errorf(p.line, field+".points", "%d, want at least 2", p.Points)
		}
	}
	return nil
}

// parallelism returns the number of trials to run at once: override if
// positive, else the configuration's, else the number of CPUs.
func (c *Config) parallelism(override int) int {
	switch {
	case override > 0:
		return override
	case c.Parallel > 0:
		return c.Parallel
	}
	return runtime.NumCPU()
}

// str decodes a scalar string.
func (c *Config) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", c.errorf(n.Line, field, "want a string")
	}
	return n.Value, nil
}

// integer decodes an integer of at least lo.
func (c *Config) integer(n *yaml.Node, field string, lo int) (int, error) {
	var v int
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return 0, c.errorf(n.Line, field, "want an integer, not %q", n.Value)
	}
	if v < lo {
		return 0, c.errorf(n.Line, field, "%d, want at least %d", v, lo)
	}
	return v, nil
}

// number decodes a finite number.
func (c *Config) number(n *yaml.Node, field string) (float64, error) {
	var v float64
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return 0, c.errorf(n.Line, field, "want a number, not %q", n.Value)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, c.errorf(n.Line, field, "want a finite number, not %v", v)
	}
	return v, nil
}

// text returns n as one line of YAML, as the run configuration's Set
// reads it: a scalar as it is written, anything else in flow style.
func text(n *yaml.Node) (string, error) { return yamltext.OneLine(n) }

// key checks a knob key's form.
func (c *Config) key(k *yaml.Node, field string) error {
	if k.Kind != yaml.ScalarNode || k.Value == "" {
		return c.errorf(k.Line, field, "a key must be a knob's dotted name, such as schedule.lr")
	}
	for _, part := range strings.Split(k.Value, ".") {
		if part == "" || strings.ContainsAny(part, " \t\n") {
			return c.errorf(k.Line, field, "%q is not a knob's dotted name, such as schedule.lr", k.Value)
		}
	}
	return nil
}

func (c *Config) settings(n *yaml.Node) ([]Setting, error) {
	if n.Kind != yaml.MappingNode {
		return nil, c.errorf(n.Line, "set", "want a mapping of knobs to values, such as {epochs: 10}")
	}
	var out []Setting
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := c.key(k, "set"); err != nil {
			return nil, err
		}
		for _, s := range out {
			if s.Key == k.Value {
				return nil, c.errorf(k.Line, "set."+k.Value, "given twice")
			}
		}
		t, err := text(v)
		if err != nil {
			return nil, c.errorf(v.Line, "set."+k.Value, "%v", err)
		}
		out = append(out, Setting{Key: k.Value, Value: t, line: k.Line})
	}
	return out, nil
}

func (c *Config) params(n *yaml.Node) ([]Param, error) {
	if n.Kind != yaml.MappingNode {
		return nil, c.errorf(n.Line, "params", "want a mapping of knobs to ranges, such as {schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}}")
	}
	var out []Param
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := c.key(k, "params"); err != nil {
			return nil, err
		}
		field := "params." + k.Value
		for _, p := range out {
			if p.Key == k.Value {
				return nil, c.errorf(k.Line, field, "given twice")
			}
		}
		p, err := c.param(k, v, field)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (c *Config) param(k, v *yaml.Node, field string) (Param, error) {
	p := Param{Key: k.Value, line: k.Line}
	if v.Kind != yaml.MappingNode {
		return p, c.errorf(v.Line, field, "want a mapping such as {type: log_uniform, low: 1e-4, high: 0.1}")
	}
	got := map[string]*yaml.Node{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		kk, vv := v.Content[i], v.Content[i+1]
		if !slices.Contains(paramKeys, kk.Value) {
			return p, c.errorf(kk.Line, field, "unknown key %q (known: %s)", kk.Value, strings.Join(paramKeys, ", "))
		}
		if got[kk.Value] != nil {
			return p, c.errorf(kk.Line, field+"."+kk.Value, "given twice")
		}
		got[kk.Value] = vv
	}
	t := got["type"]
	if t == nil {
		return p, c.errorf(v.Line, field+".type", "missing (one of %s, %s, %s, %s)", LogUniform, Uniform, IntUniform, Choice)
	}
	p.Type = t.Value
	var err error
	switch p.Type {
	case LogUniform, Uniform, IntUniform:
		if got["values"] != nil {
			return p, c.errorf(got["values"].Line, field+".values", "applies to type choice only, not %s", p.Type)
		}
		for _, b := range []struct {
			name string
			dst  *float64
		}{{"low", &p.Low}, {"high", &p.High}} {
			n := got[b.name]
			if n == nil {
				return p, c.errorf(v.Line, field+"."+b.name, "missing: a %s range needs low and high", p.Type)
			}
			if *b.dst, err = c.number(n, field+"."+b.name); err != nil {
				return p, err
			}
			if p.Type == IntUniform && (*b.dst != math.Trunc(*b.dst) || math.Abs(*b.dst) > 1<<53) {
				return p, c.errorf(n.Line, field+"."+b.name, "%v is not an integer", *b.dst)
			}
		}
		if n := got["points"]; n != nil {
			if p.Points, err = c.integer(n, field+".points", 2); err != nil {
				return p, err
			}
		}
		p.lowLine = got["low"].Line
	case Choice:
		for _, name := range []string{"low", "high", "points"} {
			if n := got[name]; n != nil {
				return p, c.errorf(n.Line, field+"."+name, "applies to numeric ranges, not choice")
			}
		}
		vals := got["values"]
		if vals == nil || vals.Kind != yaml.SequenceNode || len(vals.Content) == 0 {
			line := v.Line
			if vals != nil {
				line = vals.Line
			}
			return p, c.errorf(line, field+".values", "a choice needs a non-empty list of values")
		}
		for _, e := range vals.Content {
			s, err := text(e)
			if err != nil {
				return p, c.errorf(e.Line, field+".values", "%v", err)
			}
			if slices.Contains(p.Values, s) {
				return p, c.errorf(e.Line, field+".values", "%q given twice", s)
			}
			p.Values = append(p.Values, s)
		}
	default:
		return p, c.errorf(t.Line, field+".type", "%q is not one of %s, %s, %s, %s", p.Type, LogUniform, Uniform, IntUniform, Choice)
	}
	return p, nil
}

// YAML returns c as a YAML document that Parse reads back to c (with its
// defaults filled in).
func (c *Config) YAML() ([]byte, error) {
	str := quoted
	num := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
	f := func(v float64) *yaml.Node { return num(strconv.FormatFloat(v, 'g', -1, 64)) }
	i := func(v int) *yaml.Node { return num(strconv.Itoa(v)) }
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }
	add(root, "name", str(c.Name))
	if c.Logdir != "" {
		add(root, "logdir", str(c.Logdir))
	}
	if c.Base != "" {
		add(root, "base", str(c.Base))
	}
	if len(c.Set) > 0 {
		set := &yaml.Node{Kind: yaml.MappingNode}
		for _, s := range c.Set {
			add(set, s.Key, valueNode(s.Value))
		}
		add(root, "set", set)
	}
	add(root, "method", str(c.Method))
	add(root, "trials", i(c.Trials))
	add(root, "seed", num(strconv.FormatUint(c.Seed, 10)))
	add(root, "stages", i(c.Stages))
	if c.Top > 0 {
		add(root, "top", i(c.Top))
	}
	add(root, "metric", str(c.Metric))
	add(root, "goal", str(c.Goal))
	if c.Parallel > 0 {
		add(root, "parallel", i(c.Parallel))
	}
	params := &yaml.Node{Kind: yaml.MappingNode}
	for _, p := range c.Params {
		m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		add(m, "type", str(p.Type))
		if p.numeric() {
			add(m, "low", f(p.Low))
			add(m, "high", f(p.High))
			add(m, "points", i(p.Points))
		} else {
			vals := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, s := range p.Values {
				vals.Content = append(vals.Content, valueNode(s))
			}
			add(m, "values", vals)
		}
		add(params, p.Key, m)
	}
	add(root, "params", params)
	return yaml.Marshal(root)
}

// valueNode returns the node that writes a knob's value s (a choice's
// value, a fixed setting) so that Parse reads back the same text: the YAML
// s holds ("[64, 64]" as a list) when that gives s again, else s as a
// string. Some texts read as something else: "0000:", a string in a flow
// list, is a mapping on a line of its own.
func valueNode(s string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err == nil && len(doc.Content) > 0 {
		if t, err := text(doc.Content[0]); err == nil && t == s {
			return doc.Content[0]
		}
	}
	return quoted(s)
}

// quoted returns s as a double-quoted YAML string.
func quoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Style: yaml.DoubleQuotedStyle}
}

// Load reads the sweep configuration file path (Parse) and resolves it
// (Resolve).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	c, err := Parse(b, path)
	if err != nil {
		return nil, err
	}
	if err := c.Resolve(); err != nil {
		return nil, err
	}
	return c, nil
}

// Resolve loads the base run configuration (Base, relative to the sweep
// file's directory; tbgo train's default run if empty), applies Set, and
// checks every parameter against the run configuration before anything
// trains: the key must be a knob, a numeric range must be on a numeric
// knob (an int_uniform range, or a choice, on an integer knob), and every
// choice and both bounds of every range must make a valid run
// configuration. Errors name the sweep file, the line and the parameter.
func (c *Config) Resolve() error {
	c.baseName = c.Base
	if c.Base != "" && c.file != "" && !filepath.IsAbs(c.Base) {
		c.baseName = filepath.Join(filepath.Dir(c.file), c.Base)
	}
	kinds := map[string]string{}
	for _, k := range job.Knobs() {
		kinds[k.Key] = k.Kind
	}
	for _, s := range c.Set {
		if _, ok := kinds[s.Key]; !ok {
			return c.errorf(s.line, "set."+s.Key, "not a knob of the run configuration (see tbgo train -h)")
		}
	}
	base, err := c.runConfig()
	if err != nil {
		return err
	}
	if err := base.Validate(); err != nil {
		return c.errorf(0, "base", "%v", err)
	}
	if c.Logdir == "" {
		c.Logdir = base.Logdir
	}
	for i := range c.Params {
		p := &c.Params[i]
		field := "params." + p.Key
		kind, ok := kinds[p.Key]
		if !ok {
			return c.errorf(p.line, field, "not a knob of the run configuration (see tbgo train -h)")
		}
		switch {
		case p.Key == "dir" || p.Key == "name" || p.Key == "logdir":
			return c.errorf(p.line, field, "the sweep sets each trial's directory and name")
		case p.Type == IntUniform && kind != "int" && kind != "float":
			return c.errorf(p.line, field, "int_uniform needs a numeric knob; %s is a %s", p.Key, kind)
		case (p.Type == LogUniform || p.Type == Uniform) && kind != "float":
			hint := ""
			if kind == "int" {
				hint = " (use int_uniform or choice)"
			}
			return c.errorf(p.line, field, "%s needs a real-valued knob; %s is a %s%s", p.Type, p.Key, kind, hint)
		}
		for _, v := range p.texts() {
			if err := c.tryValue(i, v); err != nil {
				return err
			}
		}
	}
	c.resolved = true
	return nil
}

// tryValue checks value v of parameter i against the run configuration.
// Knobs depend on each other (model.init applies to a model.hidden MLP
// only), so a value is refused only if neither the base configuration
// with it alone nor the base with every other parameter at its first value
// accepts it; combinations that still cannot run fail as trials.
func (c *Config) tryValue(i int, v string) error {
	p := &c.Params[i]
	field := "params." + p.Key
	var first error
	for _, others := range []bool{false, true} {
		try, err := c.runConfig()
		if err != nil {
			return err
		}
		if others {
			for j, q := range c.Params {
				if j != i && q.Key != p.Key {
					if err := try.Set(q.Key, q.texts()[0]); err != nil {
						return c.errorf(q.line, "params."+q.Key, "%v", err)
					}
				}
			}
		}
		if err := try.Set(p.Key, v); err != nil {
			return c.errorf(p.line, field, "%v", err)
		}
		err = try.Validate()
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return c.errorf(p.line, field, "value %s: %v", v, first)
}

// runConfig returns the base run configuration with Set applied, read
// afresh from its file (job.Compose), so that no two trials share any of
// it (trials are configured and run concurrently) and errors name the
// base file's lines, or the sweep file's line of the setting at fault.
func (c *Config) runConfig() (job.Config, error) {
	settings := make([]job.Setting, len(c.Set))
	for i, s := range c.Set {
		settings[i] = job.Setting{Key: s.Key, Value: s.Value}
	}
	cfg, err := job.Compose("", c.baseName, settings)
	if err == nil {
		return cfg, nil
	}
	var ce *job.ConfigError
	if errors.As(err, &ce) && ce.File == "" {
		for _, s := range c.Set {
			if s.Key == ce.Key {
				return cfg, c.errorf(s.line, "set."+s.Key, "%s", ce.Msg)
			}
		}
	}
	return cfg, c.errorf(0, "base", "%v", err)
}

// texts returns the values of p to check: the choices, or both bounds.
func (p *Param) texts() []string {
	if !p.numeric() {
		return p.Values
	}
	return []string{strconv.FormatFloat(p.Low, 'g', -1, 64), strconv.FormatFloat(p.High, 'g', -1, 64)}
}
