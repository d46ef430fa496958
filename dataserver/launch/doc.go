// Package launch is the command line of tbgo's data server: the flags,
// startup order and exit statuses of TensorBoard's own Rust data server
// ("RustBoard"), over package dataserver. The commands tbgo-data-server
// and tbgo-data-server-cloud are each one call of Command.Main; their
// package documentation is the manual of the flags.
//
// # Two programs, one command line
//
// Go runs the initialisation of every package linked into a program when
// it starts, and the object-store drivers (storage/cloud, with the AWS,
// Google and Azure SDKs) touch about 25 MB of code pages doing so: more
// than the rest of the data server uses to serve a large local logdir.
// So the program TensorBoard launches links no driver, and hands a logdir
// URL that needs one to a companion program that does, the way git runs
// git-remote-https so that git itself does not link an HTTP client. A
// Command with a Companion, given a logdir URL whose scheme no linked
// driver handles (storage.ErrUnknownScheme), finds the companion beside
// its own executable or on PATH and runs it with the same arguments: on
// Unix it replaces the process (syscall.Exec), so that the process ID,
// standard input (--die-after-stdin), the port file and the error file
// are what the launcher expects; elsewhere it runs it as a child and
// exits with its status. Without the companion the logdir cannot be
// served: exit status 8, and the error says how to install it. A
// companion never hands on again.
//
// # Startup
//
// In RustBoard's order, which TensorBoard relies on: parse the flags
// (exit status 2 for a usage error), open the logdir (8 if it cannot be
// served; the reason goes to --error-file), start watching standard
// input, bind (9 if the address cannot be bound), write the port file (1
// if it cannot be written), then load in the background while serving.
// The exit status is 0 after --die-after-stdin saw its input end, or when
// the context is done (SIGINT or SIGTERM for Main).
package launch
