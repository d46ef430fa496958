package tfevents

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MaxLoggedDamage is how many damaged stretches a DamageLog lists in full;
// it counts the others.
const MaxLoggedDamage = 100

// A DamageLog gathers the damage a read reports, for a report on a file:
// it lists the first MaxLoggedDamage in full and counts every one, so that
// a file with a million damaged records gives a small report. The zero
// DamageLog is empty and ready to use.
type DamageLog struct {
	// Listed holds the first MaxLoggedDamage damages added, in order.
	Listed []*Damage
	// Omitted counts the damages added after those.
	Omitted int

	torn, other int
}

// Add adds d to the log.
func (l *DamageLog) Add(d *Damage) {
	if d.Torn() {
		l.torn++
	} else {
		l.other++
	}
	if len(l.Listed) < MaxLoggedDamage {
		l.Listed = append(l.Listed, d)
		return
	}
	l.Omitted++
}

// Len returns how many damages were added.
func (l *DamageLog) Len() int { return l.torn + l.other }

// Torn returns how many of them were torn tails.
func (l *DamageLog) Torn() int { return l.torn }

// Corrupt returns how many of them were not torn tails: damage, where a
// torn tail is only a writer still appending (or one that crashed).
func (l *DamageLog) Corrupt() int { return l.other }

// damageJSON is the JSON form of a Damage.
type damageJSON struct {
	File   string     `json:"file,omitempty"`
	Offset int64      `json:"offset"`
	Kind   DamageKind `json:"kind"`
	Bytes  int64      `json:"bytes,omitempty"`
	Count  int        `json:"count,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

// MarshalJSON encodes the damage as an object with the fields file,
// offset, kind (the kind's name, as String gives it), bytes, count (if
// more than 1) and detail (Err's message), so that every command's JSON
// report gives damage in the same form.
func (d *Damage) MarshalJSON() ([]byte, error) {
	j := damageJSON{File: d.File, Offset: d.Offset, Kind: d.Kind, Bytes: d.Bytes}
	if d.Count > 1 {
		j.Count = d.Count
	}
	if d.Err != nil {
		j.Detail = d.Err.Error()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON encodes; Err becomes an error
// with the detail's text.
func (d *Damage) UnmarshalJSON(b []byte) error {
	var j damageJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Damage{File: j.File, Offset: j.Offset, Kind: j.Kind, Bytes: j.Bytes, Count: max(j.Count, 1)}
	if j.Detail != "" {
		d.Err = errors.New(j.Detail)
	}
	return nil
}

// UnmarshalText parses a kind's name, as String gives it.
func (k *DamageKind) UnmarshalText(b []byte) error {
	for i, name := range damageNames {
		if name != "" && name == string(b) {
			*k = DamageKind(i)
			return nil
		}
	}
	return fmt.Errorf("tfevents: unknown damage kind %q", b)
}
