// Package runinfo records how a run was made and what the process did while
// it ran, beside the summaries of package summary:
//
//   - RunInfo: the command line, Go and module versions, VCS revision (from
//     the build information, or from git when go run or go test built the
//     binary), host, start time and the user's configuration; written with
//     a session start it shows as a table in TensorBoard's Text dashboard
//     and as hyper-parameters in the HParams dashboard (Collect, Write).
//   - StartSampler: CPU, memory, goroutines and GC as "sys/..." scalars
//     every interval until the Writer (or the Sampler) is closed.
//   - CloseOnSignal: SIGINT and SIGTERM close the Writers before the
//     process ends, so their event files are complete.
//
// They live apart from package summary because they reach outside the
// program: a git subprocess, signal handlers, a background goroutine.
//
//	w, err := summary.NewWriter("runs/exp1", nil)
//	...
//	defer runinfo.CloseOnSignal(w)()
//	runinfo.StartSampler(w, 10*time.Second)
//	err = runinfo.Write(w, map[string]any{"lr": lr})
package runinfo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tbgo/tbgo/summary"
)

// The hyper-parameter names under which RunInfo.HParams records how a run
// was made, besides the user's configuration.
const (
	GoVersionKey = "run/go_version"
	HostKey      = "run/host"
	VersionKey   = "run/version"
	RevisionKey  = "run/revision"
	ModifiedKey  = "run/modified"
)

// gitTimeout bounds the git commands of the VCS fallback.
const gitTimeout = 10 * time.Second

// A Module is a Go module the program was built from.
type Module struct {
	Path    string
	Version string
	// Replace is the module's replacement, "path version" (or "path" for
	// a directory), empty if it was not replaced.
	Replace string
}

// String returns "path version", with " => replacement" if replaced.
func (m Module) String() string {
	s := strings.TrimSpace(m.Path + " " + m.Version)
	if m.Replace != "" {
		s += " => " + m.Replace
	}
	return s
}

// RunInfo records how a run was made, so that runs can be told apart and
// compared: written with a session start (summary.SessionOptions.RunInfo,
// or Write), it shows as a Markdown table under summary.RunInfoTag in the
// Text dashboard and as hyper-parameters in the HParams dashboard. It is a
// summary.RunDescription.
type RunInfo struct {
	// Command is the command line, os.Args, except that a temporary
	// binary of go run or go test is named by its package path (such as
	// example.com/train) instead of its path in a build directory that
	// no longer exists.
	Command []string
	// GoVersion is the Go version the program was built with.
	GoVersion string
	// Main is the main module; Deps are the modules it depends on.
	Main Module
	Deps []Module

	// VCS names the version control system of the source ("git"),
	// Revision is the revision built, RevisionTime its commit time and
	// Modified whether the checkout had uncommitted changes (untracked
	// files included). They are empty when unknown.
	VCS          string
	Revision     string
	RevisionTime time.Time
	Modified     bool
	// VCSSource says where the VCS fields come from: "build info" (go
	// build stamps them into binaries built inside a checkout), "git
	// in <dir>" (git asked in the working directory, for binaries built by
	// go run or go test, which are not stamped) or empty.
	VCSSource string

	// Host is the host name.
	Host string
	// Start is when the run information was collected.
	Start time.Time
	// Config is the user's configuration: string keys, nested maps
	// flattened into dotted keys ("optimizer.lr"), strings, booleans and
	// numbers kept as they are, nil left out, other values (slices,
	// structs) written as JSON strings.
	Config map[string]any
}

// Collect collects the run information of this process: the command line,
// the Go version and modules from debug.ReadBuildInfo, the VCS revision,
// its time and whether the checkout was modified from the build
// information's vcs settings or, when the binary lacks them, from git in
// the working directory (no git, or no repository, leaves them empty), the
// host name, the current time and config. It returns an error for a
// config that cannot be recorded (see RunInfo.Config).
func Collect(config map[string]any) (*RunInfo, error) {
	if _, err := flattenConfig(config); err != nil {
		return nil, err
	}
	bi, _ := debug.ReadBuildInfo()
	info := runInfoFromBuild(bi)
	if info.Revision == "" {
		if dir, err := os.Getwd(); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), gitTimeout)
			defer cancel()
			// Without git or a repository the fields stay empty.
			_ = info.gitFallback(ctx, dir)
		}
	}
	info.Command = slices.Clone(os.Args)
	if len(info.Command) > 0 {
		info.Command[0] = programName(info.Command[0], bi)
	}
	info.Host, _ = os.Hostname()
	info.Start = time.Now()
	info.Config = config
	return info, nil
}

