package awsfifo_test

import (
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/internal/awsfifo"
)

// A FIFO queue's message takes the partitionkey extension as its group.
func Example() {
	q := &awsfifo.Target{Pkg: "demo", Kind: "queue", Address: "a URL", Name: "https://sqs.example/1/orders.fifo",
		ErrInvalidKey: errors.New("demo: invalid key"), ErrTooLarge: errors.New("demo: too large"), MaxSize: 1 << 10}
	if err := q.Setup(); err != nil {
		panic(err)
	}
	e := event.New()
	e.SetID("1")
	e.SetSource("/orders")
	e.SetType("order.created")
	e.SetExtension("partitionkey", "customer-7")
	m, err := q.Encode(&e)
	fmt.Println(m.Group, len(m.Dedup), err)
	fmt.Println(q.CheckKey("message group id", "has space", false))
	// Output:
	// customer-7 64 <nil>
	// handler: permanent failure: demo: invalid key: message group id "has space" has ' ' at byte 3 (only letters, digits and ASCII punctuation)
}
