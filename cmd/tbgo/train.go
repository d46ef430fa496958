package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/diag"
	"github.com/tbgo/tbgo/trainer/job"
)

// knobFlag is the flag of one knob of job.Config: it records the value
// given on the command line, to be set over the configuration file.
type knobFlag struct {
	key, def string
	bool     bool
	set      *[]job.Setting
}

func (f *knobFlag) String() string {
	if f == nil {
		return ""
	}
	return f.def
}

func (f *knobFlag) Set(v string) error {
	*f.set = append(*f.set, job.Setting{Key: f.key, Value: v})
	return nil
}

func (f *knobFlag) IsBoolFlag() bool { return f.bool }

// addKnobFlags defines a flag per knob and per short alias on fs, each
// recording its value in settings, and returns the knobs.
func addKnobFlags(fs *flag.FlagSet, settings *[]job.Setting) []job.Knob {
	knobs := job.Knobs()
	for _, k := range knobs {
		fs.Var(&knobFlag{key: k.Key, def: k.Default, bool: k.Kind == "bool", set: settings}, k.Key, k.Doc)
	}
	for _, a := range trainAliases {
		fs.Var(&knobFlag{key: a.key, set: settings}, a.name, a.doc+" (-"+a.key+")")
	}
	return knobs
}

// boolValues rewrites "-KEY true" and "-KEY false" for a boolean flag of
// fs as "-KEY=true", so that every knob takes "-KEY VALUE" as the help
// says (the flag package reads a boolean flag's value only after "=").
func boolValues(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		name := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") || strings.Contains(name, "=") || i+1 == len(args) {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			continue
		}
		if v := args[i+1]; v == "true" || v == "false" {
			out[len(out)-1] = a + "=" + v
			i++
		}
	}
	return out
}

// configError reports an error of job.Compose or job.Build: a
// configuration error as a usage error naming the flag or the file's line
// and key, anything else (a CSV with a bad cell) as a failure.
func configError(cmd string, err error) error {
	var ce *job.ConfigError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if ce.File == "" && ce.Line == 0 && ce.Key != "" {
		return fmt.Errorf("%w: %s: -%s", errUsage, cmd, ce.Detail())
	}
	return fmt.Errorf("%w: %s: %s", errUsage, cmd, ce.Detail())
}

// trainAliases are short flags for the knobs set most often.
var trainAliases = []struct{ name, key, doc string }{
	{"preset", "model.preset", "the model preset (see -list): mlp, cnn, ..."},
	{"data", "data.name", "the dataset: digits, spirals, xor, blobs, sine or csv"},
	{"csv", "data.path", "train on this CSV file (sets -data csv)"},
	{"lr", "schedule.lr", "the learning rate (the schedule's peak)"},
	{"batch", "batch_size", "samples per step"},
	{"optimizer", "optimizer.name", "sgd or adam"},
	{"schedule", "schedule.name", "constant, step, exponential, inverse_time, cosine or plateau"},
}

const trainUsage = `Usage: tbgo train [flags]

Train trains a network and logs everything TensorBoard can show about it to
<logdir>/<timestamp>-<name>/: losses and accuracies, the learning rate,
gradient norms, update/weight ratios, dead and saturated units, histograms,
first-layer filters, the confusion matrix, a batch of inputs, the graph,
hyper-parameters and run metadata. It checks the rules of docs/DIAGNOSTICS.md as
it goes and prints each alert with its suggested fix, then the command that
opens the run in TensorBoard.

With no flags it trains the mlp preset on the embedded UCI digits (about a
second, at least 97% validation accuracy). -preset cnn trains a small CNN
(at least 98%). -scenario NAME reproduces a training problem on purpose,
for learning to read TensorBoard; -list shows them. Ctrl-C stops cleanly:
the run is evaluated, flushed and its session ended.

Every knob of the configuration is a flag named by its key, such as
-schedule.lr 0.01 or -data.imbalance 20; -config FILE.yaml reads them from
a YAML file (unknown keys are errors), and flags override the file.

Flags:
`

func runTrain(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return trainMain(ctx, args, stdout, stderr)
}

