package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler"
)

// WithDebugSampling makes Logging enable debug lines of the context logger
// (Logger) for a fraction rate of invocations, drawn at random per
// invocation, whatever the logger's level. Zero, the default, samples none;
// a rate outside [0, 1] panics.
func WithDebugSampling(rate float64) Option {
	if !(rate >= 0 && rate <= 1) {
		panic("middleware: WithDebugSampling: rate must be in [0, 1]")
	}
	return func(c *config) { c.debugRate = rate }
}

// WithDebugBuffer makes Logging keep the last n lines of the context
// logger below the logger's level (debug lines) per invocation, and write
// them, oldest first, only if the invocation fails; older ones are counted
// as "buffer_dropped" in the invocation line. Zero, the default, turns buffering off; negative panics.
func WithDebugBuffer(n int) Option {
	if n < 0 {
		panic("middleware: WithDebugBuffer: negative size")
	}
	return func(c *config) { c.bufferLen = n }
}

// WithRedactedKeys adds attribute keys, compared without regard to case,
// whose values Logging replaces by "[REDACTED]" in every line it writes,
// at any depth of groups and in header maps. The obvious secrets are always
// redacted (see DefaultRedactedKeys).
func WithRedactedKeys(keys ...string) Option {
	return func(c *config) { c.redact = append(c.redact, keys...) }
}

// DefaultRedactedKeys lists the attribute and header names that Logging
// always redacts.
func DefaultRedactedKeys() []string {
	return []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "password", "passwd",
		"secret", "client_secret", "token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "x-api-key"}
}

// Redacted is the value written in place of a redacted one.
const Redacted = "[REDACTED]"

// maxLogValue bounds the event attributes and error text written in an
// invocation line, so a hostile event cannot make a line huge.
const maxLogValue = 512

// Logging writes one structured line per invocation with log/slog, and
// gives the handler a logger (see Logger) that carries the event id and
// the trace and span ids.
//
// The line's message is "invocation"; its attributes are event_id,
// event_type, event_source, event_subject (when set), platform,
// request_id, attempt (when known), cold_start, duration, outcome
// ("success" or "failure"), and on failure error_class, error and, for a
// recovered panic, panic=true and its stack. It carries trace_id (and
// span_id when the span is sampled) when Tracing runs inside Logging, and
// correlation_id when Correlation runs outside it. Successes are logged at Info, throttled,
// invalid and permanent failures at Warn, retryable ones and panics at
// Error. Event data is never logged; values are cut at 512 bytes.
//
// A panic in the handler is recovered into a *handler.PanicError, logged
// as one, and returned, as handler.Call would have done. Reads WithLogger,
// WithDebugSampling, WithDebugBuffer, WithRedactedKeys and WithClock.
//
// Adapters that write an access log of their own can use Logging as that
// log instead, so that each request is logged once: see LogInvocation.
func Logging(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	l := &logging{
		raw:    cfg.logger.Handler(),
		base:   newRedactor(cfg.logger.Handler(), cfg.redact),
		now:    cfg.now,
		random: cfg.random,
		rate:   cfg.debugRate,
		bufLen: cfg.bufferLen,
	}
	return func(next handler.Handler) handler.Handler {
		return &loggingHandler{l: l, next: next}
	}
}

type logging struct {
	raw    slog.Handler // the invocation line: its keys are fixed and none is secret
	base   slog.Handler // the context logger's lines, redacted
	now    func() time.Time
	random func() float64
	rate   float64
	bufLen int

	lastSource atomic.Pointer[sourceMemo]
	lastLine   atomic.Pointer[lineMemo]
	lines      sync.Map // lineKey → *lineMemo
	nLines     atomic.Int32
}

type loggingHandler struct {
	l    *logging
	next handler.Handler
}

// logState is one invocation's logging state, reachable from its context.
type logState struct {
	context.Context
	l       *logging
	e       event.Event
	span    trace.SpanContext // set by Tracing
	sampled bool

	mu      sync.Mutex
	buf     []buffered
	dropped int
	logger  *slog.Logger
	loggerS trace.SpanContext
}

type logStateKey struct{}

// buffered is a debug line kept for a failure, with the handler (and so
// the attributes and groups) of the logger that made it.
type buffered struct {
	h slog.Handler
	r slog.Record
}

// Value returns the state for its key and delegates the rest, so that the
// state and its context are one allocation.
func (s *logState) Value(key any) any {
	if key == (logStateKey{}) {
		return s
	}
	return s.Context.Value(key)
}

func logStateFrom(ctx context.Context) *logState {
	s, _ := ctx.Value(logStateKey{}).(*logState)
	return s
}

func (h *loggingHandler) Handle(ctx context.Context, e event.Event) (reply *event.Event, err error) {
	l := h.l
	start := l.now()
	st := &logState{Context: ctx, l: l, e: e}
	if l.rate > 0 && l.random() < l.rate {
		st.sampled = true
	}
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, newPanicError(v)
		}
		l.write(ctx, st, start, err)
	}()
	return h.next.Handle(st, e)
}

