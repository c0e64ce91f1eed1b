package events_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

// sink is a real CloudEvents receiver on 127.0.0.1: fnkit's own
// httpserver adapter recording every event it decodes, behind an optional
// gate that answers instead (to simulate failures).
type sink struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []event.Event
	requests atomic.Int64
	gate     atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{}
	rec := httpserver.New(handler.Func(func(_ context.Context, e event.Event) (*event.Event, error) {
		s.mu.Lock()
		s.got = append(s.got, e.Clone())
		s.mu.Unlock()
		return nil, nil
	}))
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if g := s.gate.Load(); g != nil && (*g)(w, r) {
			return
		}
		rec.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// answer makes the sink answer status to the first n requests (n < 0:
// every request) and then receive normally.
func (s *sink) answer(status, n int, header ...string) {
	var left atomic.Int64
	left.Store(int64(n))
	g := func(w http.ResponseWriter, r *http.Request) bool {
		if n >= 0 && left.Add(-1) < 0 {
			return false
		}
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		http.Error(w, "sink says "+http.StatusText(status), status)
		return true
	}
	s.gate.Store(&g)
}

func (s *sink) heal() { s.gate.Store(nil) }

func (s *sink) received() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]event.Event, len(s.got))
	for i := range s.got {
		out[i] = s.got[i].Clone()
	}
	return out
}

func fast(extra ...events.HTTPOption) []events.HTTPOption {
	return append([]events.HTTPOption{events.WithRetries(3, time.Millisecond, 4*time.Millisecond)}, extra...)
}

func newPublisher(t *testing.T, target string, opts ...events.HTTPOption) *events.HTTPPublisher {
	t.Helper()
	p, err := events.NewHTTPPublisher(target, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHTTPPublisherConformance(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		s := newSink(t)
		return publishertest.Target{Publisher: newPublisher(t, s.srv.URL, fast()...), Received: s.received}
	})
}

func TestHTTPPublisherRetriesThenSucceeds(t *testing.T) {
	for _, status := range []int{503, 500, 502, 404, 408, 409, 429} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			s := newSink(t)
			s.answer(status, 2)
			p := newPublisher(t, s.srv.URL, fast()...)
			e := newEvent("r1", "t")
			if err := p.Publish(context.Background(), e); err != nil {
				t.Fatalf("Publish after two %d answers: %v", status, err)
			}
			if n := s.requests.Load(); n != 3 {
				t.Fatalf("sink saw %d requests, want 3 (two failures, one success)", n)
			}
			if got := s.received(); len(got) != 1 || got[0].ID() != "r1" {
				t.Fatalf("sink received %d events, want r1 once", len(got))
			}
		})
	}
}

func TestHTTPPublisherRetriesEnd(t *testing.T) {
	s := newSink(t)
	s.answer(503, -1)
	p := newPublisher(t, s.srv.URL, events.WithRetries(2, time.Millisecond, 2*time.Millisecond), events.WithoutCircuitBreaker())
	err := p.Publish(context.Background(), newEvent("x", "t"))
	var se *events.StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 || se.Attempts != 3 {
		t.Fatalf("Publish to a sink answering 503: %v, want a *StatusError 503 after 3 attempts", err)
	}
	if c := handler.ClassOf(err); c != handler.ClassRetryable {
		t.Fatalf("class %v, want retryable", c)
	}
	if !strings.Contains(err.Error(), "Service Unavailable") || !strings.Contains(err.Error(), "sink says") {
		t.Fatalf("error %q does not name the status and the sink's answer", err)
	}
	if n := s.requests.Load(); n != 3 {
		t.Fatalf("sink saw %d requests, want 3", n)
	}
}

