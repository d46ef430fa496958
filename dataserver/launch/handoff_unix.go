//go:build unix

package launch

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
)

// handOffProcess replaces the process with the companion at path, given
// args: the process ID, standard streams and open files stay those the
// launcher knows.
func handOffProcess(_ context.Context, path string, args []string, _ io.Reader, _, _ io.Writer) error {
	argv := append([]string{path}, args...)
	err := syscall.Exec(path, argv, os.Environ())
	return &ExitError{ExitBadLogdir, fmt.Errorf("cannot run %s: %w", path, err)}
}
