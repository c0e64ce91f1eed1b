package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// The drain tests run the server as a real process: this test binary,
// started again with drainChildEnv set, serves until SIGTERM.
const drainChildEnv = "FNKIT_HTTPSERVER_DRAIN_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(drainChildEnv) != "" {
		os.Exit(drainChild())
	}
	os.Exit(m.Run())
}

// drainChild serves an echo handler on 127.0.0.1 (fast on every path,
// 500 ms on /slow, never returning on /hang) with ListenAndServe and the
// environment's drain settings, logging JSON to stderr. Its exit status is
// 0 after a clean drain, 3 after ErrShutdownTimeout, 1 otherwise.
func drainChild() int {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	echo := New(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		r := e.Clone()
		return &r, nil
	}), WithLogger(logger))
	mux := http.NewServeMux()
	mux.Handle("/", echo)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(500 * time.Millisecond)
		echo.ServeHTTP(w, r)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { select {} })
	opts, err := ServerOptionsFromEnv()
	if err != nil {
		logger.Error("env", "error", err)
		return 1
	}
	opts = append(opts, WithServerLogger(logger), WithoutAccessLog())
	err = ListenAndServe(context.Background(), "127.0.0.1:0", mux, opts...)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrShutdownTimeout):
		logger.Error("serve", "error", err)
		return 3
	}
	logger.Error("serve", "error", err)
	return 1
}

// child is a running drainChild process.
type child struct {
	cmd  *exec.Cmd
	addr string
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild starts the server process with the given extra environment
// and waits for its "serving" log line, which names its address.
func startChild(t *testing.T, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{drainChildEnv + "=1"}, env...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: &lockedBuffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			line := s.Text()
			fmt.Fprintln(c.logs, line)
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "serving" {
				addr <- l.Addr
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case c.addr = <-addr:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the server process did not start; log:\n%s", c.logs)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return c
}

// wait waits for the process to exit and returns its exit code.
func (c *child) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-c.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(within):
		_ = c.cmd.Process.Kill()
		t.Fatalf("the server did not exit within %v; log:\n%s", within, c.logs)
		return -1
	}
}