func TestHTTPPublisherNoRetryOnPermanent(t *testing.T) {
	for _, status := range []int{400, 401, 403, 413, 415, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			s := newSink(t)
			s.answer(status, -1)
			p := newPublisher(t, s.srv.URL, fast()...)
			err := p.Publish(context.Background(), newEvent("p", "t"))
			var se *events.StatusError
			if !errors.As(err, &se) || se.StatusCode != status || se.Attempts != 1 {
				t.Fatalf("Publish to a sink answering %d: %v, want a *StatusError after 1 attempt", status, err)
			}
			if c := handler.ClassOf(err); c != handler.ClassPermanent {
				t.Fatalf("class %v, want permanent", c)
			}
			if n := s.requests.Load(); n != 1 {
				t.Fatalf("sink saw %d requests, want 1 (no retry)", n)
			}
			if p.BreakerState() != "closed" {
				t.Fatalf("breaker %s after a refusal, want closed: the sink is working", p.BreakerState())
			}
		})
	}
}

func TestHTTPPublisherPerEventFailure(t *testing.T) {
	s := newSink(t)
	g := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Ce-Type") == "refused" {
			http.Error(w, "no", http.StatusBadRequest)
			return true
		}
		return false
	}
	s.gate.Store(&g)
	p := newPublisher(t, s.srv.URL, fast()...)
	err := p.Publish(context.Background(), newEvent("1", "ok"), newEvent("2", "refused"), newEvent("3", "ok"))
	if got := events.FailedIndexes(err, 3); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("FailedIndexes = %v (%v), want [1]", got, err)
	}
	if got := s.received(); len(got) != 2 || got[0].ID() != "1" || got[1].ID() != "3" {
		t.Fatalf("sink received %v", got)
	}
}

func TestHTTPPublisherThrottled(t *testing.T) {
	s := newSink(t)
	s.answer(429, -1, "Retry-After", "120")
	p := newPublisher(t, s.srv.URL, fast()...)
	err := p.Publish(context.Background(), newEvent("t", "t"))
	if c := handler.ClassOf(err); c != handler.ClassThrottled {
		t.Fatalf("class %v (%v), want throttled", c, err)
	}
	if ra := handler.RetryAfter(err); ra != 120*time.Second {
		t.Fatalf("RetryAfter = %v, want the sink's 120s", ra)
	}
	if n := s.requests.Load(); n != 1 {
		t.Fatalf("sink saw %d requests; a Retry-After beyond the backoff maximum must not be waited for", n)
	}

	s2 := newSink(t)
	s2.answer(503, 1, "Retry-After", "1")
	p2 := newPublisher(t, s2.srv.URL, events.WithRetries(1, time.Millisecond, 2*time.Second))
	start := time.Now()
	if err := p2.Publish(context.Background(), newEvent("t2", "t")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("retried after %v, want the sink's Retry-After of 1s", d)
	}
}

func TestHTTPPublisherBreaker(t *testing.T) {
	s := newSink(t)
	s.answer(503, -1)
	var changes []string
	var mu sync.Mutex
	p := newPublisher(t, s.srv.URL,
		events.WithRetries(0, time.Millisecond, time.Millisecond),
		events.WithCircuitBreaker(3, 150*time.Millisecond),
		events.WithBreakerStateChange(func(from, to string) {
			mu.Lock()
			changes = append(changes, from+">"+to)
			mu.Unlock()
		}))
	ctx := context.Background()
	for i := range 3 {
		if err := p.Publish(ctx, newEvent("b", "t")); err == nil || errors.Is(err, events.ErrCircuitOpen) {
			t.Fatalf("attempt %d: %v, want the sink's 503", i, err)
		}
	}
	if p.BreakerState() != "open" {
		t.Fatalf("breaker %s after 3 failures, want open", p.BreakerState())
	}
	before := s.requests.Load()
	err := p.Publish(ctx, newEvent("b", "t"), newEvent("c", "t"))
	if !errors.Is(err, events.ErrCircuitOpen) || !reflect.DeepEqual(events.FailedIndexes(err, 2), []int{0, 1}) {
		t.Fatalf("Publish with the breaker open: %v, want ErrCircuitOpen for both events", err)
	}
	if handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("class %v, want retryable", handler.ClassOf(err))
	}
	if s.requests.Load() != before {
		t.Fatal("an open breaker let a request through")
	}
	s.heal()
	time.Sleep(200 * time.Millisecond)
	if err := p.Publish(ctx, newEvent("after", "t")); err != nil {
		t.Fatalf("probe after the cooldown: %v", err)
	}
	if p.BreakerState() != "closed" {
		t.Fatalf("breaker %s after a successful probe, want closed", p.BreakerState())
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"closed>open", "open>half-open", "half-open>closed"}; !reflect.DeepEqual(changes, want) {
		t.Fatalf("state changes %v, want %v", changes, want)
	}
}

