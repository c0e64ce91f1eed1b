package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// jsonLogger returns a JSON logger at level writing to a buffer.
func jsonLogger(level slog.Level) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level})), buf
}

// lines parses every JSON line of buf, failing on a line that is not JSON.
func lines(tb testing.TB, buf *syncBuffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			tb.Fatalf("log line is not JSON (%v): %q", err, l)
		}
		out = append(out, m)
	}
	return out
}

// byMsg returns the lines whose msg is msg.
func byMsg(ls []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range ls {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func ok(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }

func failWith(err error) handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, err })
}

// invoke runs h on e with an HTTP invocation in ctx.
func invoke(ctx context.Context, h handler.Handler, e event.Event) (*event.Event, error) {
	if _, found := handler.InvocationFrom(ctx); !found {
		ctx = handler.WithInvocation(ctx, &handler.Invocation{Platform: handler.PlatformHTTP, RequestID: "req-1", Attempt: 1})
	}
	return h.Handle(ctx, e)
}

func newEvent(opts ...handlertest.EventOption) event.Event { return handlertest.NewEvent(opts...) }

// handlerFunc returns a handler that calls f with its context.
func handlerFunc(f func(ctx context.Context)) handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		f(ctx)
		return nil, nil
	})
}
