package runinfo

import (
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// signalGrace is how long CloseOnSignal waits for a signal it raised again
// to end the process before it exits by itself.
const signalGrace = 5 * time.Second

// CloseOnSignal makes an interrupt (SIGINT, Ctrl-C) or SIGTERM flush and
// close every closer, in order, before the process ends: the signal is then
// delivered again with its default effect, so the program still stops as
// it would have, but with its event files complete. Pass the Writers (or
// anything else to close first). The returned stop function removes the
// arrangement; call it when the closers are closed normally.
//
// A signal the process inherited as ignored (SIGINT for a program started
// with & from a script, say) cannot be delivered again with its default
// effect, so after closing the process exits with status 128 plus the
// signal's number, as a shell reports a death by that signal. Either way
// the process ends: between the closing and the end, writes fail with
// tfevents.ErrClosed, and a program should take that error as the end
// rather than exit with its own status first.
//
// A program that handles signals itself, with signal.NotifyContext say,
// should instead close its Writers on the way out and not call this.
func CloseOnSignal(closers ...io.Closer) (stop func()) {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	// Notify takes over an ignored signal, so ask before it does.
	ignored := map[os.Signal]bool{}
	for _, s := range sigs {
		ignored[s] = signal.Ignored(s)
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
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
			if !ignored[sig] {
				signal.Reset(sig)
				if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(sig) == nil {
					// The default action ends the process; give it time.
					time.Sleep(signalGrace)
				}
			}
			os.Exit(exitStatus(sig))
		}
	}()
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}

// exitStatus is the status of a process ended by sig, as a shell reports
// it.
func exitStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
