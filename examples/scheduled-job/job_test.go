package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/fnkit/fnkit/examples/scheduled-job/nightly"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// asOf is the scheduled time of the ticks of these tests.
var asOf = time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)

func placedEvent(t testing.TB, id string, at time.Time) event.Event {
	t.Helper()
	return handlertest.NewEvent(handlertest.WithID("placed-"+id), handlertest.WithSource("/shop"),
		handlertest.WithType(nightly.TypeOrderPlaced), handlertest.WithJSON(nightly.Order{ID: id, PlacedAt: at}))
}

func paidEvent(t testing.TB, id string) event.Event {
	t.Helper()
	return handlertest.NewEvent(handlertest.WithID("paid-"+id), handlertest.WithSource("/shop"),
		handlertest.WithType(nightly.TypeOrderPaid), handlertest.WithJSON(nightly.Payment{ID: id}))
}

// pingTick is a Knative PingSource's event for the schedule at at.
func pingTick(t testing.TB, id string, at time.Time) event.Event {
	t.Helper()
	return handlertest.NewEvent(handlertest.WithID(id), handlertest.WithSource("/apis/v1/namespaces/default/pingsources/nightly"),
		handlertest.WithType(nightly.TypePing), handlertest.WithTime(at), handlertest.WithJSON(map[string]any{}))
}

func mustInvoke(t *testing.T, h handler.Handler, e event.Event) *handlertest.Result {
	t.Helper()
	res := handlertest.Invoke(context.Background(), h, e)
	if res.Err != nil {
		t.Fatalf("%s: %v", e.Type(), res.Err)
	}
	return res
}

func status(t *testing.T, job *nightly.Job, id string) nightly.Order {
	t.Helper()
	o, err := job.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRunExpiresStaleOrders(t *testing.T) {
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, func() time.Time { t.Fatal("a tick with a time used the clock"); return time.Time{} })
	h := newHandler(store, job, quiet)
	mustInvoke(t, h, placedEvent(t, "old", asOf.Add(-72*time.Hour)))
	mustInvoke(t, h, placedEvent(t, "older", asOf.Add(-96*time.Hour)))
	mustInvoke(t, h, placedEvent(t, "paid", asOf.Add(-72*time.Hour)))
	mustInvoke(t, h, placedEvent(t, "fresh", asOf.Add(-47*time.Hour)))
	mustInvoke(t, h, paidEvent(t, "paid"))

	res := mustInvoke(t, h, pingTick(t, "tick-1", asOf))
	if res.Reply == nil || res.Reply.Type() != nightly.TypeReport {
		t.Fatalf("reply %v, want a %s", res.Reply, nightly.TypeReport)
	}
	rep := handlertest.ReplyAs[nightly.Report](t, res)
	if !slices.Equal(rep.Expired, []string{"old", "older"}) || rep.Pending != 1 || !rep.Cutoff.Equal(asOf.Add(-48*time.Hour)) || !rep.AsOf.Equal(asOf) {
		t.Fatalf("report %+v", rep)
	}
	if o := status(t, job, "old"); o.Status != nightly.StatusExpired || o.ExpiredBy != "/apis/v1/namespaces/default/pingsources/nightly#tick-1" {
		t.Fatalf("old: %+v", o)
	}
	for id, want := range map[string]string{"paid": nightly.StatusPaid, "fresh": nightly.StatusPending, "older": nightly.StatusExpired} {
		if o := status(t, job, id); o.Status != want {
			t.Fatalf("%s: %+v, want %s", id, o, want)
		}
	}
	// Paying an expired order is a permanent failure; an unknown one is
	// invalid input.
	if res := handlertest.Invoke(context.Background(), h, paidEvent(t, "old")); res.Class() != handler.ClassPermanent || !errors.Is(res.Err, nightly.ErrExpired) {
		t.Fatalf("paying an expired order: %v %v", res.Class(), res.Err)
	}
	if res := handlertest.Invoke(context.Background(), h, paidEvent(t, "nobody")); res.Class() != handler.ClassInvalidInput {
		t.Fatalf("paying an unknown order: %v %v", res.Class(), res.Err)
	}
	// A placed event without placedAt is invalid input.
	bad := handlertest.NewEvent(handlertest.WithType(nightly.TypeOrderPlaced), handlertest.WithJSON(map[string]string{"id": "x"}))
	if res := handlertest.Invoke(context.Background(), h, bad); res.Class() != handler.ClassInvalidInput {
		t.Fatalf("order without placedAt: %v %v", res.Class(), res.Err)
	}
	// The next night, nothing is left to expire but the fresh order.
	rep = handlertest.ReplyAs[nightly.Report](t, mustInvoke(t, h, pingTick(t, "tick-2", asOf.Add(24*time.Hour))))
	if !slices.Equal(rep.Expired, []string{"fresh"}) || rep.Pending != 0 {
		t.Fatalf("second night: %+v", rep)
	}
}

// TestRedeliveredTickRunsOnce: a tick delivered again (same source and id)
// gets its first report and does not run again, even though an order went
// stale since; the next tick does expire it.
func TestRedeliveredTickRunsOnce(t *testing.T) {
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, time.Now)
	h := newHandler(store, job, quiet)
	mustInvoke(t, h, placedEvent(t, "a", asOf.Add(-72*time.Hour)))
	first := mustInvoke(t, h, pingTick(t, "tick-1", asOf))
	mustInvoke(t, h, placedEvent(t, "b", asOf.Add(-72*time.Hour)))
	again := mustInvoke(t, h, pingTick(t, "tick-1", asOf))
	if string(again.Reply.Data()) != string(first.Reply.Data()) {
		t.Fatalf("redelivered tick: %s, want the first report %s", again.Reply.Data(), first.Reply.Data())
	}
	if o := status(t, job, "b"); o.Status != nightly.StatusPending {
		t.Fatalf("the redelivered tick ran again: %+v", o)
	}
	rep := handlertest.ReplyAs[nightly.Report](t, mustInvoke(t, h, pingTick(t, "tick-2", asOf.Add(time.Minute))))
	if !slices.Equal(rep.Expired, []string{"b"}) {
		t.Fatalf("next tick: %+v", rep)
	}
}

// TestCutoffIsTheScheduledTime: a tick handled late (the clock is days
// ahead) expires what was stale at its scheduled time, not more; a manual
// run without a time uses the clock.
func TestCutoffIsTheScheduledTime(t *testing.T) {
	store := memstore.New()
	clock := asOf.Add(5 * 24 * time.Hour)
	job := nightly.NewJob(store, 48*time.Hour, func() time.Time { return clock })
	h := newHandler(store, job, quiet)
	mustInvoke(t, h, placedEvent(t, "a", asOf.Add(-24*time.Hour)))
	rep := handlertest.ReplyAs[nightly.Report](t, mustInvoke(t, h, pingTick(t, "late", asOf)))
	if len(rep.Expired) != 0 || rep.Pending != 1 {
		t.Fatalf("late tick used the clock: %+v", rep)
	}
	manual := handlertest.NewEvent(handlertest.WithID("manual-1"), handlertest.WithType(nightly.TypeTick), handlertest.WithJSON(map[string]any{}))
	manual.SetTime(time.Time{})
	rep = handlertest.ReplyAs[nightly.Report](t, mustInvoke(t, h, manual))
	if !rep.AsOf.Equal(clock) || !slices.Equal(rep.Expired, []string{"a"}) {
		t.Fatalf("manual run: %+v", rep)
	}
}
