package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Handler serves a handler.Handler over HTTP. Make it with New.
type Handler struct {
	h      handler.Handler
	cfg    config
	served atomic.Bool // false until the first request: the cold start
	source atomic.Pointer[parsedSource]
}

var _ http.Handler = (*Handler)(nil)

// New returns an http.Handler that delivers each POSTed CloudEvent to h and
// answers with h's reply. See the package documentation for the accepted
// modes and the status table. New panics if h is nil.
func New(h handler.Handler, opts ...Option) *Handler {
	if h == nil {
		panic("httpserver: New(nil)")
	}
	return &Handler{h: h, cfg: newConfig(opts)}
}

// ServeHTTP decodes the request into one event (or a batch), calls the
// handler, and writes the reply in the request's mode.
func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions && len(a.cfg.origins) > 0 {
		a.webhookHandshake(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		NewProblem(http.StatusMethodNotAllowed, "send events with POST, not "+r.Method).Write(w)
		return
	}
	m, err := modeOf(r.Header)
	if err != nil {
		a.fail(w, r, nil, err)
		return
	}
	body, err := readBody(r, a.cfg.maxBody)
	if err != nil {
		a.fail(w, r, nil, err)
		return
	}
	in := &inbound{}
	var e event.Event
	switch m {
	case modeBatch:
		a.serveBatch(w, r, in, body)
		return
	case modeBinary:
		e, err = decodeBinary(in, r.Header, body, &a.source)
	case modeStructured:
		e, err = decodeStructured(body)
	default:
		e, err = a.decodePlain(in, r, body)
	}
	if err != nil {
		a.fail(w, r, nil, err)
		return
	}
	ctx, cancel := a.context(w, r, in)
	reply, err := handler.Call(ctx, a.h, e)
	if cancel != nil {
		cancel()
	}
	if err != nil {
		a.fail(w, r, &e, err)
		return
	}
	if reply == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if m == modeStructured {
		err = writeStructured(w, reply)
	} else {
		err = writeBinary(w, reply, in)
	}
	if err != nil {
		a.fail(w, r, &e, err)
	}
}

// context derives the handler's context: the invocation metadata (with
// the access-log line of w, for middleware.Logging to take over) and, if
// configured, the timeout.
func (a *Handler) context(w http.ResponseWriter, r *http.Request, in *inbound) (context.Context, context.CancelFunc) {
	ctx := r.Context()
	var cancel context.CancelFunc
	if a.cfg.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, a.cfg.timeout)
	}
	// An adapter in front (Lambda behind API Gateway) may have described
	// the invocation already: keep what it said.
	outer, hasOuter := handler.InvocationFrom(ctx)
	if hasOuter {
		generated := in.inv.IDGenerated
		in.inv = outer
		in.inv.IDGenerated = generated
	} else {
		in.inv.Platform = a.cfg.platform
	}
	in.inv.Sync = true
	in.inv.Headers = r.Header
	if l := accessLogOf(w); l != nil {
		in.inv.AccessLog = l
	}
	if in.inv.RequestID == "" {
		in.inv.RequestID = headerValue(r.Header, "X-Request-Id")
	}
	if d, ok := ctx.Deadline(); ok {
		in.inv.Deadline = d
	}
	// The outer adapter knows whether the process is warm.
	if !hasOuter && !a.served.Load() {
		in.inv.ColdStart = a.served.CompareAndSwap(false, true)
	}
	return handler.WithInvocation(ctx, &in.inv), cancel
}

// fail answers a failed request with a problem document and logs it.
func (a *Handler) fail(w http.ResponseWriter, r *http.Request, e *event.Event, err error) {
	p := ProblemFor(err)
	a.logFailure(r, e, p.Status, err)
	p.Write(w)
}

func (a *Handler) logFailure(r *http.Request, e *event.Event, status int, err error) {
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	logger := a.cfg.logger
	if logger == nil {
		logger = slog.Default()
	}
	ctx := r.Context()
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.Int("status", status),
		slog.String("class", handler.ClassOf(err).String()),
		slog.String("error", err.Error()),
		slog.String("path", r.URL.Path),
	}
	if e != nil {
		attrs = append(attrs, slog.String("ce_id", e.ID()), slog.String("ce_type", e.Type()))
	}
	var p *handler.PanicError
	if errors.As(err, &p) {
		attrs = append(attrs, slog.String("stack", string(p.Stack)))
	}
	logger.LogAttrs(ctx, level, "event failed", attrs...)
}

// decodePlain tries the configured PlainDecoders, then the plain mapping.
func (a *Handler) decodePlain(in *inbound, r *http.Request, body []byte) (event.Event, error) {
	for _, d := range a.cfg.decoders {
		e, attempt, ok, err := d(r, body)
		if err != nil {
			return event.Event{}, err
		}
		if ok {
			if err := checkEvent(&e); err != nil {
				return event.Event{}, err
			}
			if attempt > 0 {
				in.inv.Attempt = attempt
			}
			return e, nil
		}
	}
	return decodePlain(in, r, body, &a.cfg, &a.source)
}

// webhookHandshake answers the CloudEvents webhook validation request.
func (a *Handler) webhookHandshake(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("WebHook-Request-Origin")
	if origin == "" {
		w.Header().Set("Allow", "OPTIONS, POST")
		NewProblem(http.StatusBadRequest, "an OPTIONS request must carry WebHook-Request-Origin (the CloudEvents webhook validation handshake)").Write(w)
		return
	}
	for _, o := range a.cfg.origins {
		if o == "*" || strings.EqualFold(o, origin) {
			w.Header().Set("WebHook-Allowed-Origin", origin)
			w.Header().Set("WebHook-Allowed-Rate", a.cfg.rate)
			w.Header().Set("Allow", "OPTIONS, POST")
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	NewProblem(http.StatusForbidden, "deliveries from "+origin+" are not allowed").Write(w)
}
