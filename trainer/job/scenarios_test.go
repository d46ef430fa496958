package job

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/diag"
)

// detect trains the job cfg describes with a Monitor that logs nothing,
// and returns its alerts.
func detect(t testing.TB, cfg Config) ([]diag.Alert, *trainer.Result) {
	t.Helper()
	job, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mon := diag.NewMonitor(nil, job.monitorOptions())
	tc := job.Trainer
	tc.Hooks = []trainer.Hook{mon}
	train, val := job.Data()
	res, err := trainer.Train(context.Background(), job.Model, train, val, tc)
	if err != nil {
		t.Fatal(err)
	}
	return mon.Alerts(), res
}

// Both directions: every scenario fires the rules it expects, and the
// healthy runs, the default digits run among them, fire none.
func TestScenarios(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	covered := map[int]bool{}
	for _, s := range Scenarios() {
		if names[s.Name] {
			t.Errorf("scenario %s listed twice", s.Name)
		}
		names[s.Name] = true
		for _, id := range s.Expect {
			covered[id] = true
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			alerts, res := detect(t, s.Config())
			var fired []string
			for _, a := range alerts {
				fired = append(fired, fmt.Sprintf("%d@%d", a.Rule, a.Step))
			}
			t.Logf("%d steps, val loss %.4g, accuracy %.4g; fired %s", res.Steps, res.Val.Loss, res.Val.Accuracy, strings.Join(fired, " "))
			if s.Healthy() {
				for _, a := range alerts {
					t.Errorf("healthy run fired %v", a)
				}
				if s.Name == "healthy_digits" && res.Val.Accuracy < 0.97 {
					t.Errorf("validation accuracy %.4f, want at least 0.97", res.Val.Accuracy)
				}
				return
			}
			for _, id := range s.Expect {
				if !slices.ContainsFunc(alerts, func(a diag.Alert) bool { return a.Rule == id }) {
					t.Errorf("rule %d did not fire", id)
				}
			}
		})
	}
	// Every rule the Monitor checks has a scenario that trips it.
	for _, r := range diag.Rules() {
		if r.By == diag.ByMonitor && !covered[r.ID] {
			t.Errorf("no scenario fires rule %d (%s)", r.ID, r.Name)
		}
	}
	if !names["healthy_digits"] || !names["healthy_spirals"] {
		t.Error("the healthy digits and spirals runs are missing")
	}
}

// The healthy digits scenario is the default run, and it reaches the
// main job's target.
func TestHealthyDigitsIsTheDefault(t *testing.T) {
	t.Parallel()
	c, err := ScenarioConfig("healthy_digits")
	if err != nil {
		t.Fatal(err)
	}
	c.Name = ""
	want := Default()
	if !slices.Equal(keysOf(c.Values()), keysOf(want.Values())) || fmt.Sprint(c.Values()) != fmt.Sprint(want.Values()) {
		t.Errorf("healthy_digits is not Default:\n%v\n%v", c.Values(), want.Values())
	}
}

func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func TestScenarioConfig(t *testing.T) {
	t.Parallel()
	for _, s := range Scenarios() {
		c, err := ScenarioConfig(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != s.Name {
			t.Errorf("scenario %s names its run %q", s.Name, c.Name)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("scenario %s: %v", s.Name, err)
		}
		if s.Description == "" || strings.Contains(s.Description, "\n") {
			t.Errorf("scenario %s: description %q is not one line", s.Name, s.Description)
		}
	}
	if _, err := ScenarioConfig("nope"); err == nil || !strings.Contains(err.Error(), "healthy_digits") {
		t.Errorf("ScenarioConfig(nope) = %v, want an error listing the scenarios", err)
	}
}
