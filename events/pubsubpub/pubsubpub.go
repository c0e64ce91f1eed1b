package pubsubpub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cloud.google.com/go/pubsub/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Limits of Pub/Sub that the publisher checks before publishing.
const (
	// MaxMessageSize is Pub/Sub's largest message in bytes (data,
	// attributes and ordering key).
	MaxMessageSize = 10_000_000
	// MaxAttributes is the most attributes a message may have.
	MaxAttributes = 100
	// MaxAttributeValue is the longest attribute value in bytes.
	MaxAttributeValue = 1024
	// MaxAttributeKey is the longest attribute key in bytes.
	MaxAttributeKey = 256
	// MaxOrderingKey is the longest ordering key in bytes.
	MaxOrderingKey = 1024
)

// Errors of the package; match them with errors.Is.
var (
	// ErrTooLarge matches an event whose message exceeds MaxMessageSize.
	ErrTooLarge = errors.New("pubsubpub: message too large")
	// ErrInvalidKey matches an event whose ordering key is too long.
	ErrInvalidKey = errors.New("pubsubpub: invalid ordering key")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("pubsubpub: publisher is closed")
)

// KeyFunc derives an ordering key from an event; "" means none.
type KeyFunc func(e *event.Event) string

// Extension returns a KeyFunc reading the named extension attribute.
func Extension(name string) KeyFunc {
	return func(e *event.Event) string {
		v, ok := e.Extensions()[name]
		if !ok {
			return ""
		}
		s, _ := formatValue(v)
		return s
	}
}

// Subject returns a KeyFunc reading the event's subject.
func Subject() KeyFunc { return func(e *event.Event) string { return e.Subject() } }

// Source returns a KeyFunc reading the event's source.
func Source() KeyFunc { return func(e *event.Event) string { return e.Source() } }

type config struct {
	settings *pubsub.PublishSettings
	ordering KeyFunc
}

// Option configures a Publisher.
type Option func(*config)

// WithPublishSettings sets the topic's batching and flow-control settings
// (default pubsub.DefaultPublishSettings: 10 ms, 100 messages or 1 MB a
// batch).
func WithPublishSettings(s pubsub.PublishSettings) Option {
	return func(c *config) { c.settings = &s }
}

// WithOrderingKey sets each message's ordering key from its event and
// turns message ordering on (the topic's subscriptions must enable it
// too). An event for which fn returns "" has no key.
func WithOrderingKey(fn KeyFunc) Option { return func(c *config) { c.ordering = fn } }

// Publisher publishes CloudEvents to one Pub/Sub topic. Create it with
// New.
type Publisher struct {
	topic *pubsub.Publisher
	cfg   config

	mu       sync.Mutex // guards closed and inflight.Add
	closed   bool
	inflight sync.WaitGroup
}

// New returns a Publisher to topic (an id or projects/P/topics/T) through
// client. The client stays the caller's to close, after the Publisher.
func New(client *pubsub.Client, topic string, opts ...Option) (*Publisher, error) {
	if client == nil {
		return nil, errors.New("pubsubpub: New needs a Pub/Sub client")
	}
	if topic == "" {
		return nil, errors.New("pubsubpub: New needs a topic")
	}
	p := &Publisher{topic: client.Publisher(topic)}
	for _, o := range opts {
		o(&p.cfg)
	}
	if p.cfg.settings != nil {
		p.topic.PublishSettings = *p.cfg.settings
	}
	p.topic.EnableMessageOrdering = p.cfg.ordering != nil
	return p, nil
}

