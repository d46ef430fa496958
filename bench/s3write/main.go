// S3write simulates one hour of a training run logging to an object store
// through storage.Sink, fast: a step per simulated second with 10
// scalars, one histogram and one image; every 2 simulated seconds the
// records of those steps reach the Sink (what summary.Writer's timed flush
// does), and every -segment simulated seconds the pending records are
// uploaded (what the Sink's MaxAge timer does). With -segment-age the
// Sink keeps a segment open that long, on the simulated clock, and
// rewrites it at each upload (SinkOptions.SegmentAge). It prints one JSON
// object: event bytes, bytes uploaded, objects, rewrites, write and Stat
// requests, peak RSS.
//
//	s3write -url s3://bucket/prefix?... [-steps 3600] [-segment 25s] [-segment-age 5m]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

func main() {
	url := flag.String("url", "", "logdir URL")
	steps := flag.Int("steps", 3600, "steps, one per simulated second")
	segment := flag.Duration("segment", storage.DefaultMaxAge, "simulated time between uploads (the Sink's MaxAge)")
	segmentAge := flag.Duration("segment-age", 0, "simulated time a segment stays open, rewritten at each upload (the Sink's SegmentAge); 0: none")
	flag.Parse()
	if err := run(*url, *steps, *segment, *segmentAge); err != nil {
		fmt.Fprintln(os.Stderr, "s3write:", err)
		os.Exit(1)
	}
}

func run(url string, steps int, segment, segmentAge time.Duration) error {
	ctx := context.Background()
	st, err := storage.Open(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	// The timer never fires within the run: the loop below uploads on the
	// simulated clock, which is also the Sink's.
	start := time.Now()
	var simulated atomic.Int64 // seconds
	clock := func() time.Time { return start.Add(time.Duration(simulated.Load()) * time.Second) }
	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key("run"),
		&storage.SinkOptions{MaxAge: 24 * time.Hour, SegmentAge: segmentAge, AllowShared: true, Now: clock})
	if err != nil {
		return err
	}
	var pending []byte
	events := 0
	add := func(ev *tbpb.Event) error {
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if err != nil {
			return err
		}
		pending = tfevents.AppendRecord(pending, data)
		return nil
	}
	add(&tbpb.Event{WallTime: 1.7e9, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}})
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	values := make([]float64, 1000)
	lastUpload := 0
	for step := range steps {
		var vals []*tbpb.Summary_Value
		for i := range 10 {
			v, _ := summary.ScalarValue(fmt.Sprintf("scalar/%d", i), math.Sin(float64(step*(i+1))/100), summary.Meta{})
			vals = append(vals, v)
		}
		for i := range values {
			values[i] = math.Sin(float64(i)*0.37+float64(step)/50) * (1 + float64(step)/1000)
		}
		buckets, err := summary.Buckets(nil, values, 30)
		if err != nil {
			return err
		}
		h, err := summary.HistogramValue("weights", buckets, summary.Meta{})
		if err != nil {
			return err
		}
		for i := range img.Pix {
			img.Pix[i] = uint8(i*7 + step)
		}
		var enc bytes.Buffer
		png.Encode(&enc, img)
		iv, _ := summary.ImageValue("sample", 16, 16, [][]byte{enc.Bytes()}, summary.Meta{})
		vals = append(vals, h, iv)
		if err := add(&tbpb.Event{WallTime: 1.7e9 + float64(step), Step: int64(step),
			What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: vals}}}); err != nil {
			return err
		}
		t := step + 1 // simulated seconds
		simulated.Store(int64(t))
		if t%2 == 0 || t == steps {
			if _, err := sink.Write(pending); err != nil {
				return err
			}
			events += len(pending)
			pending = pending[:0]
		}
		if time.Duration(t-lastUpload)*time.Second >= segment {
			if err := sink.Sync(); err != nil {
				return err
			}
			lastUpload = t
		}
	}
	if err := sink.Close(); err != nil {
		return err
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := sink.Stats()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"writer":         "tbgo",
		"event_bytes":    events,
		"uploaded_bytes": s.Bytes,
		"upload_ratio":   float64(s.Bytes) / float64(events),
		"objects":        s.Objects,
		"rewrites":       s.Rewrites,
		"write_requests": s.Requests,
		"stat_requests":  s.StatRequests,
		"peak_rss_kib":   ru.Maxrss,
		"seconds":        time.Since(start).Seconds(),
	})
}