func TestHTTPPublisherTimeouts(t *testing.T) {
	s := newSink(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g := func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	s.gate.Store(&g)
	p := newPublisher(t, s.srv.URL, events.WithHTTPTimeout(50*time.Millisecond),
		events.WithRetries(1, time.Millisecond, time.Millisecond), events.WithoutCircuitBreaker())
	start := time.Now()
	err := p.Publish(context.Background(), newEvent("slow", "t"))
	if err == nil || handler.ClassOf(err) != handler.ClassRetryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a sink that never answers: %v, want a retryable deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Publish took %v with a 50ms attempt timeout", d)
	}
	if n := s.requests.Load(); n != 2 {
		t.Fatalf("sink saw %d requests, want 2 (timeout, one retry)", n)
	}

	// The caller's deadline ends retries: its error comes back.
	p2 := newPublisher(t, s.srv.URL, events.WithHTTPTimeout(0), events.WithoutCircuitBreaker())
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	err = p2.Publish(ctx, newEvent("a", "t"), newEvent("b", "t"))
	if !errors.Is(err, context.DeadlineExceeded) || !reflect.DeepEqual(events.FailedIndexes(err, 2), []int{0, 1}) {
		t.Fatalf("Publish past the caller's deadline: %v, want DeadlineExceeded for both events", err)
	}
}

func TestHTTPPublisherUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newPublisher(t, "http://"+addr+"/", fast()...)
	err = p.Publish(context.Background(), newEvent("u", "t"))
	if err == nil || handler.ClassOf(err) != handler.ClassRetryable || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("Publish to a closed port: %v, want a retryable error after 4 attempts", err)
	}
}

