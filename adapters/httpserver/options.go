package httpserver

import (
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
}

func newConfig(opts []Option) config {
	c := config{maxBody: DefaultMaxBodyBytes, plainType: DefaultPlainType, newID: ids.Next}
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
