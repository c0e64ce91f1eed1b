package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	_ "unsafe" // go:linkname

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/protocol"
	"github.com/cloudevents/sdk-go/v2/client"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	// Imported for wrapCloudEventFunction below.
	_ "github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
)

// ffWrapCloudEventFunction is how functions-framework-go turns a CloudEvent
// function into the http.Handler it serves. The framework exposes it only
// through its own ListenAndServe, so the benchmark reaches it by linkname to
// measure it through ServeHTTP like the others.
//
//go:linkname ffWrapCloudEventFunction github.com/GoogleCloudPlatform/functions-framework-go/funcframework.wrapCloudEventFunction
func ffWrapCloudEventFunction(ctx context.Context, fn func(context.Context, cloudevents.Event) error) (http.Handler, error)

// The workload: one ~200-byte JSON CloudEvent in binary mode, decoded into
// Order, answered with a small Receipt.
type Order struct {
	OrderID  string `json:"orderId"`
	Customer string `json:"customer"`
	Items    []Item `json:"items"`
	Note     string `json:"note"`
}

type Item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type Receipt struct {
	OrderID string `json:"orderId"`
	Units   int    `json:"units"`
}

var orderJSON = []byte(`{"orderId":"ord-20261124-000042","customer":"ada.lovelace@example.com",` +
	`"items":[{"sku":"tea-earl-grey-250g","qty":2},{"sku":"cup-porcelain-white","qty":1},{"sku":"saucer-white","qty":1}],` +
	`"note":"leave at the door"}`)

func process(o Order) Receipt {
	units := 0
	for _, it := range o.Items {
		units += it.Qty
	}
	return Receipt{OrderID: o.OrderID, Units: units}
}

const wantReply = `{"orderId":"ord-20261124-000042","units":4}`

func newRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://bench.local/", nil)
	r.Header.Set("Ce-Specversion", "1.0")
	r.Header.Set("Ce-Id", "7f1c0a52-3a1e-4b8e-9a55-0c2b2f7d3e11")
	r.Header.Set("Ce-Source", "https://shop.example.com/orders")
	r.Header.Set("Ce-Type", "com.example.order.placed")
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(orderJSON))
	return r
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

// bareHandler is the floor: net/http doing the same work by hand.
func bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		id, source, typ := r.Header.Get("Ce-Id"), r.Header.Get("Ce-Source"), r.Header.Get("Ce-Type")
		if r.Header.Get("Ce-Specversion") != "1.0" || id == "" || source == "" || typ == "" {
			http.Error(w, "not a CloudEvent", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var o Order
		if err := json.Unmarshal(body, &o); err != nil {
			http.Error(w, "bad data", http.StatusBadRequest)
			return
		}
		out, err := json.Marshal(process(o))
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Ce-Specversion", "1.0")
		h.Set("Ce-Id", id+"-reply")
		h.Set("Ce-Source", source)
		h.Set("Ce-Type", typ+".reply")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
	})
}

func fnkitHandler() http.Handler {
	return httpserver.New(handler.Typed(func(ctx context.Context, o Order) (Receipt, error) {
		return process(o), nil
	}))
}

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
			if err := reply.SetData(event.ApplicationJSON, process(o)); err != nil {
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
		_ = process(o)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

type peer struct {
	name      string
	h         func(testing.TB) http.Handler
	wantReply bool
}

var peers = []peer{
	{"1-bare-nethttp", func(testing.TB) http.Handler { return bareHandler() }, true},
	{"2-fnkit-httpserver", func(testing.TB) http.Handler { return fnkitHandler() }, true},
	{"3-cloudevents-sdk-receiver", sdkHandler, true},
	{"4-functions-framework-go", ffHandler, false},
}

func serveOnce(h http.Handler, r *http.Request, w *sink, body *bytes.Reader) {
	body.Reset(orderJSON)
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
			serveOnce(h, newRequest(), w, bytes.NewReader(nil))
			if w.status != 0 && w.status >= 300 {
				t.Fatalf("status %d body %s", w.status, w.body.String())
			}
			if p.wantReply {
				if got := strings.TrimSpace(w.body.String()); got != wantReply {
					t.Fatalf("reply %q, want %q", got, wantReply)
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
			r := newRequest()
			w := &sink{header: http.Header{}}
			body := bytes.NewReader(nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(orderJSON)))
			for b.Loop() {
				serveOnce(h, r, w, body)
			}
		})
	}
}
