package memstore

import (
	"context"
	"strconv"
	"testing"
	"time"
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
	stored, used := len(s.index), s.n
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
