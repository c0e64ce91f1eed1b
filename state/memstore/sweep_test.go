package memstore

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/storetest"
)

// TestSweep: writes that add keys drop expired entries once the store has
// doubled, without Len, so that a long-running store stays bounded; and
// the entries of dropped keys are reused.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return now }))
	const expiring, kept = 1500, 100
	for i := range kept {
		if _, err := s.Put(ctx, "keep"+strconv.Itoa(i), []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range expiring {
		if _, err := s.Put(ctx, "exp"+strconv.Itoa(i), []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	// Adding keys past twice the size at the last check sweeps.
	for i := range 1000 {
		if _, err := s.Create(ctx, "new"+strconv.Itoa(i), []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	stored, used := s.len(), s.n
	s.mu.Unlock()
	if stored != kept+1000 {
		t.Fatalf("%d keys stored after the sweep, want %d", stored, kept+1000)
	}
	if used >= kept+expiring+1000 {
		t.Fatalf("%d entries used: the expired ones were not reused", used)
	}
	for _, k := range []string{"keep0", "keep99", "new0", "new999"} {
		if _, err := s.Get(ctx, k); err != nil {
			t.Fatalf("Get(%q) after the sweep: %v", k, err)
		}
	}
	if _, err := s.Get(ctx, "exp0"); err == nil {
		t.Fatal("an expired key is still there")
	}
	if n := s.Len(); n != kept+1000 {
		t.Fatalf("Len = %d, want %d", n, kept+1000)
	}
}

// TestSweepKeepsLive: sweeps, by writes and by Len, drop only the expired
// entries, with expiries spread over time.
func TestSweepKeepsLive(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return now }))
	for i := range 5000 {
		if _, err := s.Put(ctx, strconv.Itoa(i), []byte("v"), time.Duration(i+1)*time.Second); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Millisecond) // 5 s in all: under the first expiry but one
	}
	if n := s.Len(); n != 5000-4 {
		t.Fatalf("Len = %d, want %d", n, 5000-4)
	}
}

// colliding returns a store in which keys share few hashes, so that most
// of them are spilled.
func colliding(opts ...Option) *Store {
	s := New(opts...)
	s.hash = func(k string) uint64 { return uint64(len(k) % 3) }
	return s
}

// TestConformanceCollidingHashes runs the conformance suite with keys
// whose hashes collide.
func TestConformanceCollidingHashes(t *testing.T) {
	clk := storetest.NewClock()
	storetest.Run(t, func(t *testing.T) state.Store {
		return colliding(WithClock(clk.Now))
	}, storetest.WithClock(clk))
}

// TestCollidingKeys: keys sharing a hash stay apart through writes,
// deletes, expiry and sweeps, whichever of them took the hash first.
func TestCollidingKeys(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := colliding(WithClock(func() time.Time { return now }))
	want := map[string]string{}
	put := func(k string, ttl time.Duration) {
		t.Helper()
		v := k + "@" + strconv.Itoa(len(want))
		if _, err := s.Put(ctx, k, []byte(v), ttl); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	check := func(when string) {
		t.Helper()
		for k, v := range want {
			it, err := s.Get(ctx, k)
			if err != nil || string(it.Value) != v {
				t.Fatalf("%s: Get(%q) = %q, %v; want %q", when, k, it.Value, err, v)
			}
		}
		if n := s.Len(); n != len(want) {
			t.Fatalf("%s: Len = %d, want %d", when, n, len(want))
		}
	}
	for i := range 30 {
		put("k"+strconv.Itoa(i), 0)
	}
	check("after the puts")
	// Delete the first key of each hash: the others must stay reachable.
	for _, k := range []string{"k0", "k10", "k1"} {
		if err := s.Delete(ctx, k, state.AnyVersion); err != nil {
			t.Fatal(err)
		}
		delete(want, k)
		if _, err := s.Get(ctx, k); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("Get(%q) after Delete: %v", k, err)
		}
	}
	check("after the deletes")
	// New keys take the freed hashes; deleted ones come back.
	put("k0", 0)
	put("new1", time.Minute)
	put("k1", time.Minute)
	check("after the new keys")
	now = now.Add(time.Minute)
	delete(want, "new1")
	delete(want, "k1")
	check("after expiry")
	for _, k := range []string{"k1", "new1"} {
		if _, err := s.Create(ctx, k, []byte("again"), 0); err != nil {
			t.Fatalf("Create(%q) after its expiry: %v", k, err)
		}
		want[k] = "again"
	}
	check("after re-creating the expired keys")
}
