package cloudfunctions_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// CloudEventFunc is the function the Functions Framework calls; a test
// can call it directly. A permanent failure is dead-lettered and
// acknowledged, so Google does not retry it.
func ExampleCloudEventFunc() {
	onUpload := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		fmt.Println("handling", e.Subject(), "on", inv.Platform)
		if e.Subject() == "objects/bad.exe" {
			return nil, handler.Permanent(errors.New("executables are refused"))
		}
		return nil, nil
	})
	dlq := events.NewMemory()
	fn := cloudfunctions.CloudEventFunc(onUpload, cloudfunctions.WithDeadLetter(dlq),
		cloudfunctions.WithLogger(slog.New(slog.DiscardHandler)))

	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("//storage.googleapis.com/projects/_/buckets/uploads")
	e.SetType(events.TypeStorageObjectFinalized)
	e.SetSubject("objects/cat.png")
	fmt.Println(fn(context.Background(), e))
	e.SetSubject("objects/bad.exe")
	fmt.Println(fn(context.Background(), e), dlq.Len())
	// Output:
	// handling objects/cat.png on gcp-cloud-functions
	// <nil>
	// handling objects/bad.exe on gcp-cloud-functions
	// <nil> 1
}
