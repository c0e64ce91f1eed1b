// Package memstore is an in-memory state.Store for unit tests and
// single-process tools: a map behind a mutex, with the full contract of
// state.Store (versions, compare-and-swap, TTL) and no persistence.
//
// Versions come from a counter per Store, so they never repeat within a
// Store, and a test's sequence of writes always yields the same versions.
// Expired items behave as absent; they are dropped when a call touches
// their key, when Len runs, and by a sweep from the write that adds a key
// once the number of keys has doubled since the last check (so that the
// store does not grow for ever); never in the background.
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

	mu sync.Mutex
	// index maps each key to the position of its entry in chunks; the
	// map's slots stay small, which matters when it grows to millions of
	// keys, and entries never move. The entries of deleted keys are on
	// free, for reuse; n entries have been used so far.
	index   map[string]int
	chunks  []*[chunkLen]entry
	n       int
	free    []int
	version state.Version // the last version given out

	// Expired entries are swept out when the index has grown to sweepLen
	// keys and soonest, no later than the earliest expiry of any entry,
	// has passed: so that a long-running Store holding keys with a TTL
	// does not grow for ever, at a cost that stays proportional to the
	// writes.
	soonest  time.Time // zero: no entry expires
	sweepLen int
}

// entry is a stored item. Its value is never handed out (callers get
// copies), so that it can be overwritten in place.
type entry struct {
	value     []byte
	version   state.Version
	expiresAt time.Time // zero: never
}

// minSweepLen is the smallest index that is swept.
const minSweepLen = 1024

// chunkLen is the number of entries allocated together.
const chunkLen = 256

// entry returns the entry at position i. s.mu must be held.
func (s *Store) entry(i int) *entry { return &s.chunks[i/chunkLen][i%chunkLen] }

var _ state.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts ...Option) *Store {
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return &Store{now: c.now, index: make(map[string]int), sweepLen: minSweepLen}
}

// live returns the position of the entry at key if there is one that has
// not expired at now, dropping an expired one. s.mu must be held.
func (s *Store) live(key string, now time.Time) (int, bool) {
	i, ok := s.index[key]
	if !ok {
		return 0, false
	}
	if e := s.entry(i); !e.expiresAt.IsZero() && !now.Before(e.expiresAt) {
		s.remove(key, i)
		return 0, false
	}
	return i, true
}

// remove drops the entry at key, at position i. s.mu must be held.
func (s *Store) remove(key string, i int) {
	delete(s.index, key)
	*s.entry(i) = entry{}
	s.free = append(s.free, i)
}

// write stores a copy of value at key, over the entry at position i if
// found (else in a new entry), and returns the entry. s.mu must be held.
func (s *Store) write(key string, i int, found bool, value []byte, ttl time.Duration, now time.Time) *entry {
	if !found {
		i = s.add(key, now)
	}
	e := s.entry(i)
	s.version++
	e.version = s.version
	e.expiresAt = state.ExpiresAt(now, ttl)
	if !e.expiresAt.IsZero() && (s.soonest.IsZero() || e.expiresAt.Before(s.soonest)) {
		s.soonest = e.expiresAt
	}
	if e.value != nil && cap(e.value) >= len(value) && cap(e.value) <= 2*len(value)+64 {
		e.value = append(e.value[:0], value...) // no copy of it was handed out
	} else {
		e.value = bytes.Clone(value)
	}
	if e.value == nil {
		e.value = []byte{}
	}
	return e
}

// add makes a new, empty entry for key and returns its position, first
// sweeping out expired entries if the index has grown enough. s.mu must
// be held.
func (s *Store) add(key string, now time.Time) int {
	if len(s.index) >= s.sweepLen {
		if !s.soonest.IsZero() && !now.Before(s.soonest) {
			s.sweep(now)
		}
		s.sweepLen = max(2*len(s.index), minSweepLen)
	}
	var i int
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		i = s.n
		s.n++
		if i/chunkLen == len(s.chunks) {
			s.chunks = append(s.chunks, new([chunkLen]entry))
		}
	}
	s.index[key] = i
	return i
}

// sweep drops every entry expired at now and recomputes s.soonest. s.mu
// must be held.
func (s *Store) sweep(now time.Time) {
	s.soonest = time.Time{}
	for k, i := range s.index {
		if exp := s.entry(i).expiresAt; !exp.IsZero() {
			if !now.Before(exp) {
				s.remove(k, i)
			} else if s.soonest.IsZero() || exp.Before(s.soonest) {
				s.soonest = exp
			}
		}
	}
}

func (e *entry) item() state.Item {
	return state.Item{Value: bytes.Clone(e.value), Version: e.version, ExpiresAt: e.expiresAt}
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
	i, ok := s.live(key, s.now())
	if !ok {
		return state.Item{}, fmt.Errorf("memstore: get %q: %w", key, state.ErrNotFound)
	}
	return s.entry(i).item(), nil
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
	if i, ok := s.live(key, now); ok {
		return s.entry(i).item(), fmt.Errorf("memstore: create %q: %w", key, state.ErrAlreadyExists)
	}
	e := s.write(key, 0, false, value, ttl, now)
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
	now := s.now()
	i, ok := s.index[key] // expired or not, it is overwritten
	return s.write(key, i, ok, value, ttl, now).version, nil
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
	i, ok := s.live(key, now)
	if !ok {
		return 0, fmt.Errorf("memstore: compare-and-swap %q: %w", key, state.ErrNotFound)
	}
	if s.entry(i).version != old {
		return 0, fmt.Errorf("memstore: compare-and-swap %q: %w", key, state.ErrVersionConflict)
	}
	return s.write(key, i, true, value, ttl, now).version, nil
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
	i, ok := s.live(key, s.now())
	switch {
	case version == state.AnyVersion:
	case !ok:
		return fmt.Errorf("memstore: delete %q: %w", key, state.ErrNotFound)
	case s.entry(i).version != version:
		return fmt.Errorf("memstore: delete %q: %w", key, state.ErrVersionConflict)
	}
	if ok {
		s.remove(key, i)
	}
	return nil
}

// Len returns the number of live items, dropping expired ones: a test can
// check that nothing was left behind. It takes time proportional to the
// number of stored items.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.now())
	return len(s.index)
}
