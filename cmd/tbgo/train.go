package main

import (
	"errors"
	"io"
)

// runTrain is not written yet.
func runTrain(args []string, stdout, stderr io.Writer) error {
	return errors.New("train: not implemented yet")
}
