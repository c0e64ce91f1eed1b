package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
)

// Publishing one binary-mode CloudEvent to a receiver on 127.0.0.1 that
// reads the body and answers 202: by hand with net/http (the floor),
// with fnkit's HTTPPublisher with and without its circuit breaker, and
// with the CloudEvents SDK's client.

type receiver struct {
	srv *httptest.Server
	got atomic.Int64
}

func newReceiver(tb testing.TB) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if req.Header.Get("Ce-Id") != "" {
			r.got.Add(1)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

func benchEvent() event.Event {
	e := event.New()
	e.SetID("7f1c0a52-3a1e-4b8e-9a55-0c2b2f7d3e11")
	e.SetSource("https://shop.example.com/orders")
	e.SetType("com.example.order.placed")
	_ = e.SetData("application/json", OrderJSON)
	return e
}

type publishFn func(ctx context.Context, e event.Event) error

func bareClient(tb testing.TB, url string) publishFn {
	c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	return func(ctx context.Context, e event.Event) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(e.Data()))
		if err != nil {
			return err
		}
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", e.ID())
		req.Header.Set("Ce-Source", e.Source())
		req.Header.Set("Ce-Type", e.Type())
		req.Header.Set("Content-Type", e.DataContentType())
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
}

func fnkitPublisher(breaker bool) func(testing.TB, string) publishFn {
	return func(tb testing.TB, url string) publishFn {
		opts := []events.HTTPOption{events.WithHTTPClient(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()})}
		if !breaker {
			opts = append(opts, events.WithoutCircuitBreaker())
		}
		p, err := events.NewHTTPPublisher(url, opts...)
		if err != nil {
			tb.Fatal(err)
		}
		return func(ctx context.Context, e event.Event) error { return p.Publish(ctx, e) }
	}
}

func sdkClientPublisher(tb testing.TB, url string) publishFn {
	c, err := cloudevents.NewClientHTTP(cloudevents.WithTarget(url))
	if err != nil {
		tb.Fatal(err)
	}
	return func(ctx context.Context, e event.Event) error {
		if res := c.Send(ctx, e); !cloudevents.IsACK(res) {
			return res
		}
		return nil
	}
}

var publishers = []struct {
	name string
	make func(testing.TB, string) publishFn
}{
	{"1-bare-nethttp", bareClient},
	{"2-fnkit-http-publisher", fnkitPublisher(true)},
	{"3-fnkit-http-publisher-no-breaker", fnkitPublisher(false)},
	{"4-cloudevents-sdk-client", sdkClientPublisher},
}

func TestPublishersDeliver(t *testing.T) {
	for _, p := range publishers {
		t.Run(p.name, func(t *testing.T) {
			r := newReceiver(t)
			pub := p.make(t, r.srv.URL)
			for range 3 {
				if err := pub(context.Background(), benchEvent()); err != nil {
					t.Fatal(err)
				}
			}
			if r.got.Load() != 3 {
				t.Fatalf("receiver got %d events, want 3", r.got.Load())
			}
		})
	}
}

// BenchmarkPublish sends one event per operation, one at a time.
func BenchmarkPublish(b *testing.B) {
	for _, p := range publishers {
		b.Run(p.name, func(b *testing.B) {
			r := newReceiver(b)
			pub := p.make(b, r.srv.URL)
			e := benchEvent()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := pub(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPublishParallel is the throughput with GOMAXPROCS×4 concurrent
// publishers sharing one publisher (and so one breaker).
func BenchmarkPublishParallel(b *testing.B) {
	for _, p := range publishers {
		b.Run(p.name, func(b *testing.B) {
			r := newReceiver(b)
			pub := p.make(b, r.srv.URL)
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				e := benchEvent()
				ctx := context.Background()
				for pb.Next() {
					if err := pub(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// accept is an in-process transport answering 202 to every request: it
// takes the network out, to show what each publisher itself costs.
type accept struct{}

func (accept) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusAccepted, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// BenchmarkPublishInProcess: the same publishers over the in-process
// transport (the CloudEvents SDK client is left out: it takes no
// http.Client of ours).
func BenchmarkPublishInProcess(b *testing.B) {
	client := &http.Client{Transport: accept{}}
	bare := func(ctx context.Context, e event.Event) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://sink.local/", bytes.NewReader(e.Data()))
		if err != nil {
			return err
		}
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", e.ID())
		req.Header.Set("Ce-Source", e.Source())
		req.Header.Set("Ce-Type", e.Type())
		req.Header.Set("Content-Type", e.DataContentType())
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	withBreaker, _ := events.NewHTTPPublisher("http://sink.local/", events.WithHTTPClient(client))
	noBreaker, _ := events.NewHTTPPublisher("http://sink.local/", events.WithHTTPClient(client), events.WithoutCircuitBreaker())
	noTimeout, _ := events.NewHTTPPublisher("http://sink.local/", events.WithHTTPClient(client), events.WithoutCircuitBreaker(), events.WithHTTPTimeout(0))
	for _, p := range []struct {
		name string
		fn   publishFn
	}{
		{"1-bare-nethttp", bare},
		{"2-fnkit-http-publisher", func(ctx context.Context, e event.Event) error { return withBreaker.Publish(ctx, e) }},
		{"3-fnkit-http-publisher-no-breaker", func(ctx context.Context, e event.Event) error { return noBreaker.Publish(ctx, e) }},
		{"4-fnkit-http-publisher-no-breaker-no-timeout", func(ctx context.Context, e event.Event) error { return noTimeout.Publish(ctx, e) }},
	} {
		b.Run(p.name, func(b *testing.B) {
			e := benchEvent()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.fn(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
