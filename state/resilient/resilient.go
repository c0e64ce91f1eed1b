// Package resilient decorates a state.Store with outbound resilience: a
// time bound on every call and, optionally, a circuit breaker
// (github.com/sony/gobreaker/v2) that fails fast while the store is down.
//
//	store := resilient.New(redisStore,
//		resilient.WithTimeout(500*time.Millisecond),
//		resilient.WithCircuitBreaker(5, 10*time.Second))
//
// A call the store does not answer in time fails with an error wrapping
// state.ErrUnavailable, not context.DeadlineExceeded: the function's own
// deadline has not passed, a dependency is slow, and HTTP adapters should
// answer "unavailable, retry" rather than "gateway timeout". When the
// caller's own ctx is done, the caller's ctx error is returned instead.
// A write that timed out may still have been applied, as with any
// timeout; conditional writes (Create, CompareAndSwap, Delete with a
// version) make retrying it safe.
//
// The breaker counts only infrastructure failures: errors other than the
// state sentinels (ErrNotFound, ErrAlreadyExists, ErrVersionConflict,
// ErrInvalidKey), and timeouts. An answer that a key is missing or a
// version stale is the store working. Calls the caller cancelled count
// neither way. While the breaker is open, calls fail at once with an error
// wrapping state.ErrUnavailable without reaching the store; after the
// cooldown one probe call goes through, and its outcome closes or reopens
// the breaker.
package resilient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/fnkit/fnkit/state"
)

// DefaultTimeout bounds each call unless WithTimeout says otherwise.
const DefaultTimeout = 2 * time.Second

// Option configures New.
type Option func(*config)

type config struct {
	timeout  time.Duration
	failures int // 0: no breaker
	cooldown time.Duration
	onChange func(from, to BreakerState)
}

// WithTimeout bounds each call to d (DefaultTimeout by default); zero
// leaves calls bounded by the caller's ctx only. The bound works through
// ctx, which every Store honours.
//
// It panics if d is negative.
func WithTimeout(d time.Duration) Option {
	if d < 0 {
		panic("resilient: negative WithTimeout")
	}
	return func(c *config) { c.timeout = d }
}

// WithCircuitBreaker adds a circuit breaker that opens after failures
// consecutive infrastructure failures (timeouts included) and stays open
// for cooldown; then one probe call is let through: if it succeeds the
// breaker closes, otherwise it opens for another cooldown.
//
// It panics if failures < 1 or cooldown <= 0.
func WithCircuitBreaker(failures int, cooldown time.Duration) Option {
	if failures < 1 || cooldown <= 0 {
		panic("resilient: WithCircuitBreaker needs failures >= 1 and a positive cooldown")
	}
	return func(c *config) { c.failures, c.cooldown = failures, cooldown }
}

// WithStateChange calls fn whenever the circuit breaker changes state, for
// logs and metrics. fn runs synchronously inside the call that caused the
// change, with the breaker locked: it must be quick and must not call the
// Store.
//
// It panics if fn is nil.
func WithStateChange(fn func(from, to BreakerState)) Option {
	if fn == nil {
		panic("resilient: WithStateChange(nil)")
	}
	return func(c *config) { c.onChange = fn }
}

// BreakerState is the state of the circuit breaker.
type BreakerState int

// The breaker's states.
const (
	// Closed: calls go through; failures are counted.
	Closed BreakerState = iota
	// HalfOpen: the cooldown is over; one probe call goes through.
	HalfOpen
	// Open: calls fail at once with state.ErrUnavailable.
	Open
)

// String returns "closed", "half-open" or "open".
func (s BreakerState) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return fmt.Sprintf("BreakerState(%d)", int(s))
}

func fromGobreaker(s gobreaker.State) BreakerState {
	switch s {
	case gobreaker.StateHalfOpen:
		return HalfOpen
	case gobreaker.StateOpen:
		return Open
	}
	return Closed
}

// Store is a state.Store that bounds and guards calls to another one. It
// is safe for concurrent use if the Store it wraps is.
type Store struct {
	next    state.Store
	timeout time.Duration
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}] // nil: no breaker
}

var _ state.Store = (*Store)(nil)

// errExcluded reports an outcome the breaker must not count.
var errExcluded = errors.New("resilient: not counted")

