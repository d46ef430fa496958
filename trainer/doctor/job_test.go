package doctor_test

import (
	"context"
	"fmt"
	"strings"
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

// tbgo train and tbgo doctor judge the loss at initialisation by one
// limit (diag.ExpectedInitLoss): on the same configuration they agree,
// whichever way it goes.
func TestInitLossAgreesWithTrain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		settings []job.Setting
	}{
		{"healthy_digits", nil},
		{"loss_at_init", nil},
		{"", []job.Setting{{Key: "data.name", Value: "blobs"}, {Key: "data.classes", Value: "2"}}},
		{"", []job.Setting{{Key: "data.name", Value: "blobs"}, {Key: "data.classes", Value: "3"}, {Key: "model.output_init", Value: "normal:1.5"}}},
		{"", []job.Setting{{Key: "data.name", Value: "xor"}, {Key: "model.hidden", Value: "[16]"}, {Key: "model.output_init", Value: "he_normal"}}},
	} {
		cfg, err := job.Compose(tc.scenario, "", append(tc.settings, job.Setting{Key: "steps", Value: "1"}, job.Setting{Key: "epochs", Value: "0"}))
		if err != nil {
			t.Fatal(err)
		}
		j, err := job.Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := doctor.Run(context.Background(), doctor.SetupOf(j), &doctor.Options{Checks: []string{doctor.CheckInitLoss}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Logdir = t.TempDir()
		res, err := job.Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		doctorFails, trainFires := rep.Check(doctor.CheckInitLoss).Verdict == doctor.Fail, res.Fired(1)
		if doctorFails != trainFires {
			t.Errorf("%s %v: doctor fails %v, train fires %v", tc.scenario, tc.settings, doctorFails, trainFires)
		}
		if (tc.scenario == "loss_at_init" || strings.Contains(fmt.Sprint(tc.settings), "normal:1.5")) != trainFires {
			t.Errorf("%s %v: rule 1 fired %v", tc.scenario, tc.settings, trainFires)
		}
	}
}
