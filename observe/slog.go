package observe

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// TraceHandler wraps h so that every record logged with a context that
// carries a valid span (the *Context methods of slog.Logger, or LogAttrs)
// gets trace_id, and span_id when the span is sampled, as
// middleware.Logging's lines do. Records without such a context pass
// through unchanged. Use it for the process-wide logger:
//
//	slog.SetDefault(slog.New(observe.TraceHandler(slog.NewJSONHandler(os.Stderr, nil))))
func TraceHandler(h slog.Handler) slog.Handler {
	if h == nil {
		panic("observe: TraceHandler(nil)")
	}
	return &traceHandler{next: h}
}

type traceHandler struct{ next slog.Handler }

func (h *traceHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
		if sc.IsSampled() {
			r.AddAttrs(slog.String("span_id", sc.SpanID().String()))
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &traceHandler{next: h.next.WithAttrs(as)}
}

func (h *traceHandler) WithGroup(name string) slog.Handler {
	return &traceHandler{next: h.next.WithGroup(name)}
}
