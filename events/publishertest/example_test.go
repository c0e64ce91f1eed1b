package publishertest_test

import (
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events/publishertest"
)

// Equal is the comparison the suite makes between what was sent and what
// arrived; transports such as HTTP binary mode carry extensions as strings.
// An implementation's conformance test is
//
//	publishertest.Run(t, func(t *testing.T) publishertest.Target {
//		m := events.NewMemory()
//		return publishertest.Target{Publisher: m, Received: m.Events}
//	})
func ExampleEqual() {
	sent := event.New()
	sent.SetID("1")
	sent.SetSource("/orders")
	sent.SetType("com.example.order.created")
	sent.SetExtension("priority", 7)

	received := sent.Clone()
	received.SetExtension("priority", "7")
	fmt.Println(publishertest.Equal(sent, received))

	received.SetSubject("changed")
	fmt.Println(publishertest.Equal(sent, received))
	// Output:
	// true
	// false
}