// runInfoFromBuild fills what the build information knows.
func runInfoFromBuild(bi *debug.BuildInfo) *RunInfo {
	info := &RunInfo{GoVersion: runtime.Version()}
	if bi == nil {
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	info.Main = moduleOf(&bi.Main)
	for _, d := range bi.Deps {
		info.Deps = append(info.Deps, moduleOf(d))
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			info.VCS = s.Value
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.RevisionTime, _ = time.Parse(time.RFC3339Nano, s.Value)
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	if info.Revision != "" {
		info.VCSSource = "build info"
	}
	return info
}

// programName returns how Command names a program started as arg0: arg0
// itself, unless it is a temporary binary that go run or go test built
// (somewhere below the go command's work directory, "go-build" and
// digits), which is named by the package path of its main package instead.
// A go run of files rather than a package has no such path; its binary's
// name is kept.
func programName(arg0 string, bi *debug.BuildInfo) string {
	if bi == nil || bi.Path == "" || bi.Path == "command-line-arguments" {
		return arg0
	}
	for dir := filepath.Dir(arg0); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		digits, ok := strings.CutPrefix(filepath.Base(dir), "go-build")
		if ok && digits != "" && strings.Trim(digits, "0123456789") == "" {
			return bi.Path
		}
	}
	return arg0
}

func moduleOf(m *debug.Module) Module {
	mod := Module{Path: m.Path, Version: m.Version}
	if r := m.Replace; r != nil {
		mod.Replace = strings.TrimSpace(r.Path + " " + r.Version)
	}
	return mod
}

// gitFallback asks git for the revision checked out in dir, its commit time
// and whether the checkout has uncommitted changes, as go build's
// vcs.modified does (git status --porcelain prints anything).
func (r *RunInfo) gitFallback(ctx context.Context, dir string) error {
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
		}
		return out, nil
	}
	out, err := git("log", "-1", "--format=%H %cI")
	if err != nil {
		return err
	}
	rev, when, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok || rev == "" {
		return fmt.Errorf("git log: unexpected output %q", out)
	}
	status, err := git("status", "--porcelain")
	if err != nil {
		return err
	}
	r.VCS, r.Revision, r.Modified = "git", rev, len(bytes.TrimSpace(status)) > 0
	r.RevisionTime, _ = time.Parse(time.RFC3339, when)
	r.VCSSource = "git in " + dir
	return nil
}

