package tfevents

import (
	"fmt"
	"io"
	"math"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// ReadEvents reads every event of a finished event file from r with a
// Strict Scanner, decoding each record: the first damage of any kind is
// the error, a torn tail, a record that is not an Event (InvalidEvent)
// and an event whose wall time is not finite (NonFiniteWallTime)
// included. It holds the whole file's events in memory: it is for a
// small file, a test or a check; stream a large file with a Scanner.
func ReadEvents(r io.Reader) ([]*tbpb.Event, error) {
	return readEvents(r, "")
}

// ReadEventFile is ReadEvents of the named file.
func ReadEventFile(name string) ([]*tbpb.Event, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	defer f.Close()
	return readEvents(f, name)
}

func readEvents(r io.Reader, name string) ([]*tbpb.Event, error) {
	s := NewScanner(r)
	s.Name = name
	s.Strict = true
	// Strict ends the scan at any damage but a torn tail, which comes
	// here and ends it too.
	s.Damaged = func(d *Damage) error { return d }
	var evs []*tbpb.Event
	for s.Scan() {
		ev := new(tbpb.Event)
		if err := proto.Unmarshal(s.Record(), ev); err != nil {
			s.Report(Damage{Kind: InvalidEvent, Err: err})
			break
		}
		if math.IsNaN(ev.WallTime) || math.IsInf(ev.WallTime, 0) {
			s.Report(Damage{Kind: NonFiniteWallTime, Err: fmt.Errorf("event at step %d has wall time %v", ev.Step, ev.WallTime)})
			break
		}
		evs = append(evs, ev)
	}
	return evs, s.Err()
}
