package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
)

func Example() {
	dir, err := os.MkdirTemp("", "boltstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.db")
	ctx := context.Background()

	s, err := boltstore.Open(path, boltstore.WithSweepInterval(time.Minute))
	if err != nil {
		panic(err)
	}
	it, _ := s.Create(ctx, "greeting", []byte("hello"), 0)
	_, err = s.CompareAndSwap(ctx, "greeting", it.Version, []byte("hello, world"), 0)
	fmt.Println(err)
	_ = s.Close()

	// The item survives a restart; a stale version still conflicts.
	s, err = boltstore.Open(path)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	got, _ := s.Get(ctx, "greeting")
	fmt.Println(string(got.Value))
	_, err = s.CompareAndSwap(ctx, "greeting", it.Version, []byte("stale"), 0)
	fmt.Println(errors.Is(err, state.ErrVersionConflict))
	// Output:
	// <nil>
	// hello, world
	// true
}
