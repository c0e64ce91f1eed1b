package nightly

import (
	"context"
	"fmt"
	"time"

	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

// The job in a unit test: two orders, a PingSource tick at 03:00, and the
// report of the run.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	job := NewJob(store, 48*time.Hour, time.Now)
	night := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	_ = job.Place(ctx, Order{ID: "stale", PlacedAt: night.Add(-72 * time.Hour)})
	_ = job.Place(ctx, Order{ID: "recent", PlacedAt: night.Add(-2 * time.Hour)})
	tick := handlertest.NewEvent(handlertest.WithID("ping-1"), handlertest.WithType(TypePing), handlertest.WithTime(night),
		handlertest.WithSource("/apis/v1/namespaces/default/pingsources/nightly"))
	res := handlertest.Invoke(ctx, job.Handler(), tick)
	fmt.Println(res.Err)
	fmt.Println(string(res.Reply.Data()))
	// Output:
	// <nil>
	// {"run":"/apis/v1/namespaces/default/pingsources/nightly#ping-1","asOf":"2026-03-14T03:00:00Z","cutoff":"2026-03-12T03:00:00Z","expired":["stale"],"pending":1}
}
