package observe

import (
	"context"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

type eventT = event.Event

// callSafe calls h, recovering a panic into a *handler.PanicError so that
// the flush still happens.
func callSafe(ctx context.Context, h handler.Handler, e event.Event) (*event.Event, error) {
	return handler.Call(ctx, h, e)
}

// nowMillis is the EMF timestamp: milliseconds since the epoch.
func nowMillis() int64 { return time.Now().UnixMilli() }
