package ordersaga

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

// tee records every published event in a Memory and passes it on.
type tee struct {
	rec  *events.Memory
	next events.Publisher
}

func (t tee) Publish(ctx context.Context, evs ...event.Event) error {
	if err := t.rec.Publish(ctx, evs...); err != nil {
		return err
	}
	return t.next.Publish(ctx, evs...)
}

// rig is a saga on an in-process Bus, with what the test looks at. Its
// handler is Handler (the router behind idempotency) if idem is true, the
// router alone otherwise.
type rig struct {
	store *memstore.Store
	shop  *Shop
	bus   *Bus
	rec   *events.Memory
	h     handler.Handler
	sagas state.Typed[Saga]
}

func newRig(t *testing.T, idem bool, opts ...BusOption) *rig {
	t.Helper()
	r := &rig{store: memstore.New(), shop: NewShop(map[string]int{"tea": 10}), bus: NewBus(opts...), rec: events.NewMemory()}
	r.shop.NoDelivery = []string{"AQ"}
	pub := tee{r.rec, r.bus}
	svc := NewService(r.store, pub, r.shop.Ports())
	if idem {
		r.h = svc.Handler()
	} else {
		r.h = svc.router()
	}
	r.sagas = state.NewTyped[Saga](r.store)
	return r
}

func placed(t testing.TB, o Order) event.Event {
	t.Helper()
	return handlertest.NewEvent(handlertest.WithID("place-"+o.ID), handlertest.WithSource("/shop"),
		handlertest.WithType(TypeOrderPlaced), handlertest.WithJSON(o))
}

func order(id string) Order {
	return Order{ID: id, Customer: "ada@example.com", SKU: "tea", Qty: 3, Amount: 1250, Country: "FR"}
}

// place publishes order.placed and drains the bus.
func (r *rig) place(t *testing.T, o Order) Saga {
	t.Helper()
	if err := r.bus.Publish(context.Background(), placed(t, o)); err != nil {
		t.Fatal(err)
	}
	if err := r.bus.Drain(context.Background(), r.h); err != nil {
		t.Fatal(err)
	}
	return r.saga(t, o.ID)
}

