//go:build !unix

package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// handOffProcess runs the companion at path, given args and the standard
// streams, as a child (a process cannot replace itself here), and returns
// its exit status; ctx's end kills it.
func handOffProcess(ctx context.Context, path string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil, ctx.Err() != nil:
		return nil // done, or stopped as the server itself would be
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return &ExitError{ee.ExitCode(), nil} // the companion said why
	}
	return &ExitError{ExitBadLogdir, fmt.Errorf("cannot run %s: %w", path, err)}
}
