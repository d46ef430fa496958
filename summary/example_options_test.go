package summary_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A run that crashed after step 15 restarts from its checkpoint at step 10.
// PurgeStep makes TensorBoard hide what the crashed process logged at
// steps 10 and later.
func ExampleOptions_purgeStep() {
	run, err := os.MkdirTemp("", "tbgo-resume")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(run)

	crashed, err := summary.NewWriter(run, nil)
	if err != nil {
		log.Fatal(err)
	}
	for step := int64(0); step <= 15; step++ {
		crashed.Scalar("loss", step, 1/float64(step+1))
	}
	crashed.Close()

	resumed, err := summary.NewWriter(run, &summary.Options{PurgeStep: 10})
	if err != nil {
		log.Fatal(err)
	}
	for step := int64(10); step <= 12; step++ {
		resumed.Scalar("loss", step, 1/float64(step+1))
	}
	if err := resumed.Close(); err != nil {
		log.Fatal(err)
	}

	for _, v := range readBack(resumed.FileName()) {
		fmt.Println(v.Tag, v.Step)
	}
	// Output:
	// loss 10
	// loss 11
	// loss 12
}

// A Writer of an event stream into memory writes what a file would hold;
// any io.Writer will do, such as a sink that stores what is flushed as
// objects.
func ExampleNewStreamWriter() {
	var buf bytes.Buffer
	w, err := summary.NewStreamWriter(&buf, nil)
	if err != nil {
		log.Fatal(err)
	}
	w.Scalar("loss", 1, 0.5)
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	evs, err := tfevents.ReadEvents(&buf)
	if err != nil {
		log.Fatal(err)
	}
	var dec summary.Decoder
	for _, ev := range evs {
		vals, err := dec.Event(nil, ev)
		if err != nil {
			log.Fatal(err)
		}
		for _, v := range vals {
			fmt.Println(v.Tag, v.Step, v.Scalar)
		}
	}
	// Output:
	// loss 1 0.5
}
