package tfevents

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
