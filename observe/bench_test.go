package observe

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
)

func benchStack(b *testing.B, vars map[string]string, extra ...Option) {
	tel, err := FromEnv(context.Background(), append([]Option{WithoutGlobals(), WithLogger(slog.New(slog.DiscardHandler)), env(vars)}, extra...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()
	opts := append(tel.Options(), middleware.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	h := handler.Chain(tel.FlushMiddleware(), middleware.DefaultStack(opts...))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	e := handlertest.NewEvent()
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformAWSLambda, RequestID: "r"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Handle(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStackNoEndpoint: FromEnv without an endpoint, the default stack
// and FlushMiddleware (a no-op then).
func BenchmarkStackNoEndpoint(b *testing.B) { benchStack(b, map[string]string{}) }

// BenchmarkStackFlushOTLP: every invocation sampled and exported to a
// loopback OTLP receiver before it returns, as on Lambda.
func BenchmarkStackFlushOTLP(b *testing.B) {
	rcv := newReceiver(b)
	benchStack(b, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.url, "OTEL_METRICS_EXPORTER": "none"})
}

// BenchmarkStackFlushEMF: metrics written as EMF after every invocation.
func BenchmarkStackFlushEMF(b *testing.B) {
	benchStack(b, map[string]string{}, WithEMF(io.Discard, "bench"))
}
