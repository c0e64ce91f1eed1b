package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/fnkit/fnkit/state"
)

// benchValueSize is the size of the values Bench writes: a typical small
// JSON document or idempotency record.
const benchValueSize = 256

// Bench measures s with sub-benchmarks:
//
//   - Get: read one existing key;
//   - Create: create a new key per operation;
//   - Put: overwrite one key;
//   - CompareAndSwap: swap one key sequentially, each swap with the version
//     the previous one returned;
//   - CompareAndSwapParallel: the same under b.RunParallel, each goroutine
//     on its own key (throughput of independent writers).
//
// Values are 256 bytes without ttl. Keys live under a prefix unique to
// the run; keys written by Create are deleted after the timed loop.
func Bench(b *testing.B, s state.Store) {
	ctx := context.Background()
	prefix := newPrefix(b)
	value := pattern(benchValueSize, 0)

	b.Run("Get", func(b *testing.B) {
		k := prefix + "get"
		mustPut(b, s, k, value, 0)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	})

	var runs int // b.Run may call a benchmark function more than once
	b.Run("Create", func(b *testing.B) {
		runs++
		kp := prefix + "create/" + strconv.Itoa(runs) + "/"
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Create(ctx, kp+strconv.Itoa(n), value, 0); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.StopTimer()
		for i := range n {
			if err := s.Delete(ctx, kp+strconv.Itoa(i), state.AnyVersion); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Put", func(b *testing.B) {
		k := prefix + "put"
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Put(ctx, k, value, 0); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("CompareAndSwap", func(b *testing.B) {
		k := prefix + "cas"
		v := mustPut(b, s, k, value, 0)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if v, err = s.CompareAndSwap(ctx, k, v, value, 0); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("CompareAndSwapParallel", func(b *testing.B) {
		var id atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			k := prefix + "cas-parallel/" + strconv.FormatInt(id.Add(1), 10)
			v, err := s.Put(ctx, k, value, 0)
			if err != nil {
				b.Error(err)
				return
			}
			for pb.Next() {
				if v, err = s.CompareAndSwap(ctx, k, v, value, 0); err != nil {
					if errors.Is(err, state.ErrVersionConflict) {
						b.Errorf("conflict on a key only this goroutine writes: %v", err)
					} else {
						b.Error(err)
					}
					return
				}
			}
		})
	})
}
