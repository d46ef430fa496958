package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer/doctor"
	trun "github.com/tbgo/tbgo/trainer/run"
)

// doctorSetup turns a built job into what the doctor examines.
func doctorSetup(j *trun.Job) doctor.Setup {
	c := j.Config
	return doctor.Setup{
		Name:      c.Name,
		Spec:      j.Model.Spec(),
		Input:     j.Model.InShape(),
		Seed:      c.Seed,
		Train:     j.Train,
		Val:       j.Val,
		Loss:      j.Trainer.Loss,
		Balanced:  c.Balance == "sampler",
		Optimizer: c.Optimizer,
		LR:        c.Schedule.LR,
		BatchSize: c.BatchSize,
	}
}

const doctorUsage = `Usage: tbgo doctor [flags]

Doctor runs the checklist to go through before a long run on the run that
tbgo train would start with the same flags: the input statistics (rule 11)
and class balance (17), the initialisation's scale (12), the loss at
initialisation against ln K (1), a gradient check (4), overfitting 20
samples (2), real against zeroed inputs (3) and a learning-rate range
test. It prints a pass/fail line per check with the fix for each failure,
writes the report to <logdir>/<timestamp>-doctor-<name>/ (the text
diag/checklist and the range test's curve) and exits with status 1 if a
check failed.

It takes every flag of tbgo train that describes the run (-config, -scenario,
-preset, -lr, any knob as -KEY VALUE; see tbgo train -h), and:

`

// runDoctor implements tbgo doctor.
func runDoctor(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tbgo doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "read the run configuration from this YAML `file`; flags override it")
	scenario := fs.String("scenario", "", "check the configuration of this scenario (see tbgo train -list)")
	checks := fs.String("checks", "", "comma-separated `IDs` of the checks to run (default all: "+strings.Join(doctor.CheckIDs(), ",")+")")
	write := fs.Bool("write", true, "write the report as a run under the configuration's logdir")
	var settings []knobSetting
	for _, k := range trun.Knobs() {
		fs.Var(&knobFlag{key: k.Key, def: k.Default, bool: k.Kind == "bool", set: &settings}, k.Key, k.Doc)
	}
	for _, a := range trainAliases {
		fs.Var(&knobFlag{key: a.key, set: &settings}, a.name, a.doc+" (-"+a.key+")")
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, doctorUsage)
		for _, name := range []string{"checks", "write", "config", "scenario"} {
			f := fs.Lookup(name)
			arg, usage := flag.UnquoteUsage(f)
			if arg != "" {
				arg = " " + arg
			}
			if f.DefValue != "" && f.DefValue != "false" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(stderr, "  -%s%s\n    \t%s\n", name, arg, usage)
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: doctor takes no arguments, got %q", errUsage, fs.Args())
	}
	cfg, err := doctorConfig(*configFile, *scenario, settings)
	if err != nil {
		return err
	}
	var opts doctor.Options
	if *checks != "" {
		for _, id := range strings.Split(*checks, ",") {
			id = strings.TrimSpace(id)
			if !slices.Contains(doctor.CheckIDs(), id) {
				return fmt.Errorf("%w: -checks: unknown check %q (one of %s)", errUsage, id, strings.Join(doctor.CheckIDs(), ", "))
			}
			opts.Checks = append(opts.Checks, id)
		}
	}
	job, err := trun.Build(cfg)
	if err != nil {
		if errors.Is(err, trun.ErrConfig) {
			return fmt.Errorf("%w: doctor: %v", errUsage, err)
		}
		return fmt.Errorf("doctor: %w", err)
	}
	setup := doctorSetup(job)
	fmt.Fprintf(stdout, "tbgo doctor: %s (%d training samples, %d parameters, seed %d)\n\n", setup.Name, job.Train.Len(), job.Model.NumParams(), cfg.Seed)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := doctor.Run(ctx, setup, &opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("doctor: interrupted")
		}
		return err
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if *write {
		runDir := filepath.Join(cfg.Logdir, time.Now().Format("20060102-150405")+"-doctor-"+setup.Name)
		if err := writeDoctorRun(runDir, rep); err != nil {
			return fmt.Errorf("doctor: %w", err)
		}
		fmt.Fprintf(stdout, "report written to %s\n  tensorboard --logdir %s\n", runDir, shellQuote(cfg.Logdir))
	}
	if n := rep.Count(doctor.Fail); n > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", n, len(rep.Checks))
	}
	return nil
}

// doctorConfig returns the run configuration tbgo doctor's flags describe,
// as tbgo train reads them: a scenario's or the default, then the file,
// then each knob flag in order.
func doctorConfig(file, scenario string, settings []knobSetting) (trun.Config, error) {
	cfg := trun.Default()
	var err error
	if scenario != "" {
		if cfg, err = trun.ScenarioConfig(scenario); err != nil {
			return cfg, fmt.Errorf("%w: %v", errUsage, strings.TrimPrefix(err.Error(), "run: "))
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("doctor: %w", err)
		}
		if err := cfg.Parse(b, file); err != nil {
			return cfg, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	for _, s := range settings {
		if s.key == "data.path" {
			if err := cfg.Set("data.name", "csv"); err != nil {
				return cfg, err
			}
		}
		if err := cfg.Set(s.key, s.value); err != nil {
			return cfg, fmt.Errorf("%w: -%s: %v", errUsage, s.key, strings.TrimPrefix(err.Error(), "run: "))
		}
	}
	return cfg, nil
}

// writeDoctorRun writes rep as the run dir.
func writeDoctorRun(dir string, rep *doctor.Report) error {
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		return err
	}
	return errors.Join(rep.Log(w), w.Close())
}
