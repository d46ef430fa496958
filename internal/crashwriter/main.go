// Crashwriter is the process the crash tests kill. It writes scalars
// 0, 1, 2, ... (tag "x", step i, value i) to a run with summary.Writer, as
// fast as it can, until it is killed, and after every Flush that returns
// prints "ack N" on standard output: N scalars are then promised to
// survive.
//
//	crashwriter -dir RUN [-flush-every N] [-signals] [-n MAX]
//
// With -signals it calls runinfo.CloseOnSignal, so SIGINT and SIGTERM
// flush and close the file before the process ends. With -n it stops and
// closes after MAX scalars.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"

	_ "github.com/tbgo/tbgo/storage/cloud" // -dir may be an s3://, gs:// or azblob:// URL
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
	"github.com/tbgo/tbgo/tfevents"
)

func main() {
	dir := flag.String("dir", "", "run directory to write (a path or a URL)")
	flushEvery := flag.Int("flush-every", 100, "flush after this many scalars")
	signals := flag.Bool("signals", false, "close the writer on SIGINT and SIGTERM")
	max := flag.Int("n", -1, "stop after this many scalars (-1: never)")
	flag.Parse()
	if *dir == "" || *flushEvery < 1 {
		fmt.Fprintln(os.Stderr, "crashwriter: -dir is required and -flush-every must be positive")
		os.Exit(2)
	}
	// Timed flushes would promise nothing the harness can check; every
	// flush it sees is an explicit one.
	w, err := summary.NewWriter(*dir, &summary.Options{FlushInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashwriter:", err)
		os.Exit(1)
	}
	if *signals {
		defer runinfo.CloseOnSignal(w)()
	}
	out := bufio.NewWriter(os.Stdout)
	fail := func(err error) {
		if *signals && errors.Is(err, tfevents.ErrClosed) {
			// A signal closed the writer; CloseOnSignal is about to
			// end the process.
			select {}
		}
		fmt.Fprintln(os.Stderr, "crashwriter:", err)
		os.Exit(1)
	}
	for i := 0; *max < 0 || i < *max; i++ {
		if err := w.Scalar("x", int64(i), float64(i)); err != nil {
			fail(err)
		}
		if (i+1)%*flushEvery == 0 {
			if err := w.Flush(); err != nil {
				fail(err)
			}
			fmt.Fprintf(out, "ack %d\n", i+1)
			out.Flush()
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "crashwriter:", err)
		os.Exit(1)
	}
}
