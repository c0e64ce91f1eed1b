// Package knative runs a handler.Handler as a Knative Serving service or
// Eventing sink, or on Cloud Run: CloudEvents over HTTP, on $PORT, with
// reply events, readiness and liveness probes, and a graceful drain on
// SIGTERM.
//
//	func main() {
//		cfg, err := knative.ConfigFromEnv()
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := knative.ListenAndServe(context.Background(), cfg, h); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// It is adapters/httpserver with only what Knative adds: every content
// mode of the CloudEvents HTTP binding (binary, structured, batch, and
// CloudEvents 0.3 converted to 1.0), the same RFC 9457 error bodies, and
// that adapter's status table, which fits Knative's retry rules (Knative
// retries 404, 408, 409, 429 and 5xx, and never other 4xx):
//
//	reply / no reply                  200 with the reply event / 204
//	invalid input                     400 (413, 415): not retried
//	permanent failure                 422: not retried
//	throttled                         429 (+ Retry-After): retried
//	retryable failure, deadline       500, 504: retried
//
// A reply goes back in the response, in the request's mode (binary for a
// binary request): Knative's broker and channels deliver it onwards. The
// extensions in K_CE_OVERRIDES (set by a SinkBinding) are applied to
// every reply, as Knative asks of sources; events published with
// events.HTTPPublisherFromEnv get them too. Handlers see
// handler.PlatformKnative in their invocation. With WithPubSubPush, a
// Pub/Sub push subscription can deliver straight to the service (Cloud
// Run's usual setup): each push becomes Eventarc's messagePublished
// CloudEvent, with the delivery attempt in the invocation.
//
// # Delivery and deduplication
//
// Knative delivers at least once: a retried delivery, or a broker
// redelivering after a timeout, brings the same event again. Events are
// identified by source and id, so make handlers idempotent with the
// idempotency middleware, whose default key is exactly source+id:
//
//	h = middleware.Idempotency(store)(h)
//
// # Serving
//
// ListenAndServe and Serve are httpserver's (lame-duck drain on SIGTERM
// within the grace period, no request a client has sent is lost), with two
// probes: ReadinessPath answers 503 from the moment the drain starts, so
// Knative's queue-proxy and Cloud Run stop routing here, and LivenessPath
// stays 200 while the process runs, so the platform does not kill a pod
// that is only draining.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/storage-processor],
// [github.com/fnkit/fnkit/examples/saga].
package knative

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Probe paths and the default port.
const (
	ReadinessPath = "/readyz"
	LivenessPath  = "/livez"
	DefaultPort   = "8080"
)

// Config is what Knative and Cloud Run tell a service through its
// environment.
type Config struct {
	// Port is the TCP port to listen on ($PORT); empty means DefaultPort.
	Port string
	// Host is the address to listen on; empty means all interfaces.
	Host string
	// Overrides are applied to every reply (K_CE_OVERRIDES).
	Overrides events.Overrides
}

// ConfigFromEnv reads PORT and K_CE_OVERRIDES; it fails, naming the
// variable, if K_CE_OVERRIDES is not valid.
func ConfigFromEnv() (Config, error) {
	o, err := events.ParseOverrides(os.Getenv("K_CE_OVERRIDES"))
	if err != nil {
		return Config{}, fmt.Errorf("knative: %w", err)
	}
	return Config{Port: strings.TrimSpace(os.Getenv("PORT")), Overrides: o}, nil
}

// Addr returns the listen address, host:port.
func (c Config) Addr() string {
	port := c.Port
	if port == "" {
		port = DefaultPort
	}
	return net.JoinHostPort(c.Host, port)
}

// Option configures New.
type Option func(*config)

type config struct {
	http       []httpserver.Option
	server     []httpserver.ServerOption
	overrides  events.Overrides
	deadLetter events.Publisher
	pubsubPush bool
}

// WithHTTPOptions passes options to httpserver.New (body limit, timeout,
// logger, plain-request type).
func WithHTTPOptions(opts ...httpserver.Option) Option {
	return func(c *config) { c.http = append(c.http, opts...) }
}

// WithServerOptions passes options to httpserver.Serve in ListenAndServe
// (drain delay, grace period, logger); New ignores them.
func WithServerOptions(opts ...httpserver.ServerOption) Option {
	return func(c *config) { c.server = append(c.server, opts...) }
}

// WithOverrides applies o's extensions to every reply (ListenAndServe
// passes Config.Overrides).
func WithOverrides(o events.Overrides) Option {
	return func(c *config) { c.overrides = o }
}