// garbage serves raw bytes that are not HTTP on 127.0.0.1.
func garbage(t *testing.T, reply string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			_, _ = c.Write([]byte(reply))
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestHTTPPublisherGarbage(t *testing.T) {
	for name, reply := range map[string]string{
		"not HTTP":        "\x00\x01 hello there\r\n\r\n",
		"bad status line": "HTTP/1.1 abc\r\n\r\n",
		"truncated":       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
		"hangs up":        "",
	} {
		t.Run(name, func(t *testing.T) {
			p := newPublisher(t, garbage(t, reply), fast(events.WithoutCircuitBreaker())...)
			err := p.Publish(context.Background(), newEvent("g", "t"))
			if name == "truncated" {
				// The status arrived: 200 accepts the event, whatever follows.
				if err != nil {
					t.Fatalf("a 200 with a truncated body: %v", err)
				}
				return
			}
			if err == nil || handler.ClassOf(err) != handler.ClassRetryable {
				t.Fatalf("Publish to a sink answering garbage: %v, want a retryable error", err)
			}
		})
	}
}

func TestHTTPPublisherRedirectIsPermanent(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/elsewhere", http.StatusFound))
	t.Cleanup(srv.Close)
	p := newPublisher(t, srv.URL, fast()...)
	err := p.Publish(context.Background(), newEvent("r", "t"))
	var se *events.StatusError
	if !errors.As(err, &se) || se.StatusCode != 302 || handler.ClassOf(err) != handler.ClassPermanent {
		t.Fatalf("Publish to a redirecting sink: %v, want a permanent 302 *StatusError", err)
	}
}

func TestHTTPPublisherFromEnv(t *testing.T) {
	t.Setenv("K_SINK", "")
	if _, err := events.HTTPPublisherFromEnv(); !errors.Is(err, events.ErrNoSink) {
		t.Fatalf("without K_SINK: %v, want ErrNoSink", err)
	}
	t.Setenv("K_SINK", "not a url")
	if _, err := events.HTTPPublisherFromEnv(); err == nil || !strings.Contains(err.Error(), "K_SINK") {
		t.Fatalf("with a bad K_SINK: %v, want an error naming K_SINK", err)
	}
	s := newSink(t)
	t.Setenv("K_SINK", s.srv.URL)
	t.Setenv("K_CE_OVERRIDES", `{"extensions":{"Bad":"x"}}`)
	if _, err := events.HTTPPublisherFromEnv(); err == nil || !strings.Contains(err.Error(), "K_CE_OVERRIDES") {
		t.Fatalf("with bad K_CE_OVERRIDES: %v, want an error naming it", err)
	}
	t.Setenv("K_CE_OVERRIDES", `{"extensions":{"cluster":"eu 1","tenant":"acme"}}`)
	p, err := events.HTTPPublisherFromEnv(fast()...)
	if err != nil {
		t.Fatal(err)
	}
	if p.Target() != s.srv.URL {
		t.Fatalf("Target() = %q", p.Target())
	}
	e := newEvent("o", "t")
	e.SetExtension("tenant", "mine")
	if err := p.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got := s.received()[0]
	if got.Extensions()["cluster"] != "eu 1" || got.Extensions()["tenant"] != "acme" {
		t.Fatalf("received extensions %v, want the overrides applied", got.Extensions())
	}
	if e.Extensions()["tenant"] != "mine" || e.Extensions()["cluster"] != nil {
		t.Fatalf("the caller's event was changed: %v", e.Extensions())
	}
}

func TestHTTPPublisherHeadersAndTrace(t *testing.T) {
	s := newSink(t)
	var auth atomic.Value
	g := func(w http.ResponseWriter, r *http.Request) bool {
		auth.Store(r.Header.Get("Authorization"))
		return false
	}
	s.gate.Store(&g)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	p := newPublisher(t, s.srv.URL, events.WithHeader("Authorization", "Bearer x"),
		events.WithTraceContext(func(ctx context.Context) (string, string) { return tp, "k=v" }))
	own := newEvent("own", "t")
	own.SetExtension("traceparent", "00-11111111111111111111111111111111-2222222222222222-01")
	if err := p.Publish(context.Background(), newEvent("tr", "t"), own); err != nil {
		t.Fatal(err)
	}
	got := s.received()
	if got[0].Extensions()["traceparent"] != tp || got[0].Extensions()["tracestate"] != "k=v" {
		t.Fatalf("received extensions %v, want the span's traceparent and tracestate", got[0].Extensions())
	}
	if got[1].Extensions()["traceparent"] != own.Extensions()["traceparent"] {
		t.Fatalf("an event's own traceparent was replaced: %v", got[1].Extensions())
	}
	if auth.Load() != "Bearer x" {
		t.Fatalf("Authorization = %v", auth.Load())
	}
}

func TestNewHTTPPublisherBadTarget(t *testing.T) {
	for _, target := range []string{"", "/relative", "ftp://x/", "http://", "http://a b/", "127.0.0.1:8080"} {
		if _, err := events.NewHTTPPublisher(target); err == nil {
			t.Errorf("NewHTTPPublisher(%q) succeeded", target)
		}
	}
}

func TestParseOverrides(t *testing.T) {
	o, err := events.ParseOverrides(`{"extensions":{"a1":"x","b":""}}`)
	if err != nil || !reflect.DeepEqual(o.Extensions, map[string]string{"a1": "x", "b": ""}) {
		t.Fatalf("ParseOverrides = %v, %v", o, err)
	}
	if o, err := events.ParseOverrides("  "); err != nil || !o.Empty() {
		t.Fatalf("empty: %v, %v", o, err)
	}
	for _, bad := range []string{`{`, `[]`, `{"extensions":{"A":"x"}}`, `{"extensions":{"id":"x"}}`,
		`{"extensions":{"a":1}}`, `{"extra":{}}`, `{} {}`, `{"extensions":{"":"x"}}`} {
		if _, err := events.ParseOverrides(bad); err == nil || !strings.HasPrefix(err.Error(), "events: K_CE_OVERRIDES") {
			t.Errorf("ParseOverrides(%s) = %v, want an error naming K_CE_OVERRIDES", bad, err)
		}
	}
	e := newEvent("1", "t")
	o.Apply(&e)
	if e.Extensions()["a1"] != "x" {
		t.Fatalf("Apply: %v", e.Extensions())
	}
}
