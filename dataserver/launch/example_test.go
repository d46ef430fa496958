package launch_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tbgo/tbgo/dataserver/launch"
)

// A data server program is one Command. Run reports a logdir it cannot
// serve as TensorBoard expects: the reason on standard error (or in
// --error-file), and exit status 8.
func Example() {
	cmd := &launch.Command{Name: "my-data-server"}
	err := cmd.Run(context.Background(), []string{"--logdir", ""}, os.Stdin, os.Stdout, os.Stdout)
	var ee *launch.ExitError
	if errors.As(err, &ee) {
		fmt.Println("exit status", ee.Code)
	}
	// Output:
	// fatal: dataserver: bad logdir: empty --logdir
	// exit status 8
}

// --version prints the program's name and the module version it was
// built from.
func ExampleCommand_Run_version() {
	cmd := &launch.Command{Name: "my-data-server"}
	if err := cmd.Run(context.Background(), []string{"--version"}, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Println(err)
	}
	// Output:
	// my-data-server (devel)
}
