package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

func Example() {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s := memstore.New(memstore.WithClock(func() time.Time { return now }))

	it, err := s.Create(ctx, "order/42", []byte("pending"), time.Hour)
	fmt.Println(string(it.Value), err, it.ExpiresAt.Format(time.Kitchen))

	// A duplicate Create learns what is there.
	it2, err := s.Create(ctx, "order/42", []byte("other"), 0)
	fmt.Println(string(it2.Value), errors.Is(err, state.ErrAlreadyExists))

	// Compare-and-swap from the version we read.
	_, err = s.CompareAndSwap(ctx, "order/42", it.Version, []byte("paid"), 0)
	fmt.Println(err)
	_, err = s.CompareAndSwap(ctx, "order/42", it.Version, []byte("paid twice"), 0)
	fmt.Println(errors.Is(err, state.ErrVersionConflict))

	// Items with a ttl expire when the clock passes it.
	_, _ = s.Put(ctx, "session", []byte("x"), time.Minute)
	now = now.Add(time.Minute)
	_, err = s.Get(ctx, "session")
	fmt.Println(errors.Is(err, state.ErrNotFound), s.Len())
	// Output:
	// pending <nil> 1:00PM
	// pending true
	// <nil>
	// true
	// true 1
}
