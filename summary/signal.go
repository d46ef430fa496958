package summary

import (
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// CloseOnSignal makes an interrupt (SIGINT, Ctrl-C) or SIGTERM flush and
// close every closer, in order, before the process ends: the signal is then
// delivered again with its default effect, so the program still stops as
// it would have, but with its event files complete. Pass the Writers (or
// anything else to close first). The returned stop function removes the
// arrangement; call it when the closers are closed normally.
//
// Between the closing and the end, writes fail with tfevents.ErrClosed; a
// program should take that error as the end rather than exit with its own
// status first.
//
// A program that handles signals itself, with signal.NotifyContext say,
// should instead close its Writers on the way out and not call this.
func CloseOnSignal(closers ...io.Closer) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var once sync.Once
	go func() {
		select {
		case <-done:
			return
		case sig := <-ch:
			for _, c := range closers {
				c.Close() // errors are the Writers' sticky errors; nothing is left to report them to
			}
			signal.Reset(sig)
			if p, err := os.FindProcess(os.Getpid()); err != nil || p.Signal(sig) != nil {
				os.Exit(1)
			}
			// The default action ends the process; wait for it.
			select {}
		}
	}()
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}