// WithDeadLetter sends events that fail for good (invalid input,
// permanent) to p and answers 204, so Knative neither retries them nor
// loses them; without it they are answered 400/422 and end in Knative's
// own dead-letter sink if the subscription has one. If the publish fails,
// the answer is 500 and Knative retries.
func WithDeadLetter(p events.Publisher) Option {
	if p == nil {
		panic("knative: WithDeadLetter(nil)")
	}
	return func(c *config) { c.deadLetter = p }
}

// WithPubSubPush accepts Pub/Sub push deliveries (a push subscription
// pointed at this service, as on Cloud Run): a JSON POST without
// CloudEvents headers whose body is a push envelope becomes the
// google.cloud.pubsub.topic.v1.messagePublished CloudEvent that Eventarc
// would deliver (events.FromPubSubPush; the topic is taken from a
// …/projects/P/topics/T request path when there is one), and its
// deliveryAttempt becomes handler.Invocation.Attempt. An envelope that
// does not decode (bad base64, no messageId) is answered 400 naming the
// field. Pub/Sub redelivers after any answer but 102, 200, 201, 202 and
// 204, so pair it with WithDeadLetter, which acknowledges failures that
// retrying cannot fix. Other requests are served as before.
func WithPubSubPush() Option {
	return func(c *config) { c.pubsubPush = true }
}

// New returns the http.Handler that delivers each CloudEvent POSTed to it
// to h; see the package documentation. It panics if h is nil.
func New(h handler.Handler, opts ...Option) http.Handler {
	if h == nil {
		panic("knative: New(nil)")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.deadLetter != nil {
		h = events.NewDeadLetter(c.deadLetter).Middleware()(h)
	}
	if !c.overrides.Empty() {
		h = &overriding{next: h, overrides: c.overrides}
	}
	hopts := append([]httpserver.Option{httpserver.WithPlatform(handler.PlatformKnative)}, c.http...)
	if c.pubsubPush {
		hopts = append(hopts, httpserver.WithPlainDecoder(events.DecodePubSubPush))
	}
	return httpserver.New(h, hopts...)
}

// overriding applies K_CE_OVERRIDES to replies.
type overriding struct {
	next      handler.Handler
	overrides events.Overrides
}

func (a *overriding) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	reply, err := handler.Call(ctx, a.next, e)
	if err != nil || reply == nil || reply.Context == nil {
		return reply, err
	}
	// The handler may keep its reply: change a copy.
	r := reply.Clone()
	a.overrides.Apply(&r)
	return &r, nil
}

// withProbes answers the liveness probe and passes everything else on;
// httpserver.Serve answers the readiness probe.
func withProbes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != LivenessPath {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
}

// Serve serves h (New's handler, or any http.Handler) on ln with the
// probes, through httpserver.Serve, until ctx ends, then drains. opts go
// to httpserver.Serve after the readiness path, so they may change it.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...httpserver.ServerOption) error {
	return httpserver.Serve(ctx, ln, withProbes(h), serverOptions(opts)...)
}

// ListenAndServe listens on cfg.Addr() and serves h (with cfg.Overrides,
// then opts) like Serve until ctx ends or the process receives SIGTERM or
// SIGINT (a second signal stops at once). Server options come from
// httpserver.ServerOptionsFromEnv (drain delay, grace period), then
// WithServerOptions.
func ListenAndServe(ctx context.Context, cfg Config, h handler.Handler, opts ...Option) error {
	envOpts, err := httpserver.ServerOptionsFromEnv()
	if err != nil {
		return fmt.Errorf("knative: %w", err)
	}
	opts = append([]Option{WithOverrides(cfg.Overrides)}, opts...)
	var c config
	for _, o := range opts {
		o(&c)
	}
	hh := New(h, opts...)
	return httpserver.ListenAndServe(ctx, cfg.Addr(), withProbes(hh), serverOptions(append(envOpts, c.server...))...)
}

// ListenAndServeHTTP serves any http.Handler (an HTTP function rather
// than an event handler) on cfg.Addr() with the probes, like
// ListenAndServe: SIGTERM drains, a second signal stops at once, and the
// server options come from the environment, then opts.
func ListenAndServeHTTP(ctx context.Context, cfg Config, h http.Handler, opts ...httpserver.ServerOption) error {
	envOpts, err := httpserver.ServerOptionsFromEnv()
	if err != nil {
		return fmt.Errorf("knative: %w", err)
	}
	return httpserver.ListenAndServe(ctx, cfg.Addr(), withProbes(h), serverOptions(append(envOpts, opts...))...)
}

func serverOptions(opts []httpserver.ServerOption) []httpserver.ServerOption {
	return append([]httpserver.ServerOption{httpserver.WithHealthPath(ReadinessPath)}, opts...)
}
