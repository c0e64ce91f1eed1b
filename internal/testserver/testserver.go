// Package testserver starts real servers on 127.0.0.1 for tests: Redis,
// PostgreSQL and DynamoDB (dynalite). No mocks: the store adapters are
// tested against the real thing.
//
// Each server is started on first use and shared by every test of the test
// binary. Call Main from TestMain so that they are stopped when the binary
// exits:
//
//	func TestMain(m *testing.M) { testserver.Main(m) }
//
// Environment:
//
//	FNKIT_REDIS_ADDR         use this Redis (host:port) instead of starting one
//	FNKIT_POSTGRES_DSN       use this PostgreSQL instead of starting one
//	FNKIT_DYNAMODB_ENDPOINT  use this DynamoDB endpoint instead of dynalite
//	FNKIT_DYNALITE_DIR       where `npm install dynalite` was run
//	                         (default $HOME/.cache/fnkit-dynalite)
//	CI                       if set, a server that cannot start fails the
//	                         test instead of skipping it
//
// .ci/install-services installs everything on a Debian machine.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running server, or an external one named by the environment.
type Server struct {
	// Addr is host:port.
	Addr string
	// DSN is the PostgreSQL connection string (Postgres only).
	DSN string
	// Endpoint is the HTTP endpoint (Dynalite only).
	Endpoint string

	name     string
	external bool
	command  func() *exec.Cmd
	ready    func(ctx context.Context) error
	cleanup  func()

	mu     sync.Mutex
	proc   *os.Process
	exited chan error
	logs   *syncBuffer
}

// External reports whether the server was named by the environment; such a
// server cannot be stopped by tests.
func (s *Server) External() bool { return s.external }

// Stop stops the server (fast shutdown) and waits for it to exit. Tests use
// it to simulate an outage; Start brings it back on the same address.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.external {
		return errors.New("testserver: cannot stop an external server")
	}
	s.stopLocked()
	return nil
}

func (s *Server) stopLocked() {
	if s.proc == nil {
		return
	}
	_ = s.proc.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.proc.Kill()
		<-s.exited
	}
	s.proc = nil
}

// Start starts a stopped server again on the same address (and, for
// PostgreSQL, the same data). It does nothing if the server runs.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.external || s.proc != nil {
		return nil
	}
	return s.startLocked()
}

func (s *Server) startLocked() error {
	cmd := s.command()
	s.logs = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = withDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testserver: starting %s: %w", s.name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if err := s.ready(ctx); err == nil {
			s.proc, s.exited = cmd.Process, exited
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("testserver: %s exited at start (%v):\n%s", s.name, err, s.logs.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("testserver: %s not ready after 30s:\n%s", s.name, s.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// syncBuffer collects a server's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withDeathSignal makes the kernel kill a server when the test binary dies,
// so that no server outlives its tests even without Main.
func withDeathSignal(a *syscall.SysProcAttr) *syscall.SysProcAttr {
	if a == nil {
		a = &syscall.SysProcAttr{}
	}
	a.Pdeathsig = syscall.SIGKILL
	return a
}

// registry holds the servers of this test binary.
var registry = struct {
	sync.Mutex
	servers map[string]*Server
	errs    map[string]error
}{servers: map[string]*Server{}, errs: map[string]error{}}

// shared returns the named server, starting it with make on first use. A
// server that cannot start fails tb under CI and skips it otherwise.
func shared(tb testing.TB, name, hint string, make func() (*Server, error)) *Server {
	tb.Helper()
	registry.Lock()
	s, ok := registry.servers[name]
	err := registry.errs[name]
	if !ok && err == nil {
		s, err = make()
		if err == nil && !s.external {
			s.mu.Lock()
			err = s.startLocked()
			s.mu.Unlock()
		}
		if err != nil {
			registry.errs[name] = err
		} else {
			registry.servers[name] = s
		}
	}
	registry.Unlock()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("testserver: %s is required under CI: %v", name, err)
		}
		tb.Skipf("testserver: %s unavailable (%v); %s", name, err, hint)
	}
	return s
}

// Main runs the tests and then stops every server they started.
func Main(m *testing.M) {
	code := m.Run()
	StopAll()
	os.Exit(code)
}

// StopAll stops every server this binary started and removes their data.
func StopAll() {
	registry.Lock()
	defer registry.Unlock()
	for name, s := range registry.servers {
		s.mu.Lock()
		if !s.external {
			s.stopLocked()
		}
		if s.cleanup != nil {
			s.cleanup()
		}
		s.mu.Unlock()
		delete(registry.servers, name)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// dial checks that something accepts connections at addr.
func dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: time.Second}
	return d.DialContext(ctx, "tcp", addr)
}
