package middleware_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/middleware"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// Behind httpserver's access log, the default stack's invocation line
// takes the access log's place: one line per request, with the method and
// path; requests that never reach the handler keep the access-log line.
func TestDefaultStackFoldsTheAccessLog(t *testing.T) {
	var sink syncBuffer
	logger := slog.New(slog.NewJSONHandler(&sink, nil))
	h := middleware.DefaultStack(middleware.WithLogger(logger))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if e.ID() == "bad" {
			return nil, handler.Permanent(io.ErrUnexpectedEOF)
		}
		return nil, nil
	}))
	mux := http.NewServeMux()
	mux.Handle("POST /fn", httpserver.New(h, httpserver.WithLogger(logger)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(ctx, ln, mux, httpserver.WithServerLogger(logger), httpserver.WithDrainDelay(0))
	}()
	base := "http://" + ln.Addr().String()
	send := func(method, path, id string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "/test")
		req.Header.Set("ce-type", "com.example.t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send("POST", "/fn?token=secret", "ok"); got != http.StatusNoContent {
		t.Fatalf("POST /fn: %d", got)
	}
	if got := send("POST", "/fn", "bad"); got != http.StatusUnprocessableEntity {
		t.Fatalf("failing POST: %d", got)
	}
	if got := send("GET", "/nowhere", "x"); got != http.StatusNotFound {
		t.Fatalf("GET /nowhere: %d", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var invocations, requests []map[string]any
	for _, l := range sink.lines(t) {
		switch l["msg"] {
		case "invocation":
			invocations = append(invocations, l)
		case "request":
			requests = append(requests, l)
		}
	}
	if len(invocations) != 2 {
		t.Fatalf("%d invocation lines, want 2: %v", len(invocations), invocations)
	}
	for i, id := range []string{"ok", "bad"} {
		l := invocations[i]
		if l["event_id"] != id || l["method"] != "POST" || l["path"] != "/fn" {
			t.Errorf("invocation line %d: %v", i, l)
		}
	}
	if invocations[1]["outcome"] != "failure" || invocations[1]["error_class"] != "permanent" {
		t.Errorf("failing invocation line: %v", invocations[1])
	}
	if len(requests) != 1 || requests[0]["path"] != "/nowhere" || requests[0]["status"] != float64(404) {
		t.Fatalf("access-log lines %v, want only GET /nowhere's", requests)
	}
	if strings.Contains(sink.b.String(), "secret") {
		t.Fatal("the query reached the log")
	}
}
