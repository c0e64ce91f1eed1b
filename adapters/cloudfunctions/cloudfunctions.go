// Package cloudfunctions runs fnkit handlers on Google Cloud Functions
// (2nd gen, Cloud Run functions) through the Functions Framework for Go
// (github.com/GoogleCloudPlatform/functions-framework-go), so a function
// behaves exactly as Google's runtime contract says, with no init()
// registration in user code.
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//		defer stop()
//		err := cloudfunctions.Start(ctx, cloudfunctions.ConfigFromEnv(),
//			cloudfunctions.CloudEvent("OnUpload", onUpload),
//			cloudfunctions.HTTP("API", api))
//		if err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Start serves the function that FUNCTION_TARGET names (or the only one
// given) on PORT, checking it against FUNCTION_SIGNATURE_TYPE, and on
// 127.0.0.1 only when LOCAL_ONLY=true (see ConfigFromEnv). The
// framework's own server does the HTTP work: CloudEvents in binary and
// structured mode, and legacy background events ({"context":…,"data":…}
// and the flat shape, and Pub/Sub push deliveries) converted to
// CloudEvents with the framework's mapping — the mapping that
// events.FromBackground reproduces for other adapters. Requests are
// served concurrently.
//
// # Error classes
//
// Google retries an event-driven function (when its trigger has retries
// on) after any response that is not 2xx, so an error that retrying
// cannot fix must be answered with success, as Google's retry guide
// advises. The one table of this adapter:
//
//	nil                       200
//	invalid input, permanent  logged at level Error, sent to the dead-letter
//	                          publisher if one is set (WithDeadLetter), then
//	                          200: never retried. If the dead-letter publish
//	                          fails: 500, retried, so nothing is lost.
//	throttled                 429, retried
//	retryable (plain errors)  500, retried
//
// A CloudEvent function cannot answer with an event; a reply the handler
// returns is published with WithReplies (K_SINK, for instance), and
// ignored otherwise. Requests the framework cannot decode are answered by
// the framework before any handler runs: 400 for a binary event missing
// attributes, an unknown legacy type or a body that is no event, and 500
// for a structured event that is not valid JSON (the CloudEvents SDK's
// choice).
//
// One quirk of the framework to know: the CloudEvents SDK under it hands
// each event to whichever request goroutine is waiting, so under
// concurrency a handler's context may be that of another request in
// flight (same deadline, from CLOUD_RUN_TIMEOUT_SECONDS; cancelled if that
// other client goes away). Handlers should treat cancellation as
// retryable, as they do anyway.
//
// # The framework's registry
//
// functions-framework-go keeps functions in a process-wide registry and
// its server cannot be stopped. Start registers exactly one function there
// and may be called once per process; users' tests call CloudEventFunc's
// result, or a handler through handlertest, without touching the
// registry. When ctx ends, Start waits for invocations in flight (up to
// Config.GracePeriod) and returns; the listener stays open until the
// process exits, which Cloud Run does right after.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/storage-processor],
// [github.com/fnkit/fnkit/examples/scheduled-job].
package cloudfunctions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Signature types, as FUNCTION_SIGNATURE_TYPE names them.
const (
	SignatureHTTP       = "http"
	SignatureCloudEvent = "cloudevent"
	// SignatureEvent is the legacy background-function signature; fnkit
	// serves such deliveries with a CloudEvent function (the framework
	// converts them).
	SignatureEvent = "event"
)

// Defaults of Config.
const (
	DefaultPort        = "8080"
	DefaultGracePeriod = 10 * time.Second
)

// Config is what Google's runtime tells a function through its
// environment. The zero value serves the only function given on all
// interfaces at DefaultPort.
type Config struct {
	// Target names the function to serve (FUNCTION_TARGET). Empty: the
	// only function given.
	Target string
	// SignatureType is FUNCTION_SIGNATURE_TYPE: "http", "cloudevent",
	// "event" or empty (not checked).
	SignatureType string
	// Host is the address to listen on: "" for all interfaces,
	// "127.0.0.1" to run locally.
	Host string
	// Port is the TCP port (PORT); empty means DefaultPort.
	Port string
	// GracePeriod bounds how long Start waits for invocations in flight
	// after ctx ends; zero means DefaultGracePeriod.
	GracePeriod time.Duration
}

// ConfigFromEnv reads FUNCTION_TARGET, FUNCTION_SIGNATURE_TYPE and PORT as
// Google's runtimes set them, and LOCAL_ONLY (the Functions Framework's
// convention: "true" listens on 127.0.0.1 only).
func ConfigFromEnv() Config {
	c := Config{
		Target:        os.Getenv("FUNCTION_TARGET"),
		SignatureType: os.Getenv("FUNCTION_SIGNATURE_TYPE"),
		Port:          os.Getenv("PORT"),
	}
	if os.Getenv("LOCAL_ONLY") == "true" {
		c.Host = "127.0.0.1"
	}
	return c
}

