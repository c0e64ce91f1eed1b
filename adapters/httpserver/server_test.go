package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthEndpoint(t *testing.T) {
	base := serve(t, New(&recorder{}))
	if status, body := get(t, base+"/healthz"); status != 200 || body != "ok\n" {
		t.Fatalf("health: %d %q", status, body)
	}
	resp := do(t, base, request{path: "/healthz", body: "{}"})
	if resp.status != 405 {
		t.Fatalf("POST /healthz: %d", resp.status)
	}
	base = serve(t, New(&recorder{}), WithHealthPath(""))
	if status, _ := get(t, base+"/healthz"); status != 405 {
		t.Fatalf("health disabled: GET reached the event handler with %d, want 405", status)
	}
	base = serve(t, New(&recorder{}), WithHealthPath("/ready"))
	if status, _ := get(t, base+"/ready"); status != 200 {
		t.Fatalf("custom health path: %d", status)
	}
}

func TestAccessLog(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	base := serve(t, New(greeter()), WithServerLogger(logger))
	do(t, base, request{path: "/greet?token=secret", headers: map[string]string{
		"Ce-Specversion": "1.0", "Ce-Id": "log-1", "Ce-Source": "/s", "Ce-Type": "greet", "Authorization": "Bearer secret",
	}, body: `{"name":"SecretName"}`})

	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			if line != nil {
				t.Fatalf("more than one access-log line: %s", logs.String())
			}
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no access-log line in %s", logs.String())
	}
	if line["method"] != "POST" || line["path"] != "/greet" || line["status"] != float64(200) || line["ce_id"] != "log-1" ||
		line["ce_type"] != "greet" || line["bytes"] != float64(len(`{"greeting":"Hello, SecretName!"}`)) {
		t.Fatalf("access-log line %v", line)
	}
	if strings.Contains(logs.String(), "secret") {
		t.Fatalf("the log leaked a query, header or body: %s", logs.String())
	}

	logs = syncBuffer{}
	base = serve(t, New(greeter()), WithServerLogger(slog.New(slog.NewJSONHandler(&logs, nil))), WithoutAccessLog())
	do(t, base, binary(`{"name":"x"}`))
	if strings.Contains(logs.String(), `"msg":"request"`) {
		t.Fatalf("access log not turned off: %s", logs.String())
	}
}

// TestGracefulShutdown: a request in flight when shutdown begins finishes
// and gets its reply; health turns 503 meanwhile; then Serve returns nil and
// the port no longer accepts connections.
func TestGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	rec := &recorder{}
	slowHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		New(rec).ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, slowHandler, WithServerLogger(slog.New(slog.DiscardHandler)), WithDrainDelay(0), WithGracePeriod(5*time.Second))
	}()

	inflight := make(chan response, 1)
	go func() { inflight <- do(t, base, request{path: "/slow", headers: binary("{}").headers, body: "{}"}) }()
	<-started

	// Keep a connection open to observe health during the drain.
	client := &http.Client{Transport: &http.Transport{}}
	if resp, err := client.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health before shutdown: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if resp := <-inflight; resp.status != http.StatusNoContent {
		t.Fatalf("in-flight request: status %d", resp.status)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if rec.count() != 1 {
		t.Fatalf("in-flight event handled %d times", rec.count())
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("the listener still accepts connections after shutdown")
	}
}

func TestHealthDuringDrain(t *testing.T) {
	d := &drain{}
	h := d.wrap(http.NotFoundHandler(), "/healthz")
	base := serve(t, h, WithHealthPath(""))
	if status, _ := get(t, base+"/healthz"); status != 200 {
		t.Fatalf("health %d", status)
	}
	d.draining.Store(true)
	if status, body := get(t, base+"/healthz"); status != 503 || !strings.Contains(body, "shutting down") {
		t.Fatalf("health while draining: %d %q", status, body)
	}
}

func TestShutdownTimeout(t *testing.T) {
	started := make(chan struct{})
	block := make(chan struct{})
	defer close(block)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-block
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, h, WithServerLogger(slog.New(slog.DiscardHandler)), WithDrainDelay(0), WithGracePeriod(50*time.Millisecond))
	}()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("Serve = %v, want ErrShutdownTimeout", err)
	}
}

func TestListenAndServeStopsOnSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(context.Background(), addr, New(&recorder{}), WithServerLogger(slog.New(slog.DiscardHandler)), WithDrainDelay(10*time.Millisecond))
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ListenAndServe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not stop on SIGTERM")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	err := ListenAndServe(context.Background(), "256.0.0.1:http", New(&recorder{}))
	if err == nil || !strings.Contains(err.Error(), "httpserver:") {
		t.Fatalf("err %v", err)
	}
}

func TestWithHTTPServerTunes(t *testing.T) {
	var got atomic.Int64
	base := serve(t, New(&recorder{}), WithHTTPServer(func(s *http.Server) {
		s.ReadHeaderTimeout = 3 * time.Second
		got.Store(int64(s.ReadHeaderTimeout))
	}))
	if status, _ := get(t, base+"/healthz"); status != 200 || time.Duration(got.Load()) != 3*time.Second {
		t.Fatalf("status %d tuned %v", status, time.Duration(got.Load()))
	}
}

// A connection that never sends a request must not hold up shutdown (net/http
// alone waits 5 s for those).
func TestShutdownClosesFreshConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, New(&recorder{}), WithServerLogger(slog.New(slog.DiscardHandler)), WithDrainDelay(0))
	}()
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if status, _ := get(t, "http://"+ln.Addr().String()+"/healthz"); status != 200 {
		t.Fatal("not serving")
	}
	start := time.Now()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v with an idle fresh connection", d)
	}
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Fatal("the fresh connection is still open")
	}
}
