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
	"hash/maphash"
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
	now  func() time.Time
	seed maphash.Seed
	hash func(string) uint64 // nil: maphash.String with seed (tests change it)

	mu sync.Mutex
	// index maps the hash of each key to the position of its entry in
	// chunks: its slots hold no pointers, so that a map of millions of
	// keys costs the garbage collector nothing and grows without reading
	// the keys again, and entries never move. A key whose hash another
	// key already had when it was added is in spill instead (rare). All
	// chunks but the last hold chunkLen entries; the first grows from a
	// few, so that a small Store stays small. The entries of deleted keys
	// are on free, for reuse; n entries have been used so far.
	index   map[uint64]int
	spill   map[string]int // nil until a hash is shared
	chunks  [][]entry
	n       int
	free    []int
	version state.Version // the last version given out

	// Expired entries are swept out when the store has grown to sweepLen
	// keys and soonest, no later than the earliest expiry of any entry,
	// has passed: so that a long-running Store holding keys with a TTL
	// does not grow for ever, at a cost that stays proportional to the
	// writes.
	soonest  time.Time // zero: no entry expires
	sweepLen int
}

// entry is a stored item, or a free one if its key is empty. Its value is
// never handed out (callers get copies), so that it can be overwritten in
// place.
type entry struct {
	key       string
	value     []byte
	version   state.Version
	expiresAt time.Time // zero: never
}

// minSweepLen is the smallest store that is swept.
const minSweepLen = 1024

// chunkLen is the number of entries allocated together, once a Store has
// that many.
const chunkLen = 256

var _ state.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts ...Option) *Store {
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return &Store{now: c.now, seed: maphash.MakeSeed(), index: make(map[uint64]int), sweepLen: minSweepLen}
}

// hashOf returns the hash of key.
func (s *Store) hashOf(key string) uint64 {
	if s.hash != nil {
		return s.hash(key)
	}
	return maphash.String(s.seed, key)
}

// entry returns the entry at position i. s.mu must be held.
func (s *Store) entry(i int) *entry { return &s.chunks[i/chunkLen][i%chunkLen] }

// slot is where a key is or would go: the position of its entry if found,
// and else whether its hash is taken by another key.
type slot struct {
	h     uint64
	i     int
	found bool
	taken bool
}

// find looks key up. s.mu must be held.
func (s *Store) find(key string) slot {
	h := s.hashOf(key)
	i, taken := s.index[h]
	if taken && s.entry(i).key == key {
		return slot{h: h, i: i, found: true}
	}
	if len(s.spill) > 0 {
		if i, ok := s.spill[key]; ok {
			return slot{h: h, i: i, found: true}
		}
	}
	return slot{h: h, taken: taken}
}

// live finds the entry at key if there is one that has not expired at
// now, dropping an expired one. s.mu must be held.
func (s *Store) live(key string, now time.Time) slot {
	sl := s.find(key)
	if !sl.found {
		return sl
	}
	if e := s.entry(sl.i); !e.expiresAt.IsZero() && !now.Before(e.expiresAt) {
		s.remove(sl.h, sl.i)
		return s.find(key) // where it would go now
	}
	return sl
}

// remove drops the entry at position i, whose key has hash h. s.mu must
// be held.
func (s *Store) remove(h uint64, i int) {
	e := s.entry(i)
	if j, ok := s.index[h]; ok && j == i {
		delete(s.index, h)
	} else {
		delete(s.spill, e.key)
	}
	*e = entry{}
	s.free = append(s.free, i)
}

// write stores a copy of value at key, in the entry sl found or else in a
// new one, and returns the entry. s.mu must be held.
func (s *Store) write(key string, sl slot, value []byte, ttl time.Duration, now time.Time) *entry {
	i := sl.i
	if !sl.found {
		i = s.add(key, sl, now)
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

// len is the number of stored keys, live or not. s.mu must be held.
func (s *Store) len() int { return len(s.index) + len(s.spill) }

// add makes a new entry for key, which find did not find at sl, and
// returns its position; first it sweeps out expired entries if the store
// has grown enough. s.mu must be held.
func (s *Store) add(key string, sl slot, now time.Time) int {
	if s.len() >= s.sweepLen {
		if !s.soonest.IsZero() && !now.Before(s.soonest) {
			s.sweep(now)
			sl = s.find(key) // the sweep may have freed its hash
		}
		s.sweepLen = max(2*s.len(), minSweepLen)
	}
	var i int
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		i = s.n
		s.n++
		if i%chunkLen == 0 {
			s.chunks = append(s.chunks, make([]entry, 0, min(i+8, chunkLen)))
		}
		c := &s.chunks[i/chunkLen]
		*c = append(*c, entry{})
	}
	s.entry(i).key = key
	if sl.taken {
		if s.spill == nil {
			s.spill = make(map[string]int)
		}
		s.spill[key] = i
	} else {
		s.index[sl.h] = i
	}
	return i
}

// sweep drops every entry expired at now and recomputes s.soonest. s.mu
// must be held.
func (s *Store) sweep(now time.Time) {
	s.soonest = time.Time{}
	for i := range s.n {
		e := s.entry(i)
		if e.key == "" || e.expiresAt.IsZero() {
			continue
		}
		if !now.Before(e.expiresAt) {
			s.remove(s.hashOf(e.key), i)
		} else if s.soonest.IsZero() || e.expiresAt.Before(s.soonest) {
			s.soonest = e.expiresAt
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
	sl := s.live(key, s.now())
	if !sl.found {
		return state.Item{}, fmt.Errorf("memstore: get %q: %w", key, state.ErrNotFound)
	}
	return s.entry(sl.i).item(), nil
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
	sl := s.live(key, now)
	if sl.found {
		return s.entry(sl.i).item(), fmt.Errorf("memstore: create %q: %w", key, state.ErrAlreadyExists)
	}
	e := s.write(key, sl, value, ttl, now)
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
	// Expired or not, what is there is overwritten.
	return s.write(key, s.find(key), value, ttl, now).version, nil
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
	sl := s.live(key, now)
	if !sl.found {
		return 0, fmt.Errorf("memstore: compare-and-swap %q: %w", key, state.ErrNotFound)
	}
	if s.entry(sl.i).version != old {
		return 0, fmt.Errorf("memstore: compare-and-swap %q: %w", key, state.ErrVersionConflict)
	}
	return s.write(key, sl, value, ttl, now).version, nil
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
	sl := s.live(key, s.now())
	switch {
	case version == state.AnyVersion:
	case !sl.found:
		return fmt.Errorf("memstore: delete %q: %w", key, state.ErrNotFound)
	case s.entry(sl.i).version != version:
		return fmt.Errorf("memstore: delete %q: %w", key, state.ErrVersionConflict)
	}
	if sl.found {
		s.remove(sl.h, sl.i)
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
	return s.len()
}
