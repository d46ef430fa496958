package doctor

import (
	"errors"
	"fmt"
	"time"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer/job"
)

// SetupOf returns the Setup of a job made by job.Build: the model, data,
// loss and optimiser of the run tbgo train would start from the same
// configuration, which tbgo doctor examines.
func SetupOf(j *job.Job) Setup {
	c := j.Config
	return Setup{
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

// WriteRun writes the report as a run of its own,
// <logdir>/<timestamp>-doctor-<name>/, named after now, and returns the
// run's directory: the diag/checklist table and the range test's curve
// for TensorBoard (Log). logdir may be a URL (see summary.NewWriter).
func (r *Report) WriteRun(logdir string, now time.Time) (string, error) {
	dir := storage.Join(logdir, now.Format("20060102-150405")+"-doctor-"+r.Name)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		return "", fmt.Errorf("doctor: %w", err)
	}
	if err := errors.Join(r.Log(w), w.Close()); err != nil {
		return "", fmt.Errorf("doctor: %w", err)
	}
	return dir, nil
}
