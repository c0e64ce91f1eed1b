package bench

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/handler"
)

// The same binary-mode CloudEvent through functions-framework-go's own
// CloudEvent handler (wrapCloudEventFunction, reached by linkname in
// http_test.go), once with a bare framework function and once with fnkit's
// adapter around a handler doing the same work: decode the data into an
// Order (e.DataAs), process it, succeed.

// cfProcessed counts orders processed by the peers, for the test.
var cfProcessed atomic.Int64

func ffBare(tb testing.TB) http.Handler {
	h, err := ffWrapCloudEventFunction(context.Background(), func(ctx context.Context, e cloudevents.Event) error {
		var o Order
		if err := e.DataAs(&o); err != nil {
			return err
		}
		_ = Process(o)
		cfProcessed.Add(1)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// ffFnkit is fnkit's adapter with a handler.Func doing the bare work.
func ffFnkit(tb testing.TB) http.Handler {
	h := handler.Func(func(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
		var o Order
		if err := e.DataAs(&o); err != nil {
			return nil, handler.InvalidInput(err)
		}
		_ = Process(o)
		cfProcessed.Add(1)
		return nil, nil
	})
	fn := cloudfunctions.CloudEventFunc(h, cloudfunctions.WithLogger(slog.New(slog.DiscardHandler)))
	w, err := ffWrapCloudEventFunction(context.Background(), fn)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// ffFnkitTyped is fnkit's adapter with a typed handler (decode by content
// type, validation, no hand-written decoding).
func ffFnkitTyped(tb testing.TB) http.Handler {
	h := handler.TypedNoReply(func(ctx context.Context, o Order) error {
		_ = Process(o)
		cfProcessed.Add(1)
		return nil
	})
	fn := cloudfunctions.CloudEventFunc(h, cloudfunctions.WithLogger(slog.New(slog.DiscardHandler)))
	w, err := ffWrapCloudEventFunction(context.Background(), fn)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

var cfPeers = []peer{
	{"1-functions-framework-go", ffBare, false},
	{"2-fnkit-cloudfunctions", ffFnkit, false},
	{"3-fnkit-cloudfunctions-typed", ffFnkitTyped, false},
}

// TestCloudFunctionsPeersDoTheWork checks that each benchmarked function
// is reached and processes the order, and that a body that does not decode
// fails: with 500 in the bare function (any error), with 200 in fnkit
// (invalid input is acknowledged, never retried).
func TestCloudFunctionsPeersDoTheWork(t *testing.T) {
	for _, p := range cfPeers {
		t.Run(p.name, func(t *testing.T) {
			h := p.h(t)
			w := &sink{header: http.Header{}}
			before := cfProcessed.Load()
			serveOnce(h, NewRequest(), w, bytes.NewReader(nil))
			if w.status != http.StatusOK || cfProcessed.Load() != before+1 {
				t.Fatalf("status %d, %d orders processed; body %s", w.status, cfProcessed.Load()-before, w.body.String())
			}
			bad := []byte(`{"orderId": 5`)
			r := NewRequest()
			r.ContentLength = int64(len(bad))
			r.Body = nopCloser{bytes.NewReader(bad)}
			w.reset()
			h.ServeHTTP(w, r)
			want := http.StatusOK
			if p.name == "1-functions-framework-go" {
				want = http.StatusInternalServerError
			}
			if w.status != want || cfProcessed.Load() != before+1 {
				t.Fatalf("a bad body answered %d (want %d), %d orders processed", w.status, want, cfProcessed.Load()-before)
			}
		})
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// BenchmarkCloudFunctionsEvent: fnkit's cloudfunctions adapter against a
// bare functions-framework-go CloudEvent function, in-process.
func BenchmarkCloudFunctionsEvent(b *testing.B) {
	for _, p := range cfPeers {
		b.Run(p.name, func(b *testing.B) {
			h := p.h(b)
			r := NewRequest()
			w := &sink{header: http.Header{}}
			body := bytes.NewReader(nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(OrderJSON)))
			for b.Loop() {
				serveOnce(h, r, w, body)
			}
		})
	}
}
