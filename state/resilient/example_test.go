package resilient_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/resilient"
)

// down is a store whose server is unreachable.
type down struct{ state.Store }

func (down) Get(ctx context.Context, key string) (state.Item, error) {
	return state.Item{}, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

func Example() {
	ctx := context.Background()
	s := resilient.New(down{memstore.New()},
		resilient.WithTimeout(500*time.Millisecond),
		resilient.WithCircuitBreaker(2, 30*time.Second))

	for range 3 {
		_, err := s.Get(ctx, "k")
		fmt.Println(errors.Is(err, state.ErrUnavailable), s.BreakerState())
	}
	// Output:
	// false closed
	// false open
	// true open
}