// trainMain is runTrain under a context that the signals cancel.
func trainMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tbgo train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "read the configuration from this YAML `file`; flags override it")
	scenario := fs.String("scenario", "", "start from the configuration of this scenario (see -list)")
	list := fs.Bool("list", false, "list the scenarios and the model presets, one line each, and exit")
	progress := fs.String("progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, lines or quiet")
	printConfig := fs.Bool("print-config", false, "print the configuration as YAML and exit, without training")
	var settings []job.Setting
	knobs := addKnobFlags(fs, &settings)
	fs.Usage = func() { trainHelp(fs, knobs, stderr) }
	if err := parseFlags(fs, boolValues(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("%w: train takes no arguments, got %q", errUsage, fs.Args())
	}
	if *list {
		return listScenarios(stdout)
	}
	mode, err := progressMode(*progress, stdout)
	if err != nil {
		return err
	}
	cfg, err := job.Compose(*scenario, *configFile, settings)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return configError("train", err)
	}
	if *printConfig {
		b, err := cfg.YAML()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}

	res, err := (&job.Runner{Out: stdout, Progress: mode}).Run(ctx, cfg)
	if res == nil {
		return configError("train", err)
	}
	if len(res.Alerts) > 0 {
		fmt.Fprintf(stdout, "\n%d alert(s), the most specific cause first; each is a row of diag/alerts (Text tab) and a diag/flag/... scalar:\n", len(res.Alerts))
		for _, a := range diag.Ranked(res.Alerts) {
			fix := a.Fix
			if a.SupersededBy != 0 {
				fix = fmt.Sprintf("(rule %d names the likelier cause) %s", a.SupersededBy, fix)
			}
			fmt.Fprintf(stdout, "  step %d: %s — %s\n", a.Step, a.Cause(), fix)
		}
	}
	fmt.Fprintf(stdout, "\nthe run is in %s; view it with:\n  %s\n", storage.Display(res.Dir), tensorboardCommand(storage.Join(res.Dir, "..")))
	var stopped *job.StopError
	switch {
	case err != nil && res.Stop == trainer.StopCancelled:
		return fmt.Errorf("train: interrupted after %d steps; the run was saved, its session ended as failed", res.Steps)
	case errors.As(err, &stopped):
		a := stopped.Alert
		return fmt.Errorf("train: stopped at step %d by %s: %s: %s; the run was saved, its session ended as failed; fix: %s",
			a.Step, a.Cause(), a.Threshold, a.Measured(), a.Fix)
	case err != nil:
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// progressMode chooses how progress is shown.
func progressMode(s string, stdout io.Writer) (job.Progress, error) {
	switch s {
	case "bar":
		return job.Bar, nil
	case "lines":
		return job.Lines, nil
	case "quiet":
		return job.Quiet, nil
	case "auto":
		if f, ok := stdout.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				return job.Bar, nil
			}
		}
		return job.Lines, nil
	}
	return 0, fmt.Errorf("%w: -progress %q: want auto, bar, lines or quiet", errUsage, s)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// listScenarios prints the scenarios and presets, one line each.
func listScenarios(w io.Writer) error {
	fmt.Fprintln(w, "Scenarios (tbgo train -scenario NAME):")
	for _, s := range job.Scenarios() {
		rules := "healthy: no alert"
		if !s.Healthy() {
			var names []string
			for _, id := range s.Expect {
				r, _ := diag.RuleByID(id)
				names = append(names, fmt.Sprintf("%d %s", id, r.Name))
			}
			rules = "fires rule " + strings.Join(names, ", ")
		}
		fmt.Fprintf(w, "  %-20s %s [%s]\n", s.Name, s.Description, rules)
	}
	fmt.Fprintln(w, "\nModel presets (tbgo train -preset NAME):")
	for _, p := range trainer.Presets() {
		fmt.Fprintf(w, "  %-20s %s\n", p.Name, p.Description)
	}
	return nil
}

// trainHelp prints the usage: the main flags, then every knob grouped by
// section.
func trainHelp(fs *flag.FlagSet, knobs []job.Knob, w io.Writer) {
	fmt.Fprint(w, trainUsage)
	for _, name := range []string{"config", "scenario", "list", "progress", "print-config"} {
		f := fs.Lookup(name)
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  -%s %s\n    \t%s\n", name, arg, usage)
	}
	fmt.Fprintln(w, "\nShort flags:")
	for _, a := range trainAliases {
		fmt.Fprintf(w, "  -%-10s %s (-%s)\n", a.name, a.doc, a.key)
	}
	fmt.Fprintln(w, "\nKnobs (-KEY VALUE; the same keys in the YAML file, nested at the dots):")
	section := "-"
	for _, k := range knobs {
		s, _, ok := strings.Cut(k.Key, ".")
		if !ok {
			s = "run"
		}
		if s != section {
			section = s
			fmt.Fprintf(w, "  %s:\n", s)
		}
		def := ""
		if k.Default != "" {
			def = " (default " + k.Default + ")"
		}
		fmt.Fprintf(w, "  -%s %s\n    \t%s%s\n", k.Key, k.Kind, k.Doc, def)
	}
}
