// Package memstore is an in-memory state.Store for unit tests and
// single-process tools: a map behind a mutex, with the full contract of
// state.Store (versions, compare-and-swap, TTL) and no persistence.
//
// Versions come from a counter per Store, so they never repeat within a
// Store, and a test's sequence of writes always yields the same versions.
// Expired items behave as absent; they are dropped when a call touches
// their key or when Len runs, not in the background.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fnkit/fnkit/state"
)

// Option configures a Store.
type Option func(*config)

type config struct {
	now func() time.Time
}

// WithClock sets the clock that decides expiry and Item.ExpiresAt; the
// default is time.Now. Tests move a fake clock instead of sleeping.
//
// It panics if now is nil.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("memstore: WithClock(nil)")
	}
	return func(c *config) { c.now = now }
}

// Store is an in-memory state.Store. The zero value is not usable; call
// New. All methods are safe for concurrent use.
type Store struct {
	now func() time.Time

	mu      sync.Mutex
	items   map[string]entry
	version state.Version // the last version given out
}

type entry struct {
	value     []byte
	version   state.Version
	expiresAt time.Time // zero: never
}

var _ state.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts ...Option) *Store {
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return &Store{now: c.now, items: make(map[string]entry)}
}

// live returns the entry at key if there is one that has not expired at
// now, dropping an expired one. s.mu must be held.
func (s *Store) live(key string, now time.Time) (entry, bool) {
	e, ok := s.items[key]
	if !ok {
		return entry{}, false
	}
	if !e.expiresAt.IsZero() && !now.Before(e.expiresAt) {
		delete(s.items, key)
		return entry{}, false
	}
	return e, true
}

// write stores a copy of value at key and returns its version. s.mu must
// be held.
func (s *Store) write(key string, value []byte, ttl time.Duration, now time.Time) entry {
	s.version++
	e := entry{
		value:     bytes.Clone(value),
		version:   s.version,
		expiresAt: state.ExpiresAt(now, ttl),
	}
	s.items[key] = e
	return e
}

func (e entry) item() state.Item {
	v := e.value
	if v == nil {
		v = []byte{}
	}
	return state.Item{Value: bytes.Clone(v), Version: e.version, ExpiresAt: e.expiresAt}
}

func check(ctx context.Context, key string, ttl time.Duration) error {
	if err := state.CheckArgs(ctx, key, ttl); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

// Get returns the live item at key, or an error wrapping state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := check(ctx, key, 0); err != nil {
		return state.Item{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return state.Item{}, fmt.Errorf("memstore: get %q: %w", key, state.ErrNotFound)
	}
	return e.item(), nil
}

// Create stores value at key unless a live item has the key, in which
// case it returns that item and an error wrapping state.ErrAlreadyExists.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := check(ctx, key, ttl); err != nil {
		return state.Item{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e, ok := s.live(key, now); ok {
		return e.item(), fmt.Errorf("memstore: create %q: %w", key, state.ErrAlreadyExists)
	}
	e := s.write(key, value, ttl, now)
	// The caller's value is already a copy distinct from the stored one:
	// hand it back rather than cloning the stored copy a second time.
	v := value
	if v == nil {
		v = []byte{}
	}
	return state.Item{Value: v, Version: e.version, ExpiresAt: e.expiresAt}, nil
}

// Put stores value at key whatever is there and returns the new version.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(key, value, ttl, s.now()).version, nil
}

// CompareAndSwap replaces the live item at key if its version is old. It
// returns an error wrapping state.ErrNotFound if there is none and
// state.ErrVersionConflict if its version differs.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.live(key, now)
	if !ok {
		return 0, fmt.Errorf("memstore: compare-and-swap %q: %w", key, state.ErrNotFound)
	}
	if e.version != old {
		return 0, fmt.Errorf("memstore: compare-and-swap %q: %w", key, state.ErrVersionConflict)
	}
	return s.write(key, value, ttl, now).version, nil
}

// Delete removes the item at key: unconditionally with state.AnyVersion,
// otherwise only if its version is version (errors wrapping
// state.ErrNotFound and state.ErrVersionConflict otherwise).
func (s *Store) Delete(ctx context.Context, key string, version state.Version) error {
	if err := check(ctx, key, 0); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	switch {
	case version == state.AnyVersion:
	case !ok:
		return fmt.Errorf("memstore: delete %q: %w", key, state.ErrNotFound)
	case e.version != version:
		return fmt.Errorf("memstore: delete %q: %w", key, state.ErrVersionConflict)
	}
	delete(s.items, key)
	return nil
}

// Len returns the number of live items, dropping expired ones: a test can
// check that nothing was left behind. It takes time proportional to the
// number of stored items.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k := range s.items {
		s.live(k, now)
	}
	return len(s.items)
}
