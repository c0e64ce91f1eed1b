package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/middleware"
)

// stackHandler is FnkitHandler with middleware.DefaultStack: logging at
// info (JSON to io.Discard), tracing on a never-sampling SDK provider and
// metrics on an SDK provider, as a function with observe set up and
// sampling off would run.
func stackHandler(tb testing.TB) http.Handler {
	tb.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := handler.Chain(middleware.DefaultStack(middleware.WithLogger(logger), middleware.WithTracerProvider(tp),
		middleware.WithMeterProvider(mp)))(handler.Typed(func(ctx context.Context, o Order) (Receipt, error) {
		return Process(o), nil
	}))
	return httpserver.New(h, httpserver.WithLogger(logger))
}

func TestStackDoesTheWork(t *testing.T) {
	h := stackHandler(t)
	w := &sink{header: http.Header{}}
	serveOnce(h, NewRequest(), w, bytes.NewReader(nil))
	if w.status != 0 && w.status != http.StatusOK || w.body.String() != WantReply {
		t.Fatalf("status %d body %q", w.status, w.body.String())
	}
}

// BenchmarkHTTPMiddleware: one binary-mode CloudEvent through ServeHTTP,
// bare net/http, fnkit without middleware, fnkit with the default stack.
func BenchmarkHTTPMiddleware(b *testing.B) {
	for _, c := range []struct {
		name string
		h    func(testing.TB) http.Handler
	}{
		{"1-bare-nethttp", func(testing.TB) http.Handler { return BareHandler() }},
		{"2-fnkit", func(testing.TB) http.Handler { return FnkitHandler() }},
		{"3-fnkit-default-stack", stackHandler},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := c.h(b)
			r := NewRequest()
			w := &sink{header: http.Header{}}
			body := bytes.NewReader(nil)
			b.ReportAllocs()
			for b.Loop() {
				serveOnce(h, r, w, body)
			}
		})
	}
}

// BenchmarkLoopbackMiddleware serves each handler on 127.0.0.1 and sends
// requests from parallel keep-alive clients in the same process; it reports
// requests/s. Client and server share the machine's cores, so compare the
// rows of one run, not with internal/bench/loadtest.sh.
func BenchmarkLoopbackMiddleware(b *testing.B) {
	for _, c := range []struct {
		name string
		h    func(testing.TB) http.Handler
	}{
		{"1-bare-nethttp", func(testing.TB) http.Handler { return BareHandler() }},
		{"2-fnkit", func(testing.TB) http.Handler { return FnkitHandler() }},
		{"3-fnkit-default-stack", stackHandler},
	} {
		b.Run(c.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: c.h(b)}
			go func() { _ = srv.Serve(ln) }()
			defer srv.Close()
			url := "http://" + ln.Addr().String() + "/"
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			var next atomic.Int64
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						req := NewRequest()
						req.URL, _ = req.URL.Parse(url)
						req.Host = ""
						req.Body = io.NopCloser(bytes.NewReader(OrderJSON))
						resp, err := client.Do(req)
						if err != nil {
							failed.Add(1)
							continue
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			if failed.Load() > 0 {
				b.Fatalf("%d failed requests", failed.Load())
			}
		})
	}
}
