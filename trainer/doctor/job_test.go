package doctor_test

import (
	"testing"

	"github.com/tbgo/tbgo/trainer/doctor"
	"github.com/tbgo/tbgo/trainer/job"
)

// The doctor agrees with tbgo train's scenarios: the healthy ones pass
// every check, and each scenario of a problem the checklist covers fails
// the check made for it.
func TestScenarios(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		want     map[string]doctor.Verdict // nil: every check passes
	}{
		{"healthy_spirals", nil},
		{"loss_at_init", map[string]doctor.Verdict{doctor.CheckInitLoss: doctor.Fail}},
		{"divergence", map[string]doctor.Verdict{doctor.CheckLRRange: doctor.Fail, doctor.CheckOverfit: doctor.Fail}},
		{"uncentred_inputs", map[string]doctor.Verdict{doctor.CheckInputs: doctor.Fail}},
		{"symmetric_init", map[string]doctor.Verdict{doctor.CheckInit: doctor.Fail}},
		{"never_trains", map[string]doctor.Verdict{doctor.CheckOverfit: doctor.Fail, doctor.CheckSignal: doctor.Fail, doctor.CheckLRRange: doctor.Fail}},
		{"vanishing_gradients", map[string]doctor.Verdict{doctor.CheckOverfit: doctor.Fail}},
		{"class_imbalance", map[string]doctor.Verdict{doctor.CheckBalance: doctor.Fail}},
		{"lr_too_high", map[string]doctor.Verdict{doctor.CheckLRRange: doctor.Warn, doctor.CheckSignal: doctor.Pass}},
		{"saturation", map[string]doctor.Verdict{doctor.CheckInit: doctor.Warn}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			cfg, err := job.ScenarioConfig(tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			j, err := job.Build(cfg)
			if err != nil {
				t.Fatal(err)
			}
			opts := &doctor.Options{}
			for id := range tt.want {
				opts.Checks = append(opts.Checks, id)
			}
			rep, err := doctor.Run(t.Context(), doctor.SetupOf(j), opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Checks {
				want, ok := tt.want[c.ID]
				if !ok {
					want = doctor.Pass
				}
				if c.Verdict != want {
					t.Errorf("%s: %s, want %s: %s", c.ID, c.Verdict, want, c.Measured)
				}
			}
		})
	}
}
