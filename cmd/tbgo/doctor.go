package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/trainer/doctor"
	"github.com/tbgo/tbgo/trainer/job"
)

const doctorUsage = `Usage: tbgo doctor [flags]

Doctor runs the checklist to go through before a long run on the run that
tbgo train would start with the same flags: the input statistics (rule 11),
class balance (17), rows shared by training and validation (22), the
initialisation's scale (12), the loss at initialisation against what a
healthy last layer gives on the data (1), a gradient check (4), overfitting
20 samples (2), real against zeroed inputs (3) and a learning-rate range
test (docs/DIAGNOSTICS.md has every rule). It prints a pass/fail line per check with the fix for each failure,
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
	var settings []job.Setting
	addKnobFlags(fs, &settings)
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
	if err := parseFlags(fs, boolValues(fs, args)); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: doctor takes no arguments, got %q", errUsage, fs.Args())
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
	cfg, err := job.Compose(*scenario, *configFile, settings)
	if err != nil {
		return configError("doctor", err)
	}
	j, err := job.Build(cfg)
	if err != nil {
		return configError("doctor", err)
	}
	setup := doctor.SetupOf(j)
	fmt.Fprintf(stdout, "tbgo doctor: %s (%d training samples, %d parameters, seed %d)\n\n", setup.Name, j.Train.Len(), j.Model.NumParams(), cfg.Seed)

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
		dir, err := rep.WriteRun(cfg.Logdir, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report written to %s\n  %s\n", storage.Display(dir), tensorboardCommand(cfg.Logdir))
	}
	if n := rep.Count(doctor.Fail); n > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", n, len(rep.Checks))
	}
	return nil
}
