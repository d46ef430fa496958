package dataserver

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	"github.com/tbgo/tbgo/proto/dataproviderpb"
)

// A Server is TensorBoard's data provider over a logdir: it keeps an
// in-memory index of the logdir's runs, time series and sampled points,
// which Run loads and reloads, and answers the RPCs of
// dataproviderpb.TensorBoardDataProviderServer from it. Its methods are
// safe for concurrent use; RPCs are answered while a load goes on.
type Server struct {
	dataproviderpb.UnimplementedTensorBoardDataProviderServer

	fsys     fs.FS
	root     string
	location string
	opts     Options
	log      *slog.Logger

	mu   sync.RWMutex
	runs map[string]*run

	loadMu sync.Mutex    // held by a load cycle
	cpu    chan struct{} // a token per CPU, held by a loader while it decodes
	loaded chan struct{}
	once   sync.Once
}

// New returns a Server for the logdir at root in fsys ("." for the whole
// file system): a directory (os.DirFS), an archive (archive.Open) or any
// other file system. location is what GetExperiment reports as the data
// location: the logdir as the user named it. Nothing is read until Run or
// Load.
func New(fsys fs.FS, root, location string, opts *Options) *Server {
	s := &Server{fsys: fsys, root: root, location: location, runs: map[string]*run{}, loaded: make(chan struct{}),
		cpu: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if opts != nil {
		s.opts = *opts
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = discard
	}
	return s
}

// Load runs one load cycle: it discovers the runs, drops those gone, and
// reads every run's event files up to their current ends. It returns early
// when ctx is done.
func (s *Server) Load(ctx context.Context) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	start := time.Now()
	s.cycle(ctx)
	s.once.Do(func() { close(s.loaded) })
	s.log.Info("dataserver: load cycle done", "runs", s.numRuns(), "took", time.Since(start))
}

// Loaded returns a channel that is closed when the first load cycle has
// finished.
func (s *Server) Loaded() <-chan struct{} { return s.loaded }

func (s *Server) numRuns() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.runs)
}

// Run loads the logdir, then reloads it every Options.Reload, until ctx is
// done; with no reload interval it returns after the first load.
func (s *Server) Run(ctx context.Context) {
	for {
		s.Load(ctx)
		if !s.opts.ReloadAlways && s.opts.Reload <= 0 {
			return
		}
		t := time.NewTimer(s.opts.Reload)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Close closes the event files the Server holds open. It must come after
// Run has returned.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, r := range s.runs {
		r.close()
		delete(s.runs, name)
	}
	return nil
}

// Register registers the Server's service, and gRPC server reflection,
// with g.
func (s *Server) Register(g *grpc.Server) {
	dataproviderpb.RegisterTensorBoardDataProviderServer(g, s)
	reflection.Register(g)
}

// Serve loads the logdir and answers RPCs on lis until ctx is done, then
// stops the gRPC server, letting RPCs under way finish for up to 5
// seconds, and closes the Server. Loading goes on in the background: RPCs are answered from the
// start, with what has been loaded so far.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	g := grpc.NewServer(grpc.MaxSendMsgSize(maxMessage))
	s.Register(g)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	wg.Go(func() {
		<-ctx.Done()
		// Let RPCs under way finish, but not a client that stalls a
		// stream.
		t := time.AfterFunc(stopGrace, g.Stop)
		g.GracefulStop()
		t.Stop()
	})
	err := g.Serve(lis)
	cancel()
	wg.Wait()
	s.Close()
	return err
}

// stopGrace is how long Serve waits for RPCs under way when it stops.
const stopGrace = 5 * time.Second

// maxMessage is the largest response the server sends: TensorBoard's
// client accepts up to 256 MiB.
const maxMessage = 256 << 20
