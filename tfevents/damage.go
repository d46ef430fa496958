package tfevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A DamageKind says what is wrong with a damaged part of an event file.
type DamageKind int

// The kinds of damage. The first five are found by the Scanner from the
// framing alone; the others by whoever decodes the records, which reports
// them through Scanner.Report so that they follow the same policy.
const (
	// TornTail is a file that ends inside a record, as it does while a
	// writer is appending or after a writer crashed mid-record. It is not
	// corruption: TensorBoard's loaders wait for the rest.
	TornTail DamageKind = iota + 1
	// BadLengthChecksum is a length field that does not match its
	// checksum. The record's extent is unknown, so the Scanner searches
	// for the next valid record and skips everything before it.
	BadLengthChecksum
	// BadDataChecksum is a record whose data does not match its checksum.
	// Its length is trusted, so only the record is skipped.
	BadDataChecksum
	// OversizedRecord is a record whose length, though its checksum
	// holds, is over the reader's limit (DefaultMaxRecordLen unless
	// chosen). It is skipped without being read into memory. Its length
	// is trusted, since its checksum holds: a length that runs past the
	// end of the data makes the rest of the file this damage, with no
	// search for a later record (a 1-in-2^32 chance for a random length).
	OversizedRecord
	// InvalidEvent is a record whose checksums hold but whose bytes do
	// not decode as an Event.
	InvalidEvent
	// NonFiniteWallTime is an event whose wall time is NaN or infinite.
	// Writers refuse such times and readers skip such events: TensorBoard's
	// data server abandons a file at a NaN wall time and drops an event
	// with an infinite one.
	NonFiniteWallTime
	// InvalidValue is a summary value that does not decode as its plugin
	// says it should. Only the value is skipped.
	InvalidValue
	// BadFileChecksum is a whole file whose checksum fails, as an
	// archive's SHA-256 of a member does.
	BadFileChecksum
)

var damageNames = [...]string{
	TornTail:          "torn tail",
	BadLengthChecksum: "length crc",
	BadDataChecksum:   "data crc",
	OversizedRecord:   "too large",
	InvalidEvent:      "invalid event",
	NonFiniteWallTime: "non-finite wall time",
	InvalidValue:      "invalid value",
	BadFileChecksum:   "file checksum",
}

// String returns the kind's short name, as every command prints it: "torn
// tail", "length crc", "data crc", "too large", "invalid event",
// "non-finite wall time", "invalid value", "file checksum".
func (k DamageKind) String() string {
	if k > 0 && int(k) < len(damageNames) {
		return damageNames[k]
	}
	return fmt.Sprintf("DamageKind(%d)", int(k))
}

// MarshalText returns String's name, so that JSON reports name the kind.
func (k DamageKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Damage is a damaged part of an event file, skipped by a read: the one
// vocabulary in which every tbgo reader and command reports damage. It is
// an error, so that a strict read can end with it; errors.Is(d, ErrCorrupt)
// holds for checksum failures, errors.Is(d, ErrRecordTooLarge) for an
// oversized record and errors.Is(d, io.ErrUnexpectedEOF) for a torn tail.
type Damage struct {
	// File names the file, as the reader was told to name it.
	File string
	// Offset is where the damage starts: the first byte of the record.
	// It is -1 while unknown, in damage a decoder found in a record it
	// was handed (Scanner.Report sets it).
	Offset int64
	// Kind says what is wrong.
	Kind DamageKind
	// Bytes is how many bytes of the file the damage covers, all of them
	// skipped: a record, or the stretch up to the next valid record (or
	// to the end of the file). Zero for damage inside a record that was
	// otherwise read, such as a value that does not decode.
	Bytes int64
	// Count is how many damaged items of the same kind the report
	// stands for (values of one record, say), at least 1. Err describes
	// the first of them.
	Count int
	// Err gives the detail.
	Err error
}

// Error describes the damage in the words every command uses, e.g.
// "tfevents: run/events.out.tfevents.1: offset 4096: data crc: record data
// does not match its checksum (1234 bytes skipped)".
func (d *Damage) Error() string {
	s := "tfevents: " + prefixName(d.File)
	if d.Offset >= 0 {
		s += fmt.Sprintf("offset %d: ", d.Offset)
	}
	s += d.Kind.String()
	if d.Err != nil {
		s += ": " + d.Err.Error()
	}
	if d.Count > 1 {
		s += fmt.Sprintf(" (and %d more)", d.Count-1)
	}
	if d.Bytes > 0 {
		s += fmt.Sprintf(" (%d bytes skipped)", d.Bytes)
	}
	return s
}

// Unwrap returns the errors the damage matches: Err, and the sentinel of
// its kind.
func (d *Damage) Unwrap() []error {
	var sentinel error
	switch d.Kind {
	case TornTail:
		sentinel = io.ErrUnexpectedEOF
	case BadLengthChecksum, BadDataChecksum, BadFileChecksum:
		sentinel = ErrCorrupt
	case OversizedRecord:
		sentinel = ErrRecordTooLarge
	case InvalidEvent:
		sentinel = ErrInvalidEvent
	case NonFiniteWallTime:
		sentinel = ErrNonFiniteWallTime
	}
	errs := make([]error, 0, 2)
	for _, e := range []error{d.Err, sentinel} {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// Torn reports whether the damage is a torn tail, which a running writer
// leaves and which is not corruption.
func (d *Damage) Torn() bool { return d.Kind == TornTail }

// ErrInvalidEvent is matched by damage to a record whose checksums hold but
// whose bytes do not decode as an Event.
var ErrInvalidEvent = errors.New("record is not a valid Event")

// ErrNonFiniteWallTime is matched by an event whose wall time is NaN or
// infinite, which writers refuse and readers skip.
var ErrNonFiniteWallTime = errors.New("wall time is not finite")

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
