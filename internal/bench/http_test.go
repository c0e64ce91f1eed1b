package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	_ "unsafe" // go:linkname

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/client"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/protocol"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	// Imported for wrapCloudEventFunction below.
	_ "github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

// ffWrapCloudEventFunction is how functions-framework-go turns a CloudEvent
// function into the http.Handler it serves. The framework exposes it only
// through its own ListenAndServe, so the benchmark reaches it by linkname to
// measure it through ServeHTTP like the others.
//
//go:linkname ffWrapCloudEventFunction github.com/GoogleCloudPlatform/functions-framework-go/funcframework.wrapCloudEventFunction
func ffWrapCloudEventFunction(ctx context.Context, fn func(context.Context, cloudevents.Event) error) (http.Handler, error)

func sdkHandler(tb testing.TB) http.Handler {
	p, err := cehttp.New()
	if err != nil {
		tb.Fatal(err)
	}
	h, err := client.NewHTTPReceiveHandler(context.Background(), p,
		func(ctx context.Context, e event.Event) (*event.Event, protocol.Result) {
			var o Order
			if err := e.DataAs(&o); err != nil {
				return nil, cehttp.NewResult(http.StatusBadRequest, "bad data: %v", err)
			}
			reply := event.New()
			reply.SetID(e.ID() + "-reply")
			reply.SetSource(e.Source())
			reply.SetType(e.Type() + ".reply")
			if err := reply.SetData(event.ApplicationJSON, Process(o)); err != nil {
				return nil, err
			}
			return &reply, nil
		})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// ffHandler is a functions-framework-go CloudEvent function. Such functions
// cannot reply (they return only an error), so it decodes and processes
// but answers without a body.
func ffHandler(tb testing.TB) http.Handler {
	h, err := ffWrapCloudEventFunction(context.Background(), func(ctx context.Context, e cloudevents.Event) error {
		var o Order
		if err := e.DataAs(&o); err != nil {
			return err
		}
		_ = Process(o)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// sink is a reusable ResponseWriter, so that the benchmarks measure the
// adapters and not httptest.ResponseRecorder.
type sink struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (s *sink) Header() http.Header         { return s.header }
func (s *sink) WriteHeader(code int)        { s.status = code }
func (s *sink) Write(b []byte) (int, error) { return s.body.Write(b) }
func (s *sink) reset() {
	clear(s.header)
	s.status = 0
	s.body.Reset()
}

type peer struct {
	name      string
	h         func(testing.TB) http.Handler
	WantReply bool
}

var peers = []peer{
	{"1-bare-nethttp", func(testing.TB) http.Handler { return BareHandler() }, true},
	{"2-fnkit-httpserver", func(testing.TB) http.Handler { return FnkitHandler() }, true},
	{"3-cloudevents-sdk-receiver", sdkHandler, true},
	{"4-functions-framework-go", ffHandler, false},
}

func serveOnce(h http.Handler, r *http.Request, w *sink, body *bytes.Reader) {
	body.Reset(OrderJSON)
	r.Body = io.NopCloser(body)
	w.reset()
	h.ServeHTTP(w, r)
}

// TestPeersDoTheWork checks that every benchmarked handler really decodes
// the event and answers it, so the comparison is fair.
func TestPeersDoTheWork(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			h := p.h(t)
			w := &sink{header: http.Header{}}
			serveOnce(h, NewRequest(), w, bytes.NewReader(nil))
			if w.status != 0 && w.status >= 300 {
				t.Fatalf("status %d body %s", w.status, w.body.String())
			}
			if p.WantReply {
				if got := strings.TrimSpace(w.body.String()); got != WantReply {
					t.Fatalf("reply %q, want %q", got, WantReply)
				}
				if w.header.Get("Ce-Type") != "com.example.order.placed.reply" || w.header.Get("Ce-Id") == "" {
					t.Fatalf("reply headers %v", w.header)
				}
			}
		})
	}
}

// BenchmarkHTTPBinaryEvent compares the four ways of serving one binary-mode
// CloudEvent through ServeHTTP.
func BenchmarkHTTPBinaryEvent(b *testing.B) {
	for _, p := range peers {
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