// Function is one function a binary can serve: an event handler bound as
// a CloudEvent function (CloudEvent) or an http.Handler bound as an HTTP
// function (HTTP).
type Function struct {
	name  string
	event func(context.Context, cloudevents.Event) error
	http  http.Handler
}

// Name returns the function's name, matched against FUNCTION_TARGET.
func (f Function) Name() string { return f.name }

// CloudEvent binds h as the CloudEvent function name. It panics if h is
// nil.
func CloudEvent(name string, h handler.Handler, opts ...Option) Function {
	return Function{name: name, event: CloudEventFunc(h, opts...)}
}

// HTTP binds h as the HTTP function name: any router, or
// httpserver.New(eventHandler) to take CloudEvents over HTTP with that
// adapter's status table. It panics if h is nil.
func HTTP(name string, h http.Handler) Function {
	if h == nil {
		panic("cloudfunctions: HTTP(nil)")
	}
	return Function{name: name, http: h}
}

// Errors of Start.
var (
	// ErrAlreadyStarted is returned by a second Start in one process: the
	// framework's registry and server are process-wide.
	ErrAlreadyStarted = errors.New("cloudfunctions: Start may run once per process")
	// ErrNoFunction is matched when the configuration selects no function.
	ErrNoFunction = errors.New("cloudfunctions: no function to serve")
	// ErrDrainTimeout is returned when invocations were still running at
	// the end of the grace period.
	ErrDrainTimeout = errors.New("cloudfunctions: grace period ended with invocations in flight")
)

// started guards the framework's process-wide registry and server.
var started atomic.Bool

// Start serves the function selected by cfg through the Functions
// Framework's server until ctx ends; see the package documentation. It
// returns an error, before serving, if cfg selects no function or names a
// signature type the function does not have.
func Start(ctx context.Context, cfg Config, fns ...Function) error {
	fn, err := selectFunction(cfg, fns)
	if err != nil {
		return err
	}
	if !started.CompareAndSwap(false, true) {
		return ErrAlreadyStarted
	}
	port := cfg.Port
	if port == "" {
		port = DefaultPort
	}
	grace := cfg.GracePeriod
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	var flight inFlight
	if fn.http != nil {
		h := fn.http
		err = funcframework.RegisterHTTPFunctionContext(ctx, "/", func(w http.ResponseWriter, r *http.Request) {
			flight.add()
			defer flight.done()
			h.ServeHTTP(w, r)
		})
	} else {
		ev := fn.event
		err = funcframework.RegisterCloudEventFunctionContext(ctx, "/", func(ctx context.Context, e cloudevents.Event) error {
			flight.add()
			defer flight.done()
			return ev(ctx, e)
		})
	}
	if err != nil {
		return fmt.Errorf("cloudfunctions: registering %q: %w", fn.name, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- funcframework.StartHostPort(cfg.Host, port) }()
	select {
	case err := <-errc:
		return fmt.Errorf("cloudfunctions: serving %q on %s:%s: %w", fn.name, cfg.Host, port, err)
	case <-ctx.Done():
	}
	if !flight.wait(grace) {
		return ErrDrainTimeout
	}
	return nil
}

func selectFunction(cfg Config, fns []Function) (Function, error) {
	var fn Function
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.name
	}
	switch {
	case len(fns) == 0:
		return fn, fmt.Errorf("%w: Start was given none", ErrNoFunction)
	case cfg.Target != "":
		i := slices.Index(names, cfg.Target)
		if i < 0 {
			return fn, fmt.Errorf("%w: FUNCTION_TARGET %q names none of %q", ErrNoFunction, cfg.Target, names)
		}
		fn = fns[i]
	case len(fns) > 1:
		return fn, fmt.Errorf("%w: %d functions given and FUNCTION_TARGET does not choose (%q)", ErrNoFunction, len(fns), names)
	default:
		fn = fns[0]
	}
	switch strings.ToLower(cfg.SignatureType) {
	case "":
	case SignatureHTTP:
		if fn.http == nil {
			return Function{}, fmt.Errorf("cloudfunctions: FUNCTION_SIGNATURE_TYPE is http but %q is a CloudEvent function", fn.name)
		}
	case SignatureCloudEvent, SignatureEvent:
		if fn.event == nil {
			return Function{}, fmt.Errorf("cloudfunctions: FUNCTION_SIGNATURE_TYPE is %s but %q is an HTTP function", cfg.SignatureType, fn.name)
		}
	default:
		return Function{}, fmt.Errorf("cloudfunctions: unknown FUNCTION_SIGNATURE_TYPE %q (want http, cloudevent or event)", cfg.SignatureType)
	}
	return fn, nil
}

