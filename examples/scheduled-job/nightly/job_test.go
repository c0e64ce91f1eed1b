package nightly

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state/memstore"
)

var asOf = time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)

func status(t *testing.T, job *Job, id string) Order {
	t.Helper()
	o, err := job.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestPaymentsRacingTheJob: payments and a run at once; every order ends
// either paid (its payment landed first) or expired (its payment fails
// with ErrExpired), never both, never neither.
func TestPaymentsRacingTheJob(t *testing.T) {
	store := memstore.New()
	job := NewJob(store, time.Hour, time.Now)
	ctx := context.Background()
	const n = 40
	for i := range n {
		if err := job.Place(ctx, Order{ID: fmt.Sprint("o", i), PlacedAt: asOf.Add(-2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	payErr := make([]error, n)
	var rep Report
	var runErr error
	var wg sync.WaitGroup
	wg.Go(func() { rep, runErr = job.Run(ctx, "race", asOf) })
	for i := range n {
		wg.Go(func() { payErr[i] = job.Pay(ctx, Payment{ID: fmt.Sprint("o", i)}) })
	}
	wg.Wait()
	if runErr != nil {
		t.Fatal(runErr)
	}
	for i := range n {
		id := fmt.Sprint("o", i)
		o := status(t, job, id)
		expired := slices.Contains(rep.Expired, id)
		switch {
		case o.Status == StatusPaid && payErr[i] == nil && !expired:
		case o.Status == StatusExpired && errors.Is(payErr[i], ErrExpired) && expired:
		default:
			t.Fatalf("%s: status %s, payment %v, in the report %v", id, o.Status, payErr[i], expired)
		}
	}
	if idx, _, err := job.pending.Get(ctx, pendingKey); err != nil || len(idx) != 0 {
		t.Fatalf("pending index %v %v, want empty", idx, err)
	}
}