func (l *logging) write(ctx context.Context, st *logState, start time.Time, err error) {
	class := handler.ClassOf(err)
	level := slog.LevelInfo
	var perr *handler.PanicError
	isPanic := err != nil && errors.As(err, &perr)
	switch {
	case class == handler.ClassNone:
	case class == handler.ClassRetryable || isPanic:
		level = slog.LevelError
	default:
		level = slog.LevelWarn
	}
	if err != nil && (st.buf != nil || st.dropped > 0) {
		st.mu.Lock()
		for _, b := range st.buf {
			_ = b.h.Handle(ctx, b.r)
		}
		st.mu.Unlock()
	}
	if !l.raw.Enabled(ctx, level) {
		return
	}
	src := l.sourceString(&st.e)
	inv, hasInv := handler.InvocationFrom(ctx)
	h, withKind := l.lineHandler(lineKey{typ: st.e.Type(), src: src, platform: inv.Platform, hasInv: hasInv, cold: inv.ColdStart, failed: err != nil}), true
	if h == nil {
		h, withKind = l.raw, false
	}
	logInvocation(ctx, h, level, &st.e, src, withKind, &InvocationRecord{
		Start: start, Duration: l.now().Sub(start), Err: err, Span: st.span,
		Correlation: CorrelationID(ctx), Dropped: st.dropped,
	})
}

// lineKey is what the invocation line's memoized handler has already
// formatted: the attributes that rarely change between invocations.
type lineKey struct {
	typ, src, platform string
	hasInv, cold       bool
	failed             bool
}

// lineMemo is l.raw with a lineKey's attributes added, so that slog
// formats them once, not on every line.
type lineMemo struct {
	key lineKey
	h   slog.Handler
}

// maxLineMemos bounds the handlers kept by lineHandler: a function sees a
// few kinds of events, and a flood of made-up types must not grow memory.
const maxLineMemos = 64

// lineHandler returns the handler of the invocation line for key, with
// event_type, event_source, platform, cold_start and outcome already added: the
// last one used when key is the same (a function mostly receives one type
// of event from one source), else one of up to maxLineMemos kept, else
// nil (the caller then writes every attribute itself), as it does for
// values longer than maxLogValue.
func (l *logging) lineHandler(key lineKey) slog.Handler {
	if m := l.lastLine.Load(); m != nil && m.key == key {
		return m.h
	}
	if v, ok := l.lines.Load(key); ok {
		m := v.(*lineMemo)
		l.lastLine.Store(m)
		return m.h
	}
	if len(key.typ) > maxLogValue || len(key.src) > maxLogValue || len(key.platform) > maxLogValue {
		return nil // kept as a key, a huge value would stay in memory
	}
	if l.nLines.Add(1) > maxLineMemos {
		l.nLines.Add(-1)
		return nil
	}
	as := []slog.Attr{slog.String("event_type", clip(key.typ)), slog.String("event_source", clip(key.src))}
	if key.hasInv {
		as = append(as, slog.String("platform", key.platform), slog.Bool("cold_start", key.cold))
	}
	as = append(as, slog.String("outcome", outcome(key.failed)))
	m := &lineMemo{key: key, h: l.raw.WithAttrs(as)}
	if v, loaded := l.lines.LoadOrStore(key, m); loaded {
		l.nLines.Add(-1)
		m = v.(*lineMemo)
	}
	l.lastLine.Store(m)
	return m.h
}

// InvocationRecord is what LogInvocation writes about one invocation
// besides the event and the handler.Invocation in the context.
type InvocationRecord struct {
	// Start is when the invocation started; Duration how long it took.
	Start    time.Time
	Duration time.Duration
	// Err is the handler's error, nil on success.
	Err error
	// Span is the invocation's span context; the zero value writes none.
	Span trace.SpanContext
	// Correlation is the correlation id, "" for none.
	Correlation string
	// Dropped counts debug lines that did not fit the buffer.
	Dropped int
	// Attrs are more attributes to write, for example an HTTP status.
	Attrs []slog.Attr
}

// LogInvocation writes the invocation line that Logging writes, through
// h at level, for event e (which may be nil when decoding failed) and the
// handler.Invocation in ctx. Adapters that keep an access log call it, with
// their own attributes in rec.Attrs, instead of writing a second line for
// the same request; wrap h with RedactingHandler to redact as Logging does.
func LogInvocation(ctx context.Context, h slog.Handler, level slog.Level, e *event.Event, rec InvocationRecord) {
	src := ""
	if e != nil {
		src = e.Source()
	}
	logInvocation(ctx, h, level, e, src, false, &rec)
}

// outcome is the invocation line's outcome attribute.
func outcome(failed bool) string {
	if failed {
		return "failure"
	}
	return "success"
}

