package storetest

import (
	"sync"
	"time"
)

// Option configures Run.
type Option func(*config)

type config struct {
	advance   func(time.Duration)
	now       func() time.Time
	maxValue  int
	tolerance time.Duration
}

const (
	defaultMaxValue  = 1 << 20
	defaultTolerance = 250 * time.Millisecond
)

func newConfig(opts []Option) *config {
	c := &config{maxValue: defaultMaxValue, tolerance: defaultTolerance}
	for _, o := range opts {
		o(c)
	}
	if c.advance == nil && c.now == nil {
		c.now = time.Now
	}
	return c
}

// fake reports whether the suite moves a fake clock instead of sleeping.
func (c *config) fake() bool { return c.advance != nil }

// WithAdvance gives the suite the store's clock seam: advance moves the
// clock every store returned by newStore reads forward by d. TTL tests then
// advance the clock instead of sleeping. Without it they sleep real time:
// about 1.3 s in all (1 s of ttl plus the WithTolerance duration). Subtests
// do not run in parallel, so one clock may be shared by every store.
//
// It panics if advance is nil.
func WithAdvance(advance func(d time.Duration)) Option {
	if advance == nil {
		panic("storetest: WithAdvance(nil)")
	}
	return func(c *config) { c.advance = advance }
}

// WithNow gives the suite the store's current time, so that it can check
// Item.ExpiresAt against now+ttl. The default is time.Now without
// WithAdvance; with WithAdvance and no WithNow, ExpiresAt is checked only
// relative to other writes.
//
// It panics if now is nil.
func WithNow(now func() time.Time) Option {
	if now == nil {
		panic("storetest: WithNow(nil)")
	}
	return func(c *config) { c.now = now }
}

// WithClock is WithAdvance(clk.Advance) and WithNow(clk.Now).
func WithClock(clk *Clock) Option {
	return func(c *config) {
		c.advance = clk.Advance
		c.now = clk.Now
	}
}

// WithMaxValueSize sets the largest value, in bytes, the store accepts
// (DynamoDB items are limited to 400 KB with their attributes). The
// large-value tests write values of this size; the default is 1 MiB.
//
// It panics if n < 1024.
func WithMaxValueSize(n int) Option {
	if n < 1024 {
		panic("storetest: WithMaxValueSize below 1024")
	}
	return func(c *config) { c.maxValue = n }
}

// WithTolerance sets how far a reported Item.ExpiresAt may be from the
// expected instant, and how long after its expiry an item may still be
// seen (clock skew between the test and a server on the same host, the
// store's time precision). The default is 250ms.
//
// It panics if d is negative.
func WithTolerance(d time.Duration) Option {
	if d < 0 {
		panic("storetest: negative WithTolerance")
	}
	return func(c *config) { c.tolerance = d }
}

// Clock is a fake clock for stores with a clock seam: give Now to the
// store (WithClock(clk.Now) in fnkit's stores) and the Clock to Run with
// the WithClock option. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading the current wall-clock time, without a
// monotonic reading; it moves only when Advance is called.
func NewClock() *Clock {
	return &Clock{now: time.Now().Round(0)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
