package events_test

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
)

// A handler under test publishes into a Memory publisher, and the test
// looks at what was published.
func ExampleMemory() {
	pub := events.NewMemory()

	e := event.New()
	e.SetID("order-42-shipped")
	e.SetSource("/orders")
	e.SetType("com.example.order.shipped")
	_ = e.SetData("application/json", map[string]int{"order": 42})
	if err := pub.Publish(context.Background(), e); err != nil {
		fmt.Println(err)
	}

	for _, got := range pub.ByType("com.example.order.shipped") {
		fmt.Println(got.ID(), string(got.Data()))
	}

	bad := event.New() // no id, source or type
	err := pub.Publish(context.Background(), bad)
	fmt.Println(events.FailedIndexes(err, 1), pub.Len())
	// Output:
	// order-42-shipped {"order":42}
	// [0] 1
}
