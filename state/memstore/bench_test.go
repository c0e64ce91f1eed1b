package memstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state/memstore"
)

// BenchmarkNewKey is what an idempotent delivery of a new key asks of the
// store: a Create, then a CompareAndSwap of the created item, into a map
// growing by one key per iteration.
func BenchmarkNewKey(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	claim := make([]byte, 34)
	done := make([]byte, 100)
	buf := []byte("idem//7:/ordersn")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := string(strconv.AppendInt(buf, int64(i), 10))
		i++
		it, err := s.Create(ctx, key, claim, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.CompareAndSwap(ctx, key, it.Version, done, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallStore is a unit test's or a fuzz input's use of a Store:
// a new one, a few writes and a read.
func BenchmarkSmallStore(b *testing.B) {
	ctx := context.Background()
	v := []byte("value")
	b.ReportAllocs()
	for b.Loop() {
		s := memstore.New()
		if _, err := s.Put(ctx, "a", v, 0); err != nil {
			b.Fatal(err)
		}
		it, err := s.Create(ctx, "b", v, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.CompareAndSwap(ctx, "b", it.Version, v, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, "a"); err != nil {
			b.Fatal(err)
		}
	}
}
