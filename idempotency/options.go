package idempotency

import (
	"context"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Defaults.
const (
	DefaultExpiry   = time.Hour
	DefaultMaxLease = 5 * time.Minute
	DefaultMinLease = time.Second
	// DefaultWait is how long an in-progress duplicate from a synchronous
	// caller (handler.Invocation.Sync) waits for the first delivery's
	// outcome; queue deliveries do not wait unless WithWait says so.
	DefaultWait = 5 * time.Second
	// DefaultPollInterval is the longest pause between two reads of an
	// in-progress record, and the Retry-After of ErrInProgress.
	DefaultPollInterval = 100 * time.Millisecond
)

// KeyFunc returns the idempotency key of an event. An empty key means the
// event has none.
type KeyFunc func(ctx context.Context, e event.Event) (string, error)

// Option configures an Engine.
type Option func(*config)

type config struct {
	scope       string
	key         KeyFunc // nil: EventIdentity
	passThrough bool
	expiry      time.Duration
	maxLease    time.Duration
	minLease    time.Duration
	hash        func(e event.Event) ([]byte, error)
	keepLease   bool
	cacheSize   int
	now         func() time.Time
	wait        time.Duration
	waitSet     bool
	poll        time.Duration
}

// WithScope prefixes every key, to keep apart functions or tenants that
// share a store.
func WithScope(scope string) Option {
	return func(c *config) { c.scope = scope }
}

// WithKey sets how the key of an event is found. The default is the
// CloudEvents identity: source and id together identify an event.
func WithKey(key KeyFunc) Option {
	if key == nil {
		panic("idempotency: WithKey(nil)")
	}
	return func(c *config) { c.key = key }
}

// WithPassThroughWithoutKey runs the handler without idempotency when an
// event has no key, instead of rejecting it with ErrMissingKey.
func WithPassThroughWithoutKey() Option {
	return func(c *config) { c.passThrough = true }
}

// WithExpiry sets how long a completed record (and its stored reply) is
// kept: duplicates within it get the stored reply. The default is
// DefaultExpiry.
func WithExpiry(d time.Duration) Option {
	if d <= 0 {
		panic("idempotency: WithExpiry needs a positive duration")
	}
	return func(c *config) { c.expiry = d }
}

// WithLease bounds the lease of an in-progress record. The lease lasts
// until the invocation's deadline (from the context, or the adapter's
// handler.Invocation), but at most max — the whole lease when there is no
// deadline — and at least min. A delivery whose holder crashed runs again
// once the lease ends. The defaults are DefaultMinLease and
// DefaultMaxLease.
func WithLease(min, max time.Duration) Option {
	if min <= 0 || max < min {
		panic("idempotency: WithLease needs 0 < min <= max")
	}
	return func(c *config) { c.minLease, c.maxLease = min, max }
}

// WithPayloadHash sets what part of an event must be the same for a
// repeated key: the default hashes the datacontenttype and the data. A
// repeated key with a different hash is rejected with ErrPayloadMismatch.
func WithPayloadHash(hash func(e event.Event) ([]byte, error)) Option {
	if hash == nil {
		panic("idempotency: WithPayloadHash(nil)")
	}
	return func(c *config) { c.hash = hash }
}

// WithKeepLeaseOnError keeps the in-progress record when the handler
// fails, for handlers whose side effects must not repeat: a retry gets
// ErrInProgress until the lease ends. By default a failure releases the
// lease, so a retry runs the handler again.
func WithKeepLeaseOnError() Option {
	return func(c *config) { c.keepLease = true }
}

// WithCache keeps up to n completed records in memory in front of the
// store: a duplicate found there costs no store call. Each process has its
// own cache; records in it expire with the store's.
func WithCache(n int) Option {
	if n <= 0 {
		panic("idempotency: WithCache needs a positive size")
	}
	return func(c *config) { c.cacheSize = n }
}

// WithWait sets how long, on every platform, a duplicate delivery that
// finds its key in progress waits for the first delivery's outcome, never
// past its own deadline; zero turns waiting off, so such a duplicate gets
// ErrInProgress at once. By default synchronous callers
// (handler.Invocation.Sync) wait DefaultWait and others do not wait.
//
// It panics if d is negative.
func WithWait(d time.Duration) Option {
	if d < 0 {
		panic("idempotency: negative WithWait")
	}
	return func(c *config) { c.wait, c.waitSet = d, true }
}

// WithPollInterval sets the longest pause between two reads of an
// in-progress record while a duplicate waits (the first pauses are
// shorter), and the Retry-After of ErrInProgress. The default is
// DefaultPollInterval.
//
// It panics if d is not positive.
func WithPollInterval(d time.Duration) Option {
	if d <= 0 {
		panic("idempotency: WithPollInterval needs a positive interval")
	}
	return func(c *config) { c.poll = d }
}

// WithClock sets the clock used for leases and the cache; the default is
// time.Now.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("idempotency: WithClock(nil)")
	}
	return func(c *config) { c.now = now }
}
