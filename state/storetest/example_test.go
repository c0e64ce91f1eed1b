package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/storetest"
)

// An implementation runs the suite from its own test, here with a fake
// clock so that TTL tests do not sleep. A store on a shared server passes
// a newStore that returns the same client every time.
func ExampleRun() {
	testConformance := func(t *testing.T) { // func TestConformance(t *testing.T) in memstore_test.go
		clk := storetest.NewClock()
		storetest.Run(t, func(t *testing.T) state.Store {
			return memstore.New(memstore.WithClock(clk.Now))
		}, storetest.WithClock(clk))
	}
	_ = testConformance
}

// Bench reports a store's throughput from a benchmark of its package.
func ExampleBench() {
	benchmarkStore := func(b *testing.B) { // func BenchmarkStore(b *testing.B) in memstore_test.go
		storetest.Bench(b, memstore.New())
	}
	_ = benchmarkStore
}

// A Clock moves only when told to: items expire without sleeping.
func ExampleClock() {
	ctx := context.Background()
	clk := storetest.NewClock()
	s := memstore.New(memstore.WithClock(clk.Now))
	_, _ = s.Put(ctx, "session", []byte("v"), time.Minute)

	clk.Advance(59 * time.Second)
	_, err := s.Get(ctx, "session")
	fmt.Println(err)
	clk.Advance(time.Second)
	_, err = s.Get(ctx, "session")
	fmt.Println(errors.Is(err, state.ErrNotFound))
	// Output:
	// <nil>
	// true
}