// HParams returns the run information as hyper-parameter values: the
// flattened Config, GoVersionKey, HostKey and VersionKey (the main
// module's version) when known, and RevisionKey and ModifiedKey when the
// revision is known. It returns an error for a Config that
// cannot be recorded or that uses one of the run/ keys.
func (r *RunInfo) HParams() (map[string]any, error) {
	m, err := flattenConfig(r.Config)
	if err != nil {
		return nil, err
	}
	add := func(k string, v any) error {
		if _, ok := m[k]; ok {
			return fmt.Errorf("runinfo: config key %q is reserved for the run information", k)
		}
		m[k] = v
		return nil
	}
	var errs []error
	for _, kv := range []struct{ k, v string }{
		{GoVersionKey, r.GoVersion}, {HostKey, r.Host}, {VersionKey, r.Main.Version}, {RevisionKey, r.Revision},
	} {
		if kv.v != "" {
			errs = append(errs, add(kv.k, kv.v))
		}
	}
	if r.Revision != "" {
		errs = append(errs, add(ModifiedKey, r.Modified))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// ExperimentHParams declares the run/ hyper-parameters of RunInfo.HParams,
// to add to a summary.Experiment's HParams so that the HParams dashboard
// shows them (the configuration's keys are the user's to declare).
func ExperimentHParams() []summary.HParam {
	return []summary.HParam{
		{Name: RevisionKey, DisplayName: "revision", Description: "VCS revision of the program.", Domain: summary.AnyOf(summary.HParamString)},
		{Name: ModifiedKey, DisplayName: "modified", Description: "Whether the checkout had uncommitted changes.", Domain: summary.AnyOf(summary.HParamBool)},
		{Name: VersionKey, DisplayName: "version", Description: "Version of the main module.", Domain: summary.AnyOf(summary.HParamString)},
		{Name: GoVersionKey, DisplayName: "Go version", Domain: summary.AnyOf(summary.HParamString)},
		{Name: HostKey, DisplayName: "host", Domain: summary.AnyOf(summary.HParamString)},
	}
}

// Markdown returns the run information as Markdown tables: the run's facts,
// then the configuration and the dependencies when there are any.
func (r *RunInfo) Markdown() string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", mdEscape(k), v) }
	b.WriteString("| run | |\n|:--|:--|\n")
	row("command", mdCode(shellJoin(r.Command)))
	row("Go version", mdEscape(r.GoVersion))
	if r.Main.Path != "" {
		row("module", mdEscape(r.Main.String()))
	}
	if r.Revision != "" {
		rev := mdCode(r.Revision)
		if r.Modified {
			rev += " (modified)"
		}
		if !r.RevisionTime.IsZero() {
			rev += ", committed " + r.RevisionTime.UTC().Format(time.RFC3339)
		}
		if r.VCSSource != "" {
			rev += ", from " + mdEscape(r.VCSSource)
		}
		row(strings.TrimSpace(r.VCS+" revision"), rev)
	}
	if r.Host != "" {
		row("host", mdEscape(r.Host))
	}
	if !r.Start.IsZero() {
		row("start", r.Start.UTC().Format(time.RFC3339))
	}
	if cfg, err := flattenConfig(r.Config); err == nil && len(cfg) > 0 {
		b.WriteString("\n| config | value |\n|:--|:--|\n")
		for _, k := range slices.Sorted(maps.Keys(cfg)) {
			row(k, mdEscape(fmt.Sprint(cfg[k])))
		}
	}
	if len(r.Deps) > 0 {
		b.WriteString("\n| dependency | version |\n|:--|:--|\n")
		for _, d := range r.Deps {
			v := d.Version
			if d.Replace != "" {
				v += " => " + d.Replace
			}
			row(d.Path, mdEscape(v))
		}
	}
	return b.String()
}

// Write collects the run information of this process with config
// (Collect) and starts w's session with it and no other hyper-parameters.
// TensorBoard reads only a run's first session start, so for a run that
// also has hyper-parameters pass the run information to StartSession in
// summary.SessionOptions.RunInfo instead.
func Write(w *summary.Writer, config map[string]any) error {
	info, err := Collect(config)
	if err != nil {
		return err
	}
	return w.StartSession(nil, &summary.SessionOptions{RunInfo: info})
}

// flattenConfig flattens nested maps with string keys into dotted keys and
// turns values into what RunInfo.Config says.
func flattenConfig(config map[string]any) (map[string]any, error) {
	out := map[string]any{}
	var walk func(prefix string, m reflect.Value) error
	walk = func(prefix string, m reflect.Value) error {
		keys := m.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			name := k.String()
			if name == "" {
				return fmt.Errorf("runinfo: config: empty key in %q", strings.TrimSuffix(prefix, "."))
			}
			name = prefix + name
			v := m.MapIndex(k)
			for v.Kind() == reflect.Interface && !v.IsNil() {
				v = v.Elem()
			}
			switch {
			case v.Kind() == reflect.Interface || (v.Kind() == reflect.Map || v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice) && v.IsNil():
				continue
			case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
				if err := walk(name+".", v); err != nil {
					return err
				}
				continue
			}
			if _, ok := out[name]; ok {
				return fmt.Errorf("runinfo: config: key %q appears twice once flattened", name)
			}
			x := v.Interface()
			if isScalarKind(v.Kind()) {
				if _, err := summary.HParamTypeOf(x); err != nil {
					return fmt.Errorf("runinfo: config %q: %w", name, err)
				}
				out[name] = x
				continue
			}
			js, err := json.Marshal(x)
			if err != nil {
				return fmt.Errorf("runinfo: config %q: %w", name, err)
			}
			out[name] = string(js)
		}
		return nil
	}
	if err := walk("", reflect.ValueOf(config)); err != nil {
		return nil, err
	}
	return out, nil
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// mdEscape escapes the characters that Markdown (and a table cell) would
// read as markup.
func mdEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', '`', '*', '_', '[', ']', '|', '#':
			b.WriteByte('\\')
		case '\n', '\r':
			c = ' '
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCode returns s as a code span, or escaped when it holds characters a
// code span in a table cell cannot.
func mdCode(s string) string {
	if s == "" || strings.ContainsAny(s, "`|\n\r") {
		return mdEscape(s)
	}
	return "`" + s + "`"
}

// shellJoin joins a command line, quoting the arguments a shell would
// split or expand.
func shellJoin(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == '/' || r == '=' || r == ':' || r == ',' || r == '+' || r == '@' ||
				'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) < 0 {
			parts[i] = a
		} else {
			parts[i] = strconv.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}