// inFlight counts invocations running, for the drain.
type inFlight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero; nil while n == 0
}

func (f *inFlight) add() {
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
}

func (f *inFlight) done() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
	f.mu.Unlock()
}

// wait waits until nothing is in flight, for at most d; it reports
// whether that happened.
func (f *inFlight) wait(d time.Duration) bool {
	f.mu.Lock()
	idle := f.idle
	n := f.n
	f.mu.Unlock()
	if n == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}

// Option configures CloudEvent and CloudEventFunc.
type Option func(*config)

type config struct {
	deadLetter *events.DeadLetter
	replies    events.Publisher
	logger     *slog.Logger
}

// WithDeadLetter sends events that fail for good (invalid input,
// permanent) to p before they are acknowledged.
func WithDeadLetter(p events.Publisher) Option {
	if p == nil {
		panic("cloudfunctions: WithDeadLetter(nil)")
	}
	return func(c *config) { c.deadLetter = events.NewDeadLetter(p) }
}

// WithReplies publishes the handler's replies to p (a CloudEvent function
// cannot answer with an event). A failed publish fails the invocation
// (retryable).
func WithReplies(p events.Publisher) Option {
	if p == nil {
		panic("cloudfunctions: WithReplies(nil)")
	}
	return func(c *config) { c.replies = p }
}

// WithLogger sets the logger of failed invocations; the default is
// slog.Default() at the time of the invocation.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("cloudfunctions: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

// CloudEventFunc returns h as the function the Functions Framework takes
// (funcframework.RegisterCloudEventFunctionContext), applying the error
// table of the package documentation. It is safe for concurrent use and
// keeps no global state. It panics if h is nil.
func CloudEventFunc(h handler.Handler, opts ...Option) func(context.Context, cloudevents.Event) error {
	if h == nil {
		panic("cloudfunctions: CloudEvent(nil)")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	var served atomic.Bool
	return func(ctx context.Context, e cloudevents.Event) error {
		inv := &handler.Invocation{Platform: handler.PlatformCloudFunctions}
		if d, ok := ctx.Deadline(); ok {
			inv.Deadline = d
		}
		if !served.Load() {
			inv.ColdStart = served.CompareAndSwap(false, true)
		}
		ctx = handler.WithInvocation(ctx, inv)
		// A Pub/Sub message that is itself a CloudEvent reaches the
		// handler as that event, not as messagePublished around it.
		var reply *cloudevents.Event
		var err error
		if inner, ok, uerr := events.UnwrapPubSub(e); ok && uerr != nil {
			err = uerr
		} else {
			if ok {
				e = inner
			}
			reply, err = handler.Call(ctx, h, e)
		}
		if err == nil {
			if reply != nil && c.replies != nil {
				if perr := c.replies.Publish(ctx, *reply); perr != nil {
					c.log(ctx, slog.LevelError, e, http.StatusInternalServerError, perr)
					return cehttp.NewResult(http.StatusInternalServerError, "reply not published")
				}
			}
			return nil
		}
		switch handler.ClassOf(err) {
		case handler.ClassInvalidInput, handler.ClassPermanent:
			c.log(ctx, slog.LevelError, e, http.StatusOK, err)
			if c.deadLetter != nil {
				if derr := c.deadLetter.Send(ctx, e, err); derr != nil {
					c.log(ctx, slog.LevelError, e, http.StatusInternalServerError, derr)
					return cehttp.NewResult(http.StatusInternalServerError, "dead-letter publish failed")
				}
			}
			return nil
		case handler.ClassThrottled:
			c.log(ctx, slog.LevelWarn, e, http.StatusTooManyRequests, err)
			return cehttp.NewResult(http.StatusTooManyRequests, "throttled")
		}
		c.log(ctx, slog.LevelError, e, http.StatusInternalServerError, err)
		return cehttp.NewResult(http.StatusInternalServerError, "retryable failure")
	}
}

func (c *config) log(ctx context.Context, level slog.Level, e cloudevents.Event, status int, err error) {
	l := c.logger
	if l == nil {
		l = slog.Default()
	}
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.Int("status", status),
		slog.String("class", handler.ClassOf(err).String()),
		slog.String("error", err.Error()),
		slog.String("ce_id", e.ID()),
		slog.String("ce_type", e.Type()),
	}
	var p *handler.PanicError
	if errors.As(err, &p) {
		attrs = append(attrs, slog.String("stack", string(p.Stack)))
	}
	l.LogAttrs(ctx, level, "event failed", attrs...)
}