// Message returns the Pub/Sub message Publish sends for e, checked as
// Publish checks it.
func (p *Publisher) Message(e *event.Event) (*pubsub.Message, error) {
	if err := events.CheckEvent(e); err != nil {
		return nil, err
	}
	m, err := Encode(e)
	if err != nil {
		return nil, err
	}
	if p.cfg.ordering != nil {
		m.OrderingKey = p.cfg.ordering(e)
		if len(m.OrderingKey) > MaxOrderingKey {
			return nil, handler.Permanent(fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidKey, len(m.OrderingKey), MaxOrderingKey))
		}
	}
	if n := Size(m); n > MaxMessageSize {
		return nil, handler.Permanent(fmt.Errorf("%w: %d bytes, more than the %d-byte limit", ErrTooLarge, n, MaxMessageSize))
	}
	return m, nil
}

// Size is the size of m as Pub/Sub counts it against MaxMessageSize: data,
// attribute keys and values, and ordering key.
func Size(m *pubsub.Message) int {
	n := len(m.Data) + len(m.OrderingKey)
	for k, v := range m.Attributes {
		n += len(k) + len(v)
	}
	return n
}

// Publish publishes events to the topic and waits for Pub/Sub's answer
// for each; see events.Publisher for the contract and the package doc for
// the encoding and error classes.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return handler.Permanent(ErrClosed)
	}
	p.inflight.Add(1)
	p.mu.Unlock()
	defer p.inflight.Done()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pubsubpub: %w", err)
	}
	var c events.Collector
	results := make([]*pubsub.PublishResult, len(evs))
	keys := make([]string, len(evs))
	for i := range evs {
		m, err := p.Message(&evs[i])
		if err != nil {
			c.Fail(i, &evs[i], err)
			continue
		}
		keys[i] = m.OrderingKey
		results[i] = p.topic.Publish(ctx, m)
	}
	for i, r := range results {
		if r == nil {
			continue
		}
		if _, err := r.Get(ctx); err != nil {
			c.Fail(i, &evs[i], classify(err))
			if keys[i] != "" {
				p.topic.ResumePublish(keys[i])
			}
		}
	}
	return sortedErr(&c, len(evs))
}

// sortedErr returns the collector's error with failures in index order
// (encoding failures and publish failures are found in two passes).
func sortedErr(c *events.Collector, n int) error {
	err := c.Err(n)
	var pe *events.PublishError
	if errors.As(err, &pe) {
		f := pe.Failures
		for i := 1; i < len(f); i++ {
			for j := i; j > 0 && f[j].Index < f[j-1].Index; j-- {
				f[j], f[j-1] = f[j-1], f[j]
			}
		}
	}
	return err
}

// Close publishes what the client still buffers, waits for it, and makes
// later calls fail with ErrClosed.
func (p *Publisher) Close() error {
	p.mu.Lock()
	was := p.closed
	p.closed = true
	p.mu.Unlock()
	if !was {
		p.topic.Stop() // sends what is buffered; the calls waiting for it return
	}
	p.inflight.Wait()
	return nil
}

// classify gives a publish error fnkit's class.
func classify(err error) error {
	err = fmt.Errorf("pubsubpub: publish: %w", err)
	if errors.Is(err, pubsub.ErrPublisherStopped) {
		return handler.Permanent(fmt.Errorf("%w: %w", ErrClosed, err))
	}
	if errors.Is(err, pubsub.ErrFlowControllerMaxOutstandingMessages) || errors.Is(err, pubsub.ErrFlowControllerMaxOutstandingBytes) {
		return handler.Throttled(err, 0) // the client's flow control, WithPublishSettings
	}
	if errors.Is(err, pubsub.ErrOversizedMessage) {
		return handler.Permanent(err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var paused pubsub.ErrPublishingPaused
	if errors.As(err, &paused) {
		return err // an earlier message of the key failed; retrying can help
	}
	if s, ok := status.FromError(errors.Unwrap(err)); ok {
		switch s.Code() {
		case codes.ResourceExhausted:
			return handler.Throttled(err, 0)
		case codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.Aborted, codes.Unknown, codes.Canceled:
			return err
		case codes.OK:
			return err
		default:
			return handler.Permanent(err)
		}
	}
	return err
}