// logInvocation writes the invocation line; withKind says h already has
// event_type, event_source, platform, cold_start and outcome (see
// lineHandler).
func logInvocation(ctx context.Context, h slog.Handler, level slog.Level, e *event.Event, src string, withKind bool, rec *InvocationRecord) {
	var buf [20]slog.Attr // one AddAttrs call: the record grows once
	as := buf[:0]
	if e != nil {
		as = append(as, slog.String("event_id", clip(e.ID())))
		if !withKind {
			as = append(as, slog.String("event_type", clip(e.Type())), slog.String("event_source", clip(src)))
		}
		if s := e.Subject(); s != "" {
			as = append(as, slog.String("event_subject", clip(s)))
		}
	}
	if inv, ok := handler.InvocationFrom(ctx); ok {
		if !withKind {
			as = append(as, slog.String("platform", inv.Platform))
		}
		if inv.RequestID != "" {
			as = append(as, slog.String("request_id", clip(inv.RequestID)))
		}
		if inv.Attempt > 0 {
			as = append(as, slog.Int("attempt", inv.Attempt))
		}
		if !withKind {
			as = append(as, slog.Bool("cold_start", inv.ColdStart))
		}
		if a := inv.AccessLog; a != nil { // this line stands for the adapter's access log
			a.Claim()
			as = append(as, slog.String("method", a.Method), slog.String("path", clip(a.Path)))
		}
	}
	if rec.Correlation != "" {
		as = append(as, slog.String("correlation_id", rec.Correlation))
	}
	if rec.Span.IsValid() {
		as = append(as, slog.String("trace_id", rec.Span.TraceID().String()))
		if rec.Span.IsSampled() { // an unsampled span is recorded nowhere: its id would lead nowhere
			as = append(as, slog.String("span_id", rec.Span.SpanID().String()))
		}
	}
	as = append(as, slog.Duration("duration", rec.Duration))
	if !withKind {
		as = append(as, slog.String("outcome", outcome(rec.Err != nil)))
	}
	if rec.Err != nil {
		as = append(as, slog.String("error_class", handler.ClassOf(rec.Err).String()), slog.String("error", clip(rec.Err.Error())))
		var p *handler.PanicError
		if errors.As(rec.Err, &p) {
			as = append(as, slog.Bool("panic", true), slog.String("stack", string(p.Stack)))
		}
	}
	if rec.Dropped > 0 {
		as = append(as, slog.Int("buffer_dropped", rec.Dropped))
	}
	as = append(as, rec.Attrs...)
	r := slog.NewRecord(rec.Start.Add(rec.Duration), level, "invocation", 0)
	r.AddAttrs(as...)
	_ = h.Handle(ctx, r)
}

type sourceMemo struct {
	u url.URL
	s string
}

// sourceString returns e.Source() without formatting the URL again when
// it is the one last seen: a function that receives events from one source
// formats it once.
func (l *logging) sourceString(e *event.Event) string {
	c, ok := e.Context.(*event.EventContextV1)
	if !ok {
		return e.Source()
	}
	if m := l.lastSource.Load(); m != nil && m.u == c.Source.URL {
		return m.s
	}
	m := &sourceMemo{u: c.Source.URL, s: c.Source.String()}
	l.lastSource.Store(m)
	return m.s
}

func clip(s string) string {
	if len(s) <= maxLogValue {
		return s
	}
	cut := maxLogValue
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// Logger returns the logger for the invocation in ctx: Logging's logger
// with the event_id, and trace_id and span_id when ctx has a span. Its debug
// lines follow WithDebugSampling and WithDebugBuffer. Outside Logging it
// returns slog.Default(). It is cheap to call again with the same ctx.
func Logger(ctx context.Context) *slog.Logger {
	st := logStateFrom(ctx)
	if st == nil {
		return slog.Default()
	}
	sc := trace.SpanContextFromContext(ctx)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.logger != nil && st.loggerS.Equal(sc) {
		return st.logger
	}
	lg := slog.New(&invHandler{st: st, next: st.l.base}).With(slog.String("event_id", clip(st.e.ID())))
	if sc.IsValid() {
		lg = lg.With(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	st.logger, st.loggerS = lg, sc
	return lg
}

// invHandler is the context logger's handler: it enables sampled debug
// lines and buffers the others.
type invHandler struct {
	st   *logState
	next slog.Handler
}

func (h *invHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l) || h.st.sampled || h.st.l.bufLen > 0
}

func (h *invHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.st.sampled || h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.buf) >= st.l.bufLen {
		copy(st.buf, st.buf[1:])
		st.buf = st.buf[:len(st.buf)-1]
		st.dropped++
	}
	st.buf = append(st.buf, buffered{h.next, r.Clone()})
	return nil
}

func (h *invHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &invHandler{st: h.st, next: h.next.WithAttrs(as)}
}

func (h *invHandler) WithGroup(name string) slog.Handler {
	return &invHandler{st: h.st, next: h.next.WithGroup(name)}
}