// New returns a Store that calls s with the options' protections.
//
// It panics if s is nil.
func New(s state.Store, opts ...Option) *Store {
	if s == nil {
		panic("resilient: New(nil)")
	}
	c := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&c)
	}
	r := &Store{next: s, timeout: c.timeout}
	if c.failures > 0 {
		st := gobreaker.Settings{
			Name:    "state",
			Timeout: c.cooldown,
			ReadyToTrip: func(counts gobreaker.Counts) bool {
				return counts.ConsecutiveFailures >= uint32(c.failures)
			},
			IsExcluded: func(err error) bool { return err == errExcluded },
		}
		if c.onChange != nil {
			st.OnStateChange = func(_ string, from, to gobreaker.State) {
				c.onChange(fromGobreaker(from), fromGobreaker(to))
			}
		}
		r.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	}
	return r
}

// BreakerState returns the circuit breaker's state: always Closed without
// WithCircuitBreaker.
func (s *Store) BreakerState() BreakerState {
	if s.cb == nil {
		return Closed
	}
	return fromGobreaker(s.cb.State())
}

// do runs call under the protections. Invalid arguments and a caller's ctx
// that is already done never reach the breaker or the store.
func (s *Store) do(ctx context.Context, op, key string, ttl time.Duration, call func(ctx context.Context) error) error {
	if err := state.CheckArgs(ctx, key, ttl); err != nil {
		return fmt.Errorf("resilient: %s: %w", op, err)
	}
	var done func(error)
	if s.cb != nil {
		d, err := s.cb.Allow()
		if err != nil {
			why := "open"
			if errors.Is(err, gobreaker.ErrTooManyRequests) {
				why = "half-open, probe in flight"
			}
			return fmt.Errorf("resilient: %s %q: circuit breaker %s: %w", op, key, why, state.ErrUnavailable)
		}
		done = d
	}

	cctx, cancel := ctx, context.CancelFunc(nil)
	if s.timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, s.timeout)
	}
	err := call(cctx)
	timedOut := err != nil && cctx.Err() != nil && ctx.Err() == nil
	if cancel != nil {
		cancel()
	}

	var outcome error // what the breaker counts: nil, errExcluded or a failure
	switch {
	case err == nil, isAnswer(err):
	case ctx.Err() != nil:
		// The caller gave up: their error, not the store's fault.
		outcome = errExcluded
		if !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("resilient: %s %q: %w (store: %v)", op, key, ctx.Err(), err)
		}
	case timedOut:
		outcome = fmt.Errorf("resilient: %s %q: no answer within %v (%v): %w", op, key, s.timeout, err, state.ErrUnavailable)
		err = outcome
	default:
		outcome = err
	}
	if done != nil {
		done(outcome)
	}
	return err
}

// isAnswer reports whether err is the store's answer about the data rather
// than a failure to answer.
func isAnswer(err error) bool {
	return errors.Is(err, state.ErrNotFound) ||
		errors.Is(err, state.ErrAlreadyExists) ||
		errors.Is(err, state.ErrVersionConflict) ||
		errors.Is(err, state.ErrInvalidKey)
}

// Get calls the wrapped store's Get under the protections.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	var it state.Item
	err := s.do(ctx, "get", key, 0, func(ctx context.Context) (err error) {
		it, err = s.next.Get(ctx, key)
		return err
	})
	return it, err
}

// Create calls the wrapped store's Create under the protections; on
// state.ErrAlreadyExists it returns the existing item as the store did.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	var it state.Item
	err := s.do(ctx, "create", key, ttl, func(ctx context.Context) (err error) {
		it, err = s.next.Create(ctx, key, value, ttl)
		return err
	})
	return it, err
}

// Put calls the wrapped store's Put under the protections.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	var v state.Version
	err := s.do(ctx, "put", key, ttl, func(ctx context.Context) (err error) {
		v, err = s.next.Put(ctx, key, value, ttl)
		return err
	})
	return v, err
}

// CompareAndSwap calls the wrapped store's CompareAndSwap under the
// protections.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	var v state.Version
	err := s.do(ctx, "compare-and-swap", key, ttl, func(ctx context.Context) (err error) {
		v, err = s.next.CompareAndSwap(ctx, key, old, value, ttl)
		return err
	})
	return v, err
}

// Delete calls the wrapped store's Delete under the protections.
func (s *Store) Delete(ctx context.Context, key string, version state.Version) error {
	return s.do(ctx, "delete", key, 0, func(ctx context.Context) error {
		return s.next.Delete(ctx, key, version)
	})
}
