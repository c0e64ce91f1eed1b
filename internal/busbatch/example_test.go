package busbatch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/internal/busbatch"
)

// A publisher whose entries are the events' ids, two to a call; the
// service refuses the entry with id "1" of its second call.
func Example() {
	p, err := busbatch.New(busbatch.Config[string]{
		Name: "demo", Closed: errors.New("demo: closed"), Batch: 2, MaxBatch: 10, Bytes: 1 << 10,
		Encode: func(e *event.Event) (string, int, error) { return e.ID(), len(e.ID()), nil },
		Send: func(_ context.Context, batch []string, fail func(int, error)) error {
			fmt.Println("call", batch)
			if batch[0] == "c" {
				fail(1, errors.New("demo: refused"))
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	var evs []event.Event
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		e := event.New()
		e.SetID(id)
		e.SetSource("/demo")
		e.SetType("demo")
		evs = append(evs, e)
	}
	fmt.Println(p.Publish(context.Background(), evs))
	// Output:
	// call [a b]
	// call [c d]
	// call [e]
	// events: publish failed: 1 of 5 events; event 3 (id "d"): demo: refused
}
