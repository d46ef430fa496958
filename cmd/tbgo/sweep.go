package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/trainer/sweep"
)

// runSweep implements tbgo sweep.
func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep", "[-parallel N] [-logdir DIR] [-dry-run] [-trial N] CONFIG.yaml", stderr)
	parallel := fs.Int("parallel", 0, "trials trained at once (default: the config's parallel, else the number of CPUs; each trial uses one core)")
	logdir := fs.String("logdir", "", "directory or object-store URL the sweep's directory <logdir>/<name> is made in (default: the config's logdir, else the base run's)")
	dry := fs.Bool("dry-run", false, "check the configuration and list the first stage's trials, numbered from 0, without training")
	trial := fs.Int("trial", -1, "run only trial `N` (from 0, as -dry-run numbers them) of a single-stage sweep: one process per index of a Slurm job array or a Kubernetes Indexed Job")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	config := fs.Args()
	if len(config) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: sweep takes one configuration file", errUsage)
	}
	if *parallel < 0 {
		return fmt.Errorf("%w: -parallel %d, want at least 1", errUsage, *parallel)
	}
	c, err := sweep.Load(config[0])
	if err != nil {
		return err
	}
	if *logdir != "" {
		c.Logdir = *logdir
	}
	var names []string
	for _, p := range c.Params {
		names = append(names, p.Key)
	}
	size := fmt.Sprintf("%d trials", c.Trials)
	if c.Method == sweep.Grid {
		size = "the grid"
	}
	if c.Stages > 1 {
		size += fmt.Sprintf(" in each of %d stages", c.Stages)
	}
	fmt.Fprintf(stdout, "tbgo sweep %s: %s search of %s, %s, ranked by %s (%s)\n", c.Name, c.Method, strings.Join(names, ", "), size, c.Metric, c.Goal)
	if *dry {
		trials, err := c.Plan()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "stage 1: %d trials in %s\n", len(trials), storage.Display(c.Dir()))
		for _, t := range trials {
			fmt.Fprintf(stdout, "  %*d  trial-%s ", len(fmt.Sprint(len(trials)-1)), t.Index, t.ID)
			for i, p := range c.Params {
				fmt.Fprintf(stdout, " %s=%s", p.Key, t.Texts[i])
			}
			fmt.Fprintln(stdout)
		}
		return nil
	}
	o := &sweep.Options{Parallel: *parallel, Out: stdout}
	if *trial >= 0 {
		if _, err := c.Trial(*trial); err != nil {
			return fmt.Errorf("%w: -trial: %v", errUsage, err)
		}
		o.Only = []int{*trial}
	}
	fmt.Fprintf(stdout, "writing to %s\n", storage.Display(c.Dir()))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := sweep.RunJobs(ctx, c, o)
	if res != nil {
		fmt.Fprintln(stdout)
		if werr := res.WriteTable(stdout, c); werr != nil && err == nil {
			err = werr
		}
		fmt.Fprintf(stdout, "%d trials trained now, %d finished earlier\n  %s\n", res.Trained, countResumed(res), tensorboardCommand(res.Dir))
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("sweep: interrupted; run the same command again to resume")
		}
		return err
	}
	if res.Best == nil {
		return fmt.Errorf("sweep: no trial finished with a value of %s", c.Metric)
	}
	return nil
}

func countResumed(r *sweep.Result) int {
	n := 0
	for _, t := range r.Trials {
		if t.Resumed {
			n++
		}
	}
	return n
}
