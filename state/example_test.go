package state_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

// A handler keeps a per-customer tally with optimistic concurrency: read,
// compute, compare-and-swap, retry on conflict.
func Example() {
	ctx := context.Background()
	var s state.Store = memstore.New()

	it, err := s.Create(ctx, "visits/alice", []byte("1"), 24*time.Hour)
	fmt.Println(string(it.Value), err)

	// A duplicate Create learns what is there in the same call.
	it, err = s.Create(ctx, "visits/alice", []byte("1"), 24*time.Hour)
	fmt.Println(string(it.Value), errors.Is(err, state.ErrAlreadyExists))

	_, err = s.CompareAndSwap(ctx, "visits/alice", it.Version, []byte("2"), 24*time.Hour)
	fmt.Println(err)
	_, err = s.CompareAndSwap(ctx, "visits/alice", it.Version, []byte("2"), 24*time.Hour)
	fmt.Println(errors.Is(err, state.ErrVersionConflict))
	// Output:
	// 1 <nil>
	// 1 true
	// <nil>
	// true
}

type Profile struct {
	Name   string `json:"name"`
	Visits int    `json:"visits"`
}

func ExampleTyped_Update() {
	ctx := context.Background()
	profiles := state.NewTyped[Profile](memstore.New())

	for range 3 {
		p, _, err := profiles.Update(ctx, "profile/alice", 0, func(p Profile, found bool) (Profile, error) {
			if !found {
				p.Name = "Alice"
			}
			p.Visits++
			return p, nil
		})
		fmt.Println(p.Name, p.Visits, err)
	}
	// Output:
	// Alice 1 <nil>
	// Alice 2 <nil>
	// Alice 3 <nil>
}
