package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fnkit/fnkit/internal/ceheader"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/sony/gobreaker/v2"

	"github.com/fnkit/fnkit/handler"
)

// Defaults of the HTTP publisher.
const (
	DefaultHTTPTimeout     = 10 * time.Second
	DefaultHTTPRetries     = 3
	DefaultBackoffBase     = 100 * time.Millisecond
	DefaultBackoffMax      = 5 * time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 10 * time.Second
)

// Errors of the HTTP publisher, matched with errors.Is.
var (
	// ErrCircuitOpen is matched by the error of an event not sent because
	// the circuit breaker is open: the sink failed repeatedly just before.
	// It is retryable.
	ErrCircuitOpen = errors.New("events: circuit breaker open: the sink is failing")
	// ErrNoSink is returned by HTTPPublisherFromEnv when K_SINK is not set.
	ErrNoSink = errors.New("events: K_SINK is not set")
)

// StatusError is a sink's answer other than 2xx.
type StatusError struct {
	// Target is the sink's URL.
	Target string
	// StatusCode is the HTTP status of the last answer.
	StatusCode int
	// Body is the start of the answer's body (at most 512 bytes), for logs.
	Body string
	// Attempts is how many times the event was sent.
	Attempts int
}

// Error names the sink, the status and the number of attempts.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("events: sink %s answered %d %s", e.Target, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Body != "" {
		s += ": " + strconv.Quote(e.Body)
	}
	return s
}

// HTTPOption configures NewHTTPPublisher.
type HTTPOption func(*httpConfig)

type httpConfig struct {
	client      *http.Client
	timeout     time.Duration
	retries     int
	base, max   time.Duration
	failures    int // 0: no breaker
	cooldown    time.Duration
	header      http.Header
	overrides   Overrides
	traceparent func(ctx context.Context) (traceparent, tracestate string)
	onChange    func(from, to string)
}

// WithHTTPClient sets the client that sends events. The default is a
// client of its own that does not follow redirects (a redirect is a
// permanent failure: a sink's URL should be exact).
func WithHTTPClient(c *http.Client) HTTPOption {
	if c == nil {
		panic("events: WithHTTPClient(nil)")
	}
	return func(cfg *httpConfig) { cfg.client = c }
}

// WithHTTPTimeout bounds each attempt to send an event (DefaultHTTPTimeout
// by default); an attempt that times out is retried. Zero leaves attempts
// bounded by the caller's ctx only. It panics if d is negative.
func WithHTTPTimeout(d time.Duration) HTTPOption {
	if d < 0 {
		panic("events: negative WithHTTPTimeout")
	}
	return func(cfg *httpConfig) { cfg.timeout = d }
}

// WithRetries sets how many times an event is sent again after a retryable
// failure (DefaultHTTPRetries by default; zero: never), waiting between
// attempts an exponential backoff from base, doubling up to max, with
// jitter (each wait is uniformly drawn between half and all of its step).
// It panics if n is negative, base is not positive or max < base.
func WithRetries(n int, base, max time.Duration) HTTPOption {
	if n < 0 || base <= 0 || max < base {
		panic("events: WithRetries needs n >= 0 and 0 < base <= max")
	}
	return func(cfg *httpConfig) { cfg.retries, cfg.base, cfg.max = n, base, max }
}

// WithCircuitBreaker sets the circuit breaker (github.com/sony/gobreaker/v2)
// that guards the sink: it opens after failures consecutive failed
// attempts (network errors, timeouts, retryable statuses; a refused event
// is the sink working and does not count) and then fails events at once
// with ErrCircuitOpen for cooldown; after it, one probe attempt goes
// through, whose outcome closes or reopens the breaker. The default is
// DefaultBreakerFailures and DefaultBreakerCooldown.
// It panics if failures < 1 or cooldown <= 0.
func WithCircuitBreaker(failures int, cooldown time.Duration) HTTPOption {
	if failures < 1 || cooldown <= 0 {
		panic("events: WithCircuitBreaker needs failures >= 1 and a positive cooldown")
	}
	return func(cfg *httpConfig) { cfg.failures, cfg.cooldown = failures, cooldown }
}

// WithoutCircuitBreaker turns the circuit breaker off.
func WithoutCircuitBreaker() HTTPOption {
	return func(cfg *httpConfig) { cfg.failures = 0 }
}

