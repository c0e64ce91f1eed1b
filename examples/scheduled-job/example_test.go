package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fnkit/fnkit/examples/scheduled-job/nightly"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

// Example runs the job as main wires it (the default stack, then
// idempotency): a redelivered tick gets the first run's report and does
// not run again, so the order placed in between is not expired.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, time.Now)
	h := newHandler(store, job, slog.New(slog.DiscardHandler))
	night := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	tick := handlertest.NewEvent(handlertest.WithID("ping-1"), handlertest.WithType(nightly.TypePing), handlertest.WithTime(night),
		handlertest.WithSource("/apis/v1/namespaces/default/pingsources/nightly"))
	_ = job.Place(ctx, nightly.Order{ID: "stale", PlacedAt: night.Add(-72 * time.Hour)})
	first := handlertest.Invoke(ctx, h, tick)
	_ = job.Place(ctx, nightly.Order{ID: "late", PlacedAt: night.Add(-96 * time.Hour)})
	again := handlertest.Invoke(ctx, h, tick)
	fmt.Println(first.Err, again.Err, string(first.Reply.Data()) == string(again.Reply.Data()))
	o, _ := job.Get(ctx, "late")
	fmt.Println(o.Status)
	// Output:
	// <nil> <nil> true
	// pending
}
