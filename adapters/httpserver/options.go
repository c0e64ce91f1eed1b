package httpserver

import (
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"log/slog"
	"strings"
	"time"

	"github.com/fnkit/fnkit/internal/ids"
)

// DefaultMaxBodyBytes is the default request body limit: 6 MiB, the
// payload limit of synchronous AWS Lambda invocations.
const DefaultMaxBodyBytes = 6 << 20

// DefaultPlainType is the event type given to plain requests (without
// CloudEvents headers) unless WithPlainType says otherwise.
const DefaultPlainType = "fnkit.http.request"

// Option configures the Handler made by New.
type Option func(*config)

type config struct {
	maxBody   int64
	plainType string
	timeout   time.Duration
	newID     func() string
	logger    *slog.Logger
	platform  string
	decoders  []PlainDecoder
	origins   []string // webhook origins allowed to deliver; "*" for any
	rate      string   // WebHook-Allowed-Rate
}

func newConfig(opts []Option) config {
	c := config{maxBody: DefaultMaxBodyBytes, plainType: DefaultPlainType, newID: ids.Next, platform: handler.PlatformHTTP}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithMaxBodyBytes sets the request body limit; larger bodies are answered
// with 413. The default is DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	if n <= 0 {
		panic("httpserver: WithMaxBodyBytes needs a positive limit")
	}
	return func(c *config) { c.maxBody = n }
}

// WithPlainType sets the event type of plain requests, those without
// CloudEvents headers. The default is DefaultPlainType.
func WithPlainType(t string) Option {
	if strings.TrimSpace(t) == "" {
		panic("httpserver: WithPlainType needs a non-empty type")
	}
	return func(c *config) { c.plainType = t }
}

// WithTimeout bounds each request's handling: the handler's context gets
// this deadline, and a handler that fails with context.DeadlineExceeded is
// answered with 504. Zero, the default, means no bound beyond the
// client's.
//
// It panics if d is negative.
func WithTimeout(d time.Duration) Option {
	if d < 0 {
		panic("httpserver: negative WithTimeout")
	}
	return func(c *config) { c.timeout = d }
}

// WithIDGenerator sets how ids of plain requests without an
// Idempotency-Key header are made. newID must be safe for concurrent use.
func WithIDGenerator(newID func() string) Option {
	if newID == nil {
		panic("httpserver: WithIDGenerator(nil)")
	}
	return func(c *config) { c.newID = newID }
}

// WithLogger sets the logger of failed requests: 5xx at level Error with
// the internal error, 4xx at level Debug. The default is slog.Default() at
// the time of the request.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("httpserver: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

// WithPlatform sets the platform named in the handler's invocation
// metadata (handler.Invocation.Platform); the default is
// handler.PlatformHTTP. Adapters built on this one (Knative) use it. An
// invocation an outer adapter put in the request's context wins.
func WithPlatform(platform string) Option {
	if platform == "" {
		panic("httpserver: WithPlatform(\"\")")
	}
	return func(c *config) { c.platform = platform }
}

// PlainDecoder turns a plain request (a POST without CloudEvents headers)
// that carries a platform's envelope into its event — for example
// events.DecodePubSubPush, for Pub/Sub push subscriptions delivering to
// this server. It reports ok false to leave the request to the plain
// mapping; an error is answered by its class (an invalid envelope: 400).
// A positive attempt becomes handler.Invocation.Attempt.
type PlainDecoder func(r *http.Request, body []byte) (e event.Event, attempt int, ok bool, err error)

// WithPlainDecoder adds d, tried in order before the plain mapping for
// every plain request.
func WithPlainDecoder(d PlainDecoder) Option {
	if d == nil {
		panic("httpserver: WithPlainDecoder(nil)")
	}
	return func(c *config) { c.decoders = append(c.decoders, d) }
}

// WithWebhookOrigins makes the handler answer the abuse-protection
// handshake of the CloudEvents HTTP webhook specification (also what Azure
// Event Grid sends to CloudEvents-schema subscriptions): an OPTIONS
// request whose WebHook-Request-Origin is one of origins ("*" allows any)
// is answered 200 with WebHook-Allowed-Origin and WebHook-Allowed-Rate
// (rate; empty means "*", no limit). Other origins are answered 403. Off by
// default: OPTIONS is then 405 like any method but POST.
//
// It panics without origins.
func WithWebhookOrigins(rate string, origins ...string) Option {
	if len(origins) == 0 {
		panic("httpserver: WithWebhookOrigins needs at least one origin (\"*\" for any)")
	}
	if rate == "" {
		rate = "*"
	}
	return func(c *config) { c.origins, c.rate = append([]string(nil), origins...), rate }
}