// WithBreakerStateChange calls fn with the old and new state ("closed",
// "half-open", "open") whenever the breaker changes state, for logs and
// metrics. fn runs inside the attempt that caused the change and must be
// quick. It panics if fn is nil.
func WithBreakerStateChange(fn func(from, to string)) HTTPOption {
	if fn == nil {
		panic("events: WithBreakerStateChange(nil)")
	}
	return func(cfg *httpConfig) { cfg.onChange = fn }
}

// WithHeader adds a header to every request, for example Authorization.
// It panics if key is a CloudEvents header (ce-*) or Content-Type.
func WithHeader(key, value string) HTTPOption {
	k := http.CanonicalHeaderKey(key)
	if strings.HasPrefix(k, "Ce-") || k == "Content-Type" || k == "" {
		panic("events: WithHeader cannot set " + strconv.Quote(key))
	}
	return func(cfg *httpConfig) { cfg.header.Add(k, value) }
}

// WithOverrides sets o's extensions on every event sent (what Knative's
// SinkBinding asks for in K_CE_OVERRIDES); the caller's events are not
// changed.
func WithOverrides(o Overrides) HTTPOption {
	return func(cfg *httpConfig) { cfg.overrides = o }
}

// WithTraceContext gives the publisher the trace context of the current
// span: fn returns the W3C traceparent (and tracestate, possibly empty)
// for ctx, or "" if no span is active. Each event sent without a
// traceparent extension of its own then carries it (the CloudEvents
// distributed-tracing extension), as ce-traceparent and ce-tracestate.
// events does not link OpenTelemetry; with fnkit's middleware,
// Decorate(p, middleware.Propagate) stamps the span on the events of any
// Publisher instead. It panics if fn is nil.
func WithTraceContext(fn func(ctx context.Context) (traceparent, tracestate string)) HTTPOption {
	if fn == nil {
		panic("events: WithTraceContext(nil)")
	}
	return func(cfg *httpConfig) { cfg.traceparent = fn }
}

// HTTPPublisher publishes CloudEvents to one HTTP sink (a Knative broker,
// channel or service, or any CloudEvents HTTP receiver) in binary mode:
// attributes in percent-encoded ce-* headers, data as the body with its
// content type. Make it with NewHTTPPublisher or HTTPPublisherFromEnv. It is
// safe for concurrent use.
//
// Publish sends a call's events one after another, in order. Each event is
// checked first (an invalid one fails with an invalid-input error and is
// not sent), then POSTed; a 2xx answer accepts it. The answer classifies a
// failure:
//
//	2xx                                   accepted
//	404, 408, 409, 425, 5xx, network      retried; retryable when retries end
//	429                                   retried (after Retry-After when it
//	                                      is within the backoff maximum);
//	                                      throttled when retries end
//	other 4xx, 3xx                        not retried; permanent (*StatusError)
//
// the retried statuses being those Knative's own delivery retries. Retries
// resend the same event (same id and source), so a receiver that
// deduplicates on source+id sees it once. A retry never outlives ctx: when
// ctx ends, the event in flight and the rest fail with ctx's error.
type HTTPPublisher struct {
	target string
	url    *url.URL
	cfg    httpConfig
	cb     *gobreaker.CircuitBreaker[struct{}] // nil: no breaker
}

var _ Publisher = (*HTTPPublisher)(nil)

