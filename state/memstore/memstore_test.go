package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/storetest"
)

func TestConformance(t *testing.T) {
	clk := storetest.NewClock()
	storetest.Run(t, func(t *testing.T) state.Store {
		return memstore.New(memstore.WithClock(clk.Now))
	}, storetest.WithClock(clk))
}

func TestConformanceRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps about 1.3 s")
	}
	// One store for every subtest, as a shared server would be.
	s := memstore.New()
	storetest.Run(t, func(t *testing.T) state.Store { return s })
}

func TestLen(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	s := memstore.New(memstore.WithClock(clk.Now))
	if n := s.Len(); n != 0 {
		t.Fatalf("Len of a new store = %d", n)
	}
	if _, err := s.Put(ctx, "short", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "long", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "forever", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 3 {
		t.Fatalf("Len = %d; want 3", n)
	}
	clk.Advance(time.Minute)
	if n := s.Len(); n != 2 {
		t.Fatalf("Len after the first expiry = %d; want 2", n)
	}
	clk.Advance(time.Hour)
	if n := s.Len(); n != 1 {
		t.Fatalf("Len after the second expiry = %d; want 1", n)
	}
	if err := s.Delete(ctx, "forever", state.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 0 {
		t.Fatalf("Len after Delete = %d; want 0", n)
	}
}

// TestOverwriteKeepsHandedOutValues: a value already returned stays as it
// was when the stored one is overwritten in place by one of similar size.
func TestOverwriteKeepsHandedOutValues(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	c, err := s.Create(ctx, "k", []byte("first value"), 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	existing, err := s.Create(ctx, "k", []byte("other"), 0)
	if !errors.Is(err, state.ErrAlreadyExists) {
		t.Fatalf("Create of an existing key: %v", err)
	}
	v, err := s.CompareAndSwap(ctx, "k", c.Version, []byte("2nd value!!"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", []byte("third value"), 0); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"Create": c.Value, "Get": got.Value, "conflicting Create": existing.Value} {
		if string(b) != "first value" {
			t.Errorf("value from %s became %q", name, b)
		}
	}
	if _, err := s.CompareAndSwap(ctx, "k", v, []byte("x"), 0); !errors.Is(err, state.ErrVersionConflict) {
		t.Fatalf("CompareAndSwap from a replaced version: %v", err)
	}
	if got, _ := s.Get(ctx, "k"); string(got.Value) != "third value" {
		t.Fatalf("stored %q", got.Value)
	}
}

func TestVersionsDeterministic(t *testing.T) {
	ctx := context.Background()
	run := func() []state.Version {
		s := memstore.New()
		it, _ := s.Create(ctx, "a", []byte("1"), 0)
		v2, _ := s.Put(ctx, "b", []byte("2"), 0)
		v3, _ := s.CompareAndSwap(ctx, "a", it.Version, []byte("3"), 0)
		return []state.Version{it.Version, v2, v3}
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] || a[i] == state.AnyVersion {
			t.Fatalf("versions of two identical runs: %v and %v", a, b)
		}
	}
}

func TestWithClockNilPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("WithClock(nil) did not panic")
		}
	}()
	memstore.WithClock(nil)
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, memstore.New())
}
