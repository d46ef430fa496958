package main

import (
	"errors"
	"io"
)

// runDoctor is not written yet.
func runDoctor(args []string, stdout, stderr io.Writer) error {
	return errors.New("doctor: not implemented yet")
}