// drainLog returns the counts of the server's "drained" log line.
func (c *child) drainLog(t *testing.T) (served, closed, cut int64) {
	t.Helper()
	for _, line := range strings.Split(c.logs.String(), "\n") {
		var l struct {
			Msg               string
			ServedDuringDrain int64 `json:"served_during_drain"`
			ConnectionsClosed int64 `json:"connections_closed"`
			CutOff            int64 `json:"cut_off"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "drained" {
			return l.ServedDuringDrain, l.ConnectionsClosed, l.CutOff
		}
	}
	t.Fatalf("no drained line in the log:\n%s", c.logs)
	return 0, 0, 0
}

// loadStats counts what the load clients saw.
type loadStats struct {
	ok, afterSignal, refused atomic.Int64
	slowAtSignal, slowAtOK   atomic.Int64
	mu                       sync.Mutex
	failures                 []string
}

func (s *loadStats) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

const echoBody = `{"name":"drain"}`

// keepAliveClient posts events over one kept-alive connection after
// another until a dial is refused (the listener has closed). Any request
// written on an accepted connection that does not get its 200 answer is a
// failure; a refused dial is not (nothing was sent).
func keepAliveClient(addr, path string, pause time.Duration, signalled *atomic.Int64, s *loadStats) {
	req := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nCe-Specversion: 1.0\r\nCe-Id: 1\r\nCe-Source: /load\r\n" +
		"Ce-Type: com.example.load\r\nContent-Type: application/json\r\nContent-Length: " +
		fmt.Sprint(len(echoBody)) + "\r\n\r\n" + echoBody
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			s.refused.Add(1)
			return
		}
		_ = conn.SetDeadline(deadline)
		br := bufio.NewReader(conn)
		reused := false
		for ; ; reused = true {
			start := time.Now().UnixNano()
			if _, err := io.WriteString(conn, req); err != nil {
				s.fail("write %s: %v", path, err)
				break
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				s.fail("%s written, no answer: %v (%v after signal, reused %v)", path, err, time.Duration(time.Now().UnixNano()-signalled.Load()), reused)
				break
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || string(body) != echoBody {
				s.fail("%s: status %d body %q err %v", path, resp.StatusCode, body, err)
				break
			}
			s.ok.Add(1)
			if sig := signalled.Load(); sig != 0 {
				s.afterSignal.Add(1)
				if path == "/slow" && start < sig {
					s.slowAtOK.Add(1)
				}
			}
			if resp.Close {
				break
			}
			if pause > 0 {
				time.Sleep(pause)
			}
		}
		conn.Close()
	}
}

// TestDrainLosesNoRequest: SIGTERM under load from many keep-alive
// clients, fast and slow, loses no request that reached the server; slow
// requests in flight finish; health turns 503 during the drain; the
// process exits 0 within the drain delay plus the grace period. It runs
// several times, since a lost request is a race that one run may miss.
func TestDrainLosesNoRequest(t *testing.T) {
	const (
		runs       = 4
		fast       = 32
		idle       = 4 // clients that pause between requests
		slow       = 6
		drainDelay = time.Second
		grace      = 3 * time.Second
	)
	var total loadStats
	for run := range runs {
		c := startChild(t, EnvDrainDelay+"="+drainDelay.String(), EnvGracePeriod+"="+grace.String())
		var s loadStats
		var signalled atomic.Int64
		var wg sync.WaitGroup
		for i := range fast + idle + slow {
			path, pause := "/", time.Duration(0)
			if i >= fast {
				pause = 30 * time.Millisecond
			}
			if i >= fast+idle {
				path, pause = "/slow", 0
			}
			wg.Go(func() { keepAliveClient(c.addr, path, pause, &signalled, &s) })
		}
		// Health, as a load balancer probes it: a new connection each time.
		var saw503 atomic.Bool
		healthDone := make(chan struct{})
		go func() {
			defer close(healthDone)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
			for {
				resp, err := client.Get("http://" + c.addr + "/healthz")
				if err != nil {
					if signalled.Load() != 0 {
						return // the listener has closed
					}
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					saw503.Store(true)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		time.Sleep(600 * time.Millisecond)
		signalled.Store(time.Now().UnixNano())
		sigAt := time.Now()
		s.slowAtSignal.Store(slow)
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		code := c.wait(t, drainDelay+grace+5*time.Second)
		exitAfter := time.Since(sigAt)
		wg.Wait()
		<-healthDone
		served, closed, cut := c.drainLog(t)
		t.Logf("run %d: %d ok (%d after SIGTERM, %d served during the drain by the server's count), %d connections closed, %d cut off, %d refused dials, %d failed; exit %d after %v",
			run, s.ok.Load(), s.afterSignal.Load(), served, closed, cut, s.refused.Load(), len(s.failures), code, exitAfter.Round(time.Millisecond))
		if code != 0 {
			t.Errorf("run %d: exit status %d; log:\n%s", run, code, c.logs)
		}
		if exitAfter > drainDelay+grace+time.Second {
			t.Errorf("run %d: exited %v after SIGTERM, beyond drain delay + grace", run, exitAfter)
		}
		if len(s.failures) > 0 {
			t.Errorf("run %d: %d requests written to the server failed, e.g. %q", run, len(s.failures), s.failures[:min(3, len(s.failures))])
		}
		// Every request in flight at SIGTERM finished with 200 (no failure
		// above); the slow ones were surely in flight, bar a client caught
		// between two requests.
		if got := s.slowAtOK.Load(); got < slow-1 {
			t.Errorf("run %d: only %d of %d slow requests in flight at SIGTERM finished with 200", run, got, slow)
		}
		if !saw503.Load() {
			t.Errorf("run %d: /healthz never answered 503 during the drain", run)
		}
		if served == 0 || s.afterSignal.Load() == 0 {
			t.Errorf("run %d: no request served during the drain (server %d, clients %d)", run, served, s.afterSignal.Load())
		}
		if cut != 0 {
			t.Errorf("run %d: %d requests cut off", run, cut)
		}
		total.ok.Add(s.ok.Load())
		total.refused.Add(s.refused.Load())
		total.afterSignal.Add(s.afterSignal.Load())
	}
	t.Logf("all %d runs: %d ok, %d after SIGTERM, %d refused dials, 0 failed", runs, total.ok.Load(), total.afterSignal.Load(), total.refused.Load())
}

// TestDrainCutsOffHangingHandler: a handler that never returns is cut off
// at the end of the grace period; Serve returns ErrShutdownTimeout (exit
// status 3 here) and the log names the count.
func TestDrainCutsOffHangingHandler(t *testing.T) {
	c := startChild(t, EnvDrainDelay+"=100ms", EnvGracePeriod+"=300ms")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post("http://"+c.addr+"/hang", "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// Wait until the request is in the handler: health still answers.
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t, 5*time.Second); code != 3 {
		t.Fatalf("exit status %d, want 3 (ErrShutdownTimeout); log:\n%s", code, c.logs)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("exited %v after SIGTERM with 400ms of drain and grace", d)
	}
	if _, _, cut := c.drainLog(t); cut != 1 {
		t.Errorf("cut_off = %d, want 1; log:\n%s", cut, c.logs)
	}
	if !strings.Contains(c.logs.String(), "1 requests cut off") {
		t.Errorf("the error does not name the count; log:\n%s", c.logs)
	}
	if err := <-errc; err == nil {
		t.Error("the cut-off request got an answer")
	}
}

// TestBusyConnectionGetsConnectionClose: a client sending back-to-back
// requests on one connection is told to close it once draining starts, and
// the server closes it after that answer instead of waiting for it.
func TestBusyConnectionGetsConnectionClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, New(&recorder{}), WithServerLogger(slog.New(slog.DiscardHandler)),
			WithDrainDelay(300*time.Millisecond), WithGracePeriod(time.Second))
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	send := func() *http.Response {
		t.Helper()
		req := "POST / HTTP/1.1\r\nHost: x\r\nCe-Specversion: 1.0\r\nCe-Id: 1\r\nCe-Source: /t\r\nCe-Type: t\r\nContent-Length: 2\r\n\r\n{}"
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := send(); resp.Close || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("before the drain: close=%v status %d", resp.Close, resp.StatusCode)
	}
	cancel()
	time.Sleep(50 * time.Millisecond) // the drain has begun
	resp := send()
	if !resp.Close || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("during the drain: Connection: close=%v status %d", resp.Close, resp.StatusCode)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the server did not close the connection after Connection: close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestSecondStopSkipsTheWait: WithStopNow ends the drain delay and the
// grace period at once (ListenAndServe's second signal).
func TestSecondStopSkipsTheWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, New(&recorder{}), WithServerLogger(slog.New(slog.DiscardHandler)),
			WithDrainDelay(time.Minute), WithGracePeriod(time.Minute), WithStopNow(stop))
	}()
	if status, _ := get(t, "http://"+ln.Addr().String()+"/healthz"); status != 200 {
		t.Fatal("not serving")
	}
	cancel()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Serve returned before the drain delay: %v", err)
	default:
	}
	start := time.Now()
	close(stop)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a stop did not skip the drain delay")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("stopped after %v", d)
	}
}

// TestListenAndServeSecondSignal: Ctrl-C twice stops at once.
func TestListenAndServeSecondSignal(t *testing.T) {
	c := startChild(t, EnvDrainDelay+"=1m", EnvGracePeriod+"=1m")
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Get("http://" + c.addr + "/healthz")
	if err != nil {
		t.Fatalf("health during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("health during the drain: %d", resp.StatusCode)
	}
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("exit status %d; log:\n%s", code, c.logs)
	}
}

func TestServerOptionsFromEnv(t *testing.T) {
	t.Setenv(EnvDrainDelay, "250ms")
	t.Setenv(EnvGracePeriod, "0")
	opts, err := ServerOptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg := newServerConfig(opts); cfg.drainDelay != 250*time.Millisecond || cfg.grace != 0 {
		t.Fatalf("drain %v grace %v", cfg.drainDelay, cfg.grace)
	}
	for _, bad := range []string{"3", "soon", "-1s"} {
		t.Setenv(EnvGracePeriod, bad)
		if _, err := ServerOptionsFromEnv(); err == nil || !strings.Contains(err.Error(), EnvGracePeriod) {
			t.Errorf("%s=%q: err %v, want one naming the variable", EnvGracePeriod, bad, err)
		}
	}
	t.Setenv(EnvGracePeriod, "")
	t.Setenv(EnvDrainDelay, "")
	opts, err = ServerOptionsFromEnv()
	if err != nil || len(opts) != 0 {
		t.Fatalf("empty variables: %d options, err %v", len(opts), err)
	}
	if cfg := newServerConfig(nil); cfg.drainDelay != DefaultDrainDelay || cfg.grace != DefaultGracePeriod {
		t.Fatalf("defaults: drain %v grace %v", cfg.drainDelay, cfg.grace)
	}
}
