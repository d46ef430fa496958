package diag

import (
	"fmt"
	"strings"

	"github.com/tbgo/tbgo/trainer"
)

// notes records, at Start, why rules do not apply to this run.
func (m *Monitor) notes() {
	set := func(id int, note string) {
		if rs := m.rules[id]; rs != nil && rs.note == "" {
			rs.note = note
		}
	}
	if m.m != nil {
		var relu, squash bool
		for _, a := range m.acts {
			relu = relu || a.dead != nil
			squash = squash || a.satTag != ""
		}
		if !relu {
			set(9, "not applicable: no ReLU layers")
		}
		if !squash {
			set(10, "not applicable: no sigmoid or tanh layers")
		}
		if _, ok := m.filterNoise(); !ok {
			set(19, "not applicable: the first layer's filters are not images of at least 5×5 pixels (see the filters image)")
		}
		if m.first == nil {
			set(7, "not applicable: no weight matrices")
			set(8, "not applicable: no weight matrices")
			set(6, "not applicable: no weight matrices")
			set(12, "not applicable: no weight matrices")
		}
	}
	if m.classes == 0 {
		set(17, "not applicable: regression")
		set(1, "not applicable: regression")
		set(21, "not applicable: regression")
	}
}

// startNotes records the notes that need the State.
func (m *Monitor) startNotes(s *trainer.State) {
	if s.ValData.Len() == 0 {
		for _, id := range []int{15, 16, 21, 22} {
			if rs := m.rules[id]; rs != nil && rs.note == "" {
				rs.note = "not applicable: no validation data"
			}
		}
	}
	if _, ok := s.Config.Loss.(trainer.MeanSquaredError); ok {
		if rs := m.rules[1]; rs != nil && rs.note == "" {
			rs.note = "not applicable: the loss is mse"
		}
	}
}

// Checklist returns the state of every rule of the table as a Markdown
// table: fired (where and when), ok, not applicable (why), not checked
// yet, or left to tbgo doctor or tbgo sweep. The Monitor logs it as
// "diag/checklist" at the start and at the end of training.
func (m *Monitor) Checklist() string {
	var b strings.Builder
	b.WriteString("| # | rule | checked by | status |\n|---|---|---|---|\n")
	for _, r := range m.o.Rules {
		rs := m.rules[r.ID]
		status := "not checked yet"
		switch {
		case r.By == ByDoctor:
			status = "left to `tbgo doctor`"
		case r.By == BySweep:
			status = "left to `tbgo sweep`"
		case m.o.NoChecks:
			status = "off"
		case len(rs.alerted) > 0:
			var parts []string
			for _, a := range m.alerts {
				if a.Rule == r.ID {
					where := ""
					if a.Layer != "" {
						where = " at " + a.Layer // the rule is the row's
					}
					by := ""
					if a.SupersededBy != 0 {
						by = fmt.Sprintf(", superseded by rule %d", a.SupersededBy)
					}
					parts = append(parts, fmt.Sprintf("step %d%s (%s%s)", a.Step, where, fmtValue(a.Value), by))
				}
			}
			status = "**fired**: " + strings.Join(parts, "; ")
		case rs.note != "":
			status = rs.note
		case rs.checked:
			status = "ok"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", r.ID, r.Symptom, r.By, mdCell(status))
	}
	return b.String()
}
