package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/tbgo/tbgo/dataserver"
	"github.com/tbgo/tbgo/storage"
)

// serveFlags are the flags serve and board share.
type serveFlags struct {
	reload  time.Duration
	samples string
}

func (f *serveFlags) server(path string) (*dataserver.Server, *dataserver.Logdir, error) {
	samples, err := dataserver.ParseSamples(f.samples)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: -samples-per-plugin: %v", errUsage, err)
	}
	l, err := dataserver.OpenLogdir(path)
	if err != nil {
		return nil, nil, err
	}
	s := dataserver.New(l.FS, l.Root, l.Name, &dataserver.Options{Reload: f.reload, Samples: samples})
	return s, l, nil
}

func (f *serveFlags) register(fs interface {
	DurationVar(*time.Duration, string, time.Duration, string)
	StringVar(*string, string, string, string)
}) {
	fs.DurationVar(&f.reload, "reload", 5*time.Second, "pause between reloads of the logdir; 0 loads once")
	fs.StringVar(&f.samples, "samples-per-plugin", "", "points kept per time series, as PLUGIN=N|all,... (default: 1000 scalars, 100 tensors, 10 blob sequences)")
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "[-addr HOST:PORT] [-reload 5s] [-samples-per-plugin LIST] LOGDIR|ARCHIVE|URL", stderr)
	addr := fs.String("addr", "localhost:6806", "address to serve TensorBoard's data provider on")
	var sf serveFlags
	sf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: serve takes one LOGDIR, ARCHIVE or URL", errUsage)
	}
	s, l, err := sf.server(fs.Arg(0))
	if err != nil {
		return err
	}
	defer l.Close()
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serving %s on %s; open it with:\n  tensorboard --grpc_data_provider=%s\n", l.Name, lis.Addr(), lis.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return s.Serve(ctx, lis)
}

// tensorBoardURL matches the line in which TensorBoard announces its URL.
var tensorBoardURL = regexp.MustCompile(`TensorBoard \S+ at (http://\S+)`)

func runBoard(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("board", "[-reload 5s] [-samples-per-plugin LIST] LOGDIR|ARCHIVE|URL [-- TENSORBOARD FLAGS]", stderr)
	tensorboard := fs.String("tensorboard", "tensorboard", "the tensorboard command to run")
	var sf serveFlags
	sf.register(fs)
	// Everything after "--" is tensorboard's, flags included.
	var extra []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, extra = args[:i], args[i+1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: board takes one LOGDIR, ARCHIVE or URL, then -- and tensorboard's flags", errUsage)
	}
	path := fs.Arg(0)
	tb, err := exec.LookPath(*tensorboard)
	if err != nil {
		return fmt.Errorf("board needs TensorBoard (pip install tensorboard): %w", err)
	}
	s, l, err := sf.server(path)
	if err != nil {
		return err
	}
	defer l.Close()
	lis, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, lis) }()

	// TensorBoard reads everything through tbgo; it gets the logdir too
	// when it is a local directory, for the projector, which reads files
	// itself. An archive or a bucket it gets through tbgo only.
	tbArgs := []string{"--grpc_data_provider=" + lis.Addr().String()}
	if dir, ok := localDir(path); ok {
		tbArgs = append(tbArgs, "--logdir="+dir)
	}
	cmd := exec.CommandContext(ctx, tb, append(tbArgs, extra...)...)
	// TensorBoard's own output is status, for stderr, which this goroutine
	// writes too while exec copies into it from another: hence the lock.
	stderr = &lockedWriter{w: stderr}
	cmd.Stdout = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		fmt.Fprintln(stderr, sc.Text())
		if m := tensorBoardURL.FindStringSubmatch(sc.Text()); m != nil {
			fmt.Fprintf(stdout, "tbgo board: %s is served by tbgo; open %s\n", l.Name, m[1])
		}
	}
	err = cmd.Wait()
	cancel()
	if serr := <-served; serr != nil {
		return serr
	}
	if ctx.Err() != nil && err != nil {
		return nil // interrupted: TensorBoard was stopped
	}
	if err != nil {
		return fmt.Errorf("tensorboard: %w", err)
	}
	return nil
}

// localDir returns the directory on the local disk that the logdir
// location names (a path or a file:// URL), if it names one.
func localDir(location string) (string, bool) {
	dir, ok := storage.Local(location)
	if !ok {
		return "", false
	}
	info, err := os.Stat(dir)
	return dir, err == nil && info.IsDir()
}

// lockedWriter serialises writes to w from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