// NewHTTPPublisher returns a publisher to the sink at target, an absolute
// http or https URL; it fails if target is not one.
func NewHTTPPublisher(target string, opts ...HTTPOption) (*HTTPPublisher, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("events: sink URL %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("events: sink URL %q: want an absolute http or https URL", target)
	}
	cfg := httpConfig{
		timeout: DefaultHTTPTimeout, retries: DefaultHTTPRetries, base: DefaultBackoffBase, max: DefaultBackoffMax,
		failures: DefaultBreakerFailures, cooldown: DefaultBreakerCooldown, header: http.Header{},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.client == nil {
		cfg.client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	p := &HTTPPublisher{target: target, url: u, cfg: cfg}
	if cfg.failures > 0 {
		failures := uint32(cfg.failures)
		st := gobreaker.Settings{
			Name:        target,
			MaxRequests: 1,
			Timeout:     cfg.cooldown,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			// The sink answering "no" to an event is the sink working.
			IsSuccessful: func(err error) bool { return err == nil || errors.Is(err, errRefused) },
			IsExcluded:   func(err error) bool { return errors.Is(err, errCallerDone) },
		}
		if fn := cfg.onChange; fn != nil {
			st.OnStateChange = func(_ string, from, to gobreaker.State) { fn(from.String(), to.String()) }
		}
		p.cb = gobreaker.NewCircuitBreaker[struct{}](st)
	}
	return p, nil
}

// HTTPPublisherFromEnv returns a publisher to the sink in K_SINK, with the
// overrides in K_CE_OVERRIDES, as Knative's SinkBinding (and Cloud Run's
// equivalents) set them. It returns ErrNoSink if K_SINK is unset or empty,
// and an error naming the variable if either is invalid. opts come after
// the environment's settings, so WithOverrides replaces K_CE_OVERRIDES.
func HTTPPublisherFromEnv(opts ...HTTPOption) (*HTTPPublisher, error) {
	sink := strings.TrimSpace(os.Getenv("K_SINK"))
	if sink == "" {
		return nil, ErrNoSink
	}
	o, err := ParseOverrides(os.Getenv("K_CE_OVERRIDES"))
	if err != nil {
		return nil, err
	}
	p, err := NewHTTPPublisher(sink, append([]HTTPOption{WithOverrides(o)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("K_SINK: %w", err)
	}
	return p, nil
}

// Target returns the sink's URL.
func (p *HTTPPublisher) Target() string { return p.target }

// BreakerState returns the circuit breaker's state: "closed", "half-open"
// or "open", or "" without a breaker.
func (p *HTTPPublisher) BreakerState() string {
	if p.cb == nil {
		return ""
	}
	return p.cb.State().String()
}

// Publish sends each event in order; see HTTPPublisher.
func (p *HTTPPublisher) Publish(ctx context.Context, events ...event.Event) error {
	var c Collector
	for i := range events {
		e := &events[i]
		if err := ctx.Err(); err != nil {
			c.Fail(i, e, fmt.Errorf("events: publish to %s: %w", p.target, err))
			continue
		}
		if err := CheckEvent(e); err != nil {
			c.Fail(i, e, err)
			continue
		}
		if err := p.send(ctx, e); err != nil {
			c.Fail(i, e, err)
		}
	}
	return c.Err(len(events))
}

// Internal outcomes of one attempt, for the breaker and the retry loop.
var (
	errRefused    = errors.New("events: refused") // a final status: not retried, not a breaker failure
	errCallerDone = errors.New("events: caller's context done")
)

// attemptError is the outcome of one failed attempt.
type attemptError struct {
	kind       error // errRefused, errCallerDone, or nil for retryable
	status     int
	body       string
	retryAfter time.Duration
	err        error // transport error, if any
}

func (a *attemptError) Error() string {
	if a.err != nil {
		return a.err.Error()
	}
	return "status " + strconv.Itoa(a.status)
}

func (a *attemptError) Unwrap() []error {
	var errs []error
	if a.kind != nil {
		errs = append(errs, a.kind)
	}
	if a.err != nil {
		errs = append(errs, a.err)
	}
	return errs
}

// send delivers one event, retrying as configured.
func (p *HTTPPublisher) send(ctx context.Context, e *event.Event) error {
	req, err := p.request(ctx, e)
	if err != nil {
		return err
	}
	var last *attemptError
	for attempt := 1; ; attempt++ {
		err := p.attempt(ctx, req)
		if err == nil {
			return nil
		}
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return fmt.Errorf("%w (sink %s)", ErrCircuitOpen, p.target)
		}
		var ae *attemptError
		if !errors.As(err, &ae) {
			return fmt.Errorf("events: publish to %s: %w", p.target, err)
		}
		last = ae
		switch {
		case ae.kind == errCallerDone:
			return fmt.Errorf("events: publish to %s: %w", p.target, ctx.Err())
		case ae.kind == errRefused:
			return handler.Permanent(p.statusError(ae, attempt))
		}
		if attempt > p.cfg.retries {
			return p.exhausted(last, attempt)
		}
		wait := p.backoff(attempt)
		if ae.retryAfter > 0 {
			if ae.retryAfter > p.cfg.max {
				return p.exhausted(last, attempt)
			}
			wait = max(wait, ae.retryAfter)
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return p.exhausted(last, attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("events: publish to %s: %w (last attempt: %w)", p.target, ctx.Err(), p.exhausted(last, attempt))
		case <-t.C:
		}
		if req, err = p.request(ctx, e); err != nil {
			return err
		}
	}
}

// exhausted is the error of an event whose retries are over.
func (p *HTTPPublisher) exhausted(ae *attemptError, attempts int) error {
	if ae.err != nil {
		return fmt.Errorf("events: publish to %s failed after %d attempts: %w", p.target, attempts, ae.err)
	}
	se := p.statusError(ae, attempts)
	if ae.status == http.StatusTooManyRequests {
		return handler.Throttled(se, ae.retryAfter)
	}
	return se
}

func (p *HTTPPublisher) statusError(ae *attemptError, attempts int) *StatusError {
	return &StatusError{Target: p.target, StatusCode: ae.status, Body: ae.body, Attempts: attempts}
}

// backoff returns the wait before attempt+1: base·2^(attempt-1), capped at
// max, drawn uniformly from its upper half.
func (p *HTTPPublisher) backoff(attempt int) time.Duration {
	d := p.cfg.base
	for i := 1; i < attempt && d < p.cfg.max; i++ {
		d *= 2
	}
	d = min(d, p.cfg.max)
	half := d / 2
	return half + rand.N(half+1)
}

// attempt makes one request through the breaker.
func (p *HTTPPublisher) attempt(ctx context.Context, req *http.Request) error {
	if p.cb == nil {
		return p.do(ctx, req)
	}
	_, err := p.cb.Execute(func() (struct{}, error) { return struct{}{}, p.do(ctx, req) })
	return err
}

// do makes one request and classifies its outcome.
func (p *HTTPPublisher) do(ctx context.Context, req *http.Request) error {
	if p.cfg.timeout > 0 {
		// A caller's deadline that comes first bounds the attempt already.
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > p.cfg.timeout {
			actx, cancel := context.WithTimeout(ctx, p.cfg.timeout)
			defer cancel()
			req = req.WithContext(actx)
		}
	}
	resp, err := p.cfg.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return &attemptError{kind: errCallerDone, err: err}
		}
		return &attemptError{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	ae := &attemptError{status: resp.StatusCode, body: strings.ToValidUTF8(string(snippet), "?")}
	if !retryableStatus(resp.StatusCode) {
		ae.kind = errRefused
	} else if ra := resp.Header.Get("Retry-After"); ra != "" {
		ae.retryAfter = parseRetryAfter(ra)
	}
	return ae
}

// retryableStatus reports whether a sink's status asks for a retry: the
// statuses Knative's delivery retries.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP
// date; it returns zero if it cannot.
func parseRetryAfter(v string) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// request builds the binary-mode request of e.
func (p *HTTPPublisher) request(ctx context.Context, e *event.Event) (*http.Request, error) {
	ec, ok := e.Context.(*event.EventContextV1)
	if !ok {
		ec = e.Context.AsV1()
	}
	body := e.Data()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.target, nil)
	if err != nil {
		return nil, fmt.Errorf("events: publish to %s: %w", p.target, err)
	}
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else {
		req.Body = http.NoBody
	}
	h := req.Header
	for k, v := range p.cfg.header {
		h[k] = v
	}
	h["Ce-Specversion"] = []string{event.CloudEventsVersionV1}
	h["Ce-Id"] = []string{ceheader.Escape(ec.ID)}
	h["Ce-Source"] = []string{ceheader.Escape(ec.Source.String())}
	h["Ce-Type"] = []string{ceheader.Escape(ec.Type)}
	if ec.DataContentType != nil && *ec.DataContentType != "" {
		h["Content-Type"] = []string{*ec.DataContentType}
	}
	if ec.Subject != nil {
		h["Ce-Subject"] = []string{ceheader.Escape(*ec.Subject)}
	}
	if ec.Time != nil && !ec.Time.IsZero() {
		h["Ce-Time"] = []string{types.FormatTime(ec.Time.Time)}
	}
	if ec.DataSchema != nil {
		h["Ce-Dataschema"] = []string{ceheader.Escape(ec.DataSchema.String())}
	}
	for name, v := range ec.Extensions {
		s, err := types.Format(v)
		if err != nil {
			return nil, handler.InvalidInputf("events: extension %s: %w", name, err)
		}
		h[extensionHeader(name)] = []string{ceheader.Escape(s)}
	}
	for name, v := range p.cfg.overrides.Extensions {
		h[extensionHeader(name)] = []string{ceheader.Escape(v)}
	}
	if p.cfg.traceparent != nil && ec.Extensions["traceparent"] == nil {
		if tp, ts := p.cfg.traceparent(ctx); tp != "" {
			h["Ce-Traceparent"] = []string{ceheader.Escape(tp)}
			if ts != "" {
				h["Ce-Tracestate"] = []string{ceheader.Escape(ts)}
			}
		}
	}
	return req, nil
}

// extensionHeader returns the canonical header key of an extension.
func extensionHeader(name string) string {
	return http.CanonicalHeaderKey("ce-" + name)
}