func (r *rig) saga(t *testing.T, id string) Saga {
	t.Helper()
	sg, _, err := r.sagas.Get(context.Background(), sagaKey(id))
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// checkCalls asserts how many times each port operation ran for id.
func checkCalls(t *testing.T, shop *Shop, id string, want map[string]int) {
	t.Helper()
	for _, op := range []string{"reserve", "charge", "ship", "refund", "release"} {
		if got := shop.Calls(op, id); got != want[op] {
			t.Errorf("%s ran %d times for %s, want %d", op, got, id, want[op])
		}
	}
}

func TestHappyPath(t *testing.T) {
	r := newRig(t, true)
	sg := r.place(t, order("o1"))
	if sg.Status != StatusShipped || sg.Reason != "" {
		t.Fatalf("saga %+v, want shipped", sg)
	}
	r.rec.AssertTypes(t, TypeStockReserved, TypePaymentCharged, TypeOrderShipped)
	shipped := r.rec.AssertPublished(t, TypeOrderShipped)
	if shipped.ID() != "o1/"+TypeOrderShipped || shipped.Source() != Source || shipped.Subject() != "o1" {
		t.Fatalf("order.shipped %s", shipped)
	}
	var ref Ref
	if err := shipped.DataAs(&ref); err != nil || ref.Tracking != "TRK-o1" || ref.OrderID != "o1" {
		t.Fatalf("order.shipped data %+v %v", ref, err)
	}
	checkCalls(t, r.shop, "o1", map[string]int{"reserve": 1, "charge": 1, "ship": 1})
	if r.shop.Stock("tea") != 7 || r.shop.Charged("o1") != 1250 || r.shop.Tracking("o1") != "TRK-o1" {
		t.Fatalf("shop: stock %d, charged %d, tracking %q", r.shop.Stock("tea"), r.shop.Charged("o1"), r.shop.Tracking("o1"))
	}
	if d := r.bus.DeadLetters(); len(d) != 0 {
		t.Fatalf("dead letters: %v", d)
	}
	// A second order.placed for the same order (another id) starts nothing.
	again := placed(t, order("o1"))
	again.SetID("place-o1-again")
	if err := r.bus.Publish(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if err := r.bus.Drain(context.Background(), r.h); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r.shop, "o1", map[string]int{"reserve": 1, "charge": 1, "ship": 1})
}

// TestCompensationsRunOnceUnderRedelivery injects a permanent failure in
// a middle step and delivers every event twice: the compensations run in
// reverse, each exactly once, through Handler (idempotency middleware) and
// through the router alone (the saga's versions alone).
func TestCompensationsRunOnceUnderRedelivery(t *testing.T) {
	for _, idem := range []bool{true, false} {
		name := map[bool]string{true: "behind idempotency", false: "router alone"}[idem]
		t.Run(name+"/charge declined", func(t *testing.T) {
			r := newRig(t, idem, WithDuplicates())
			o := order("o2")
			o.Amount = 500_000 // over MaxCharge
			sg := r.place(t, o)
			if sg.Status != StatusCancelled || sg.Outcomes["charge"].Reason == "" {
				t.Fatalf("saga %+v, want cancelled with the decline's reason", sg)
			}
			checkCalls(t, r.shop, "o2", map[string]int{"reserve": 1, "charge": 1, "release": 1})
			if r.shop.Stock("tea") != 10 || r.shop.Charged("o2") != 0 {
				t.Fatalf("stock %d, charged %d: not compensated", r.shop.Stock("tea"), r.shop.Charged("o2"))
			}
			checkPublished(t, r.rec, TypeStockReserved, TypePaymentFailed, TypeStockReleased, TypeOrderCancelled)
			if d := r.bus.DeadLetters(); len(d) != 0 {
				t.Fatalf("dead letters: %v", d)
			}
		})
		t.Run(name+"/shipping refused", func(t *testing.T) {
			r := newRig(t, idem, WithDuplicates())
			o := order("o3")
			o.Country = "AQ"
			sg := r.place(t, o)
			if sg.Status != StatusCancelled || !strings.Contains(sg.Reason, ErrNoDelivery.Error()) || sg.Types["ship"] != TypeShippingFailed {
				t.Fatalf("saga %+v, want cancelled after shipping failed", sg)
			}
			checkCalls(t, r.shop, "o3", map[string]int{"reserve": 1, "charge": 1, "ship": 1, "refund": 1, "release": 1})
			if r.shop.Stock("tea") != 10 || r.shop.Charged("o3") != 0 || r.shop.Tracking("o3") != "" {
				t.Fatal("not compensated")
			}
			checkPublished(t, r.rec, TypeStockReserved, TypePaymentCharged, TypeShippingFailed, TypePaymentRefunded, TypeStockReleased, TypeOrderCancelled)
			if d := r.bus.DeadLetters(); len(d) != 0 {
				t.Fatalf("dead letters: %v", d)
			}
		})
	}
}

// checkPublished asserts the distinct events published (by id), in the
// order they first appeared, have the types given. A redelivered step may
// publish its outcome again (the router alone does), but always as the
// same event (same id), so that receivers deduplicate it.
func checkPublished(t *testing.T, rec *events.Memory, types ...string) {
	t.Helper()
	seen := map[string]bool{}
	var got []string
	for _, e := range rec.Events() {
		if !seen[e.ID()] {
			seen[e.ID()] = true
			got = append(got, e.Type())
		}
	}
	if !slices.Equal(got, types) {
		t.Fatalf("published %v, want %v", got, types)
	}
}

// TestConcurrentDuplicatesRunEachStepOnce delivers eight copies of every
// event at once. The first copy to reach a port is held there until the
// seven others have each been turned away at least once (or until one of
// them reaches the port too, which is the failure), so the copies really
// overlap: each step runs once, by Handler's idempotency (the saga's
// versions alone would let every copy that read the same status run it).
func TestConcurrentDuplicatesRunEachStepOnce(t *testing.T) {
	r := newRig(t, true)
	o := order("o4")
	o.Country = "AQ"
	ctx := context.Background()
	var mu sync.Mutex
	entered := map[string]int{}
	var turnedAway atomic.Int32 // copies of the current event turned away at least once
	r.shop.SetFail(func(op, id string) error {
		mu.Lock()
		entered[op]++
		first := entered[op] == 1
		mu.Unlock()
		if !first {
			return nil
		}
		for deadline := time.Now().Add(10 * time.Second); turnedAway.Load() < 7; time.Sleep(time.Millisecond) {
			mu.Lock()
			again := entered[op] > 1
			mu.Unlock()
			if again {
				return nil // a second copy got in: checkCalls reports it
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: the other copies were neither turned away nor let in", op)
				return nil
			}
		}
		return nil
	})
	pending := []event.Event{placed(t, o)}
	seen := map[string]bool{}
	for len(pending) > 0 {
		e := pending[0]
		pending = pending[1:]
		turnedAway.Store(0)
		// Eight copies at once; those that find the first still running
		// fail retryably (a queue delivery does not wait) and are
		// delivered again, as a queue would.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				counted := false
				for {
					_, err := handler.Call(ctx, r.h, e)
					if err == nil {
						return
					}
					if !handler.ClassOf(err).Retry() {
						t.Errorf("%s: %v", e.Type(), err)
						return
					}
					if !counted {
						counted = true
						turnedAway.Add(1)
					}
				}
			})
		}
		wg.Wait()
		for _, out := range r.rec.Events() {
			if !seen[out.ID()] {
				seen[out.ID()] = true
				pending = append(pending, out)
			}
		}
	}
	if sg := r.saga(t, "o4"); sg.Status != StatusCancelled {
		t.Fatalf("saga %+v", sg)
	}
	checkCalls(t, r.shop, "o4", map[string]int{"reserve": 1, "charge": 1, "ship": 1, "refund": 1, "release": 1})
}

