package main

import (
	"errors"
	"io"
)

// runSweep is not written yet.
func runSweep(args []string, stdout, stderr io.Writer) error {
	return errors.New("sweep: not implemented yet")
}