// TestPermanentVersusRetryable: a permanent failure of a step compensates;
// a retryable one leaves the saga where it was and is retried until it
// succeeds, with no compensation; a compensation is never given up.
func TestPermanentVersusRetryable(t *testing.T) {
	ctx := context.Background()
	reserved := func(id string) event.Event {
		return handlertest.NewEvent(handlertest.WithID(id+"/"+TypeStockReserved), handlertest.WithSource(Source),
			handlertest.WithType(TypeStockReserved), handlertest.WithJSON(Ref{OrderID: id}))
	}
	// reserveOnly runs order.placed alone, so the saga waits at reserved
	// (its stock.reserved is queued in the bus, not delivered).
	reserveOnly := func(t *testing.T, r *rig, o Order) {
		t.Helper()
		if res := handlertest.Invoke(ctx, r.h, placed(t, o)); res.Err != nil {
			t.Fatal(res.Err)
		}
		r.rec.Reset()
	}

	t.Run("retryable", func(t *testing.T) {
		r := newRig(t, true)
		reserveOnly(t, r, order("r1"))
		down := 2
		r.shop.SetFail(func(op, id string) error {
			if op == "charge" && down > 0 {
				down--
				return errors.New("payment gateway unreachable")
			}
			return nil
		})
		res := handlertest.Invoke(ctx, r.h, reserved("r1"))
		if res.Class() != handler.ClassRetryable {
			t.Fatalf("class %v (%v), want retryable", res.Class(), res.Err)
		}
		if sg := r.saga(t, "r1"); sg.Status != StatusReserved || len(sg.Outcomes) != 1 {
			t.Fatalf("a retryable failure changed the saga: %+v", sg)
		}
		r.rec.AssertNone(t)
		// The platform redelivers (the bus holds stock.reserved since
		// order.placed): once more failing, then through.
		if err := r.bus.Drain(ctx, r.h); err != nil {
			t.Fatal(err)
		}
		if sg := r.saga(t, "r1"); sg.Status != StatusShipped {
			t.Fatalf("saga %+v, want shipped after the retries", sg)
		}
		checkCalls(t, r.shop, "r1", map[string]int{"reserve": 1, "charge": 3, "ship": 1})
	})

	t.Run("retryable for too long is dead-lettered, not compensated", func(t *testing.T) {
		r := newRig(t, true, WithMaxAttempts(3))
		reserveOnly(t, r, order("r2"))
		r.shop.SetFail(func(op, id string) error {
			if op == "charge" {
				return errors.New("payment gateway unreachable")
			}
			return nil
		})
		if err := r.bus.Drain(ctx, r.h); err != nil {
			t.Fatal(err)
		}
		d := r.bus.DeadLetters()
		if len(d) != 1 || d[0].Event.Type() != TypeStockReserved || handler.ClassOf(d[0].Err) != handler.ClassRetryable {
			t.Fatalf("dead letters %v", d)
		}
		if sg := r.saga(t, "r2"); sg.Status != StatusReserved {
			t.Fatalf("saga %+v, want still reserved", sg)
		}
		checkCalls(t, r.shop, "r2", map[string]int{"reserve": 1, "charge": 3})
	})

	t.Run("permanent", func(t *testing.T) {
		r := newRig(t, true)
		reserveOnly(t, r, order("p1"))
		r.shop.SetFail(func(op, id string) error {
			if op == "charge" {
				return handler.Permanent(ErrDeclined)
			}
			return nil
		})
		res := handlertest.Invoke(ctx, r.h, reserved("p1"))
		if res.Err != nil {
			t.Fatalf("a permanent failure of a step is the saga's business: %v", res.Err)
		}
		failed := r.rec.AssertPublished(t, TypePaymentFailed)
		var ref Ref
		if err := failed.DataAs(&ref); err != nil || ref.OrderID != "p1" || ref.Reason != ErrDeclined.Error() {
			t.Fatalf("payment.failed %+v %v", ref, err)
		}
		if sg := r.saga(t, "p1"); sg.Status != StatusFailed || sg.Reason != ErrDeclined.Error() {
			t.Fatalf("saga %+v", sg)
		}
	})

	t.Run("a failing compensation is retried, even a permanent failure", func(t *testing.T) {
		r := newRig(t, true)
		o := order("c1")
		o.Amount = 500_000
		reserveOnly(t, r, o)
		if res := handlertest.Invoke(ctx, r.h, reserved("c1")); res.Err != nil {
			t.Fatal(res.Err)
		}
		failed := r.rec.AssertPublished(t, TypePaymentFailed)
		r.shop.SetFail(func(op, id string) error {
			if op == "release" {
				return handler.Permanent(errors.New("warehouse says no"))
			}
			return nil
		})
		res := handlertest.Invoke(ctx, r.h, failed)
		if res.Class() != handler.ClassRetryable {
			t.Fatalf("class %v (%v), want retryable", res.Class(), res.Err)
		}
		r.shop.SetFail(nil)
		if res := handlertest.Invoke(ctx, r.h, failed); res.Err != nil {
			t.Fatal(res.Err)
		}
		if sg := r.saga(t, "c1"); sg.Status != StatusReleased || r.shop.Stock("tea") != 10 {
			t.Fatalf("saga %+v, stock %d", sg, r.shop.Stock("tea"))
		}
	})

	t.Run("bad events", func(t *testing.T) {
		r := newRig(t, true)
		bad := handlertest.NewEvent(handlertest.WithType(TypeOrderPlaced), handlertest.WithJSON(map[string]any{"id": "x", "qty": 0}))
		if res := handlertest.Invoke(ctx, r.h, bad); res.Class() != handler.ClassInvalidInput {
			t.Fatalf("invalid order: class %v (%v)", res.Class(), res.Err)
		}
		res := handlertest.Invoke(ctx, r.h, reserved("nobody"))
		if res.Class() != handler.ClassPermanent || !errors.Is(res.Err, ErrWrongStatus) {
			t.Fatalf("unknown order: class %v (%v)", res.Class(), res.Err)
		}
		other := handlertest.NewEvent(handlertest.WithType("com.example.unrelated"), handlertest.WithJSON(map[string]string{}))
		if res := handlertest.Invoke(ctx, r.h, other); res.Err != nil || res.Reply != nil {
			t.Fatalf("unrelated event: %v %v", res.Reply, res.Err)
		}
		r.rec.AssertNone(t)
	})
}
