package idempotency

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/storetest"
)

// effects is a handler with a side effect to count: each run increments its
// key's counter and replies with a value unique to that run.
type effects struct {
	mu    sync.Mutex
	runs  map[string]int
	seq   atomic.Int64
	delay time.Duration
	fail  error
}

func newEffects(delay time.Duration) *effects { return &effects{runs: map[string]int{}, delay: delay} }

func (f *effects) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	f.mu.Lock()
	f.runs[e.ID()]++
	f.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.fail != nil {
		return nil, f.fail
	}
	r := event.New()
	r.SetID(fmt.Sprintf("reply-%d", f.seq.Add(1)))
	r.SetSource("/effects")
	r.SetType("reply")
	r.DataEncoded = []byte(fmt.Sprintf(`{"for":%q,"run":%d}`, e.ID(), f.seq.Load()))
	return &r, nil
}

func (f *effects) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[id]
}

func ev(id, data string) event.Event {
	return handlertest.NewEvent(handlertest.WithID(id), handlertest.WithSource("/orders"),
		handlertest.WithData("application/json", []byte(data)))
}

// TestExactlyOncePerKey is the promise: 1000 concurrent deliveries spread
// over 50 keys run the side effect exactly once per key, and every delivery
// gets either the one stored reply or ErrInProgress — on every store.
func TestExactlyOncePerKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			const deliveries, keys = 1000, 50
			f := newEffects(20 * time.Millisecond)
			h := New(store, WithScope(t.Name())).Wrap(f)
			type result struct {
				key   string
				reply *event.Event
				err   error
			}
			results := make(chan result, deliveries)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range deliveries {
				key := fmt.Sprintf("k%02d", i%keys)
				wg.Go(func() {
					<-start
					reply, err := h.Handle(context.Background(), ev(key, `{"n":1}`))
					results <- result{key, reply, err}
				})
			}
			close(start)
			wg.Wait()
			close(results)

			replies := map[string]string{}
			var inProgress, replayed int
			for r := range results {
				switch {
				case errors.Is(r.err, ErrInProgress):
					inProgress++
					if handler.ClassOf(r.err) != handler.ClassThrottled || handler.RetryAfter(r.err) <= 0 {
						t.Fatalf("ErrInProgress class %v retry-after %v", handler.ClassOf(r.err), handler.RetryAfter(r.err))
					}
				case r.err != nil:
					t.Fatalf("%s: unexpected error %v", r.key, r.err)
				default:
					got := string(r.reply.Data())
					if prev, ok := replies[r.key]; ok && prev != got {
						t.Fatalf("%s: two different replies %s and %s", r.key, prev, got)
					}
					replies[r.key] = got
					replayed++
				}
			}
			for i := range keys {
				key := fmt.Sprintf("k%02d", i)
				if n := f.count(key); n != 1 {
					t.Fatalf("%s ran %d times", key, n)
				}
				// Once all are done, every key answers with its stored reply.
				reply, err := h.Handle(context.Background(), ev(key, `{"n":1}`))
				if err != nil || (replies[key] != "" && string(reply.Data()) != replies[key]) {
					t.Fatalf("%s after completion: %v %v (want %s)", key, reply, err, replies[key])
				}
				if f.count(key) != 1 {
					t.Fatalf("%s ran again after completion", key)
				}
			}
			t.Logf("%d replies, %d in progress", replayed, inProgress)
		})
	}
}

// countingStore counts the calls that reach the store.
type countingStore struct {
	state.Store
	calls atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, k string) (state.Item, error) {
	c.calls.Add(1)
	return c.Store.Get(ctx, k)
}
func (c *countingStore) Create(ctx context.Context, k string, v []byte, ttl time.Duration) (state.Item, error) {
	c.calls.Add(1)
	return c.Store.Create(ctx, k, v, ttl)
}
func (c *countingStore) Put(ctx context.Context, k string, v []byte, ttl time.Duration) (state.Version, error) {
	c.calls.Add(1)
	return c.Store.Put(ctx, k, v, ttl)
}
func (c *countingStore) CompareAndSwap(ctx context.Context, k string, o state.Version, v []byte, ttl time.Duration) (state.Version, error) {
	c.calls.Add(1)
	return c.Store.CompareAndSwap(ctx, k, o, v, ttl)
}
func (c *countingStore) Delete(ctx context.Context, k string, v state.Version) error {
	c.calls.Add(1)
	return c.Store.Delete(ctx, k, v)
}

func TestStoreRoundTrips(t *testing.T) {
	store := &countingStore{Store: memstore.New()}
	f := newEffects(0)
	h := New(store).Wrap(f)
	ctx := context.Background()
	step := func(name string, want int64) {
		t.Helper()
		if got := store.calls.Swap(0); got != want {
			t.Fatalf("%s: %d store calls, want %d", name, got, want)
		}
	}
	if _, err := h.Handle(ctx, ev("a", "{}")); err != nil {
		t.Fatal(err)
	}
	step("new key", 2)
	if _, err := h.Handle(ctx, ev("a", "{}")); err != nil {
		t.Fatal(err)
	}
	step("duplicate", 1)

	cached := New(store, WithCache(10)).Wrap(f)
	if _, err := cached.Handle(ctx, ev("b", "{}")); err != nil {
		t.Fatal(err)
	}
	step("new key, cache", 2)
	for range 3 {
		if _, err := cached.Handle(ctx, ev("b", "{}")); err != nil {
			t.Fatal(err)
		}
	}
	step("cached duplicates", 0)
	if _, err := cached.Handle(ctx, ev("a", "{}")); err != nil {
		t.Fatal(err)
	}
	step("duplicate first seen by this cache", 1)
	if _, err := cached.Handle(ctx, ev("a", "{}")); err != nil {
		t.Fatal(err)
	}
	step("now cached", 0)
	if f.count("a") != 1 || f.count("b") != 1 {
		t.Fatalf("runs a=%d b=%d", f.count("a"), f.count("b"))
	}
}

// TestCrashedHolder: a holder that never completes in time loses its
// lease; the next delivery runs exactly once, and the late original's
// completion is refused without overwriting.
func TestCrashedHolder(t *testing.T) {
	clk := storetest.NewClock()
	store := memstore.New(memstore.WithClock(clk.Now))
	eng := New(store, WithClock(clk.Now), WithLease(time.Second, time.Second))
	release := make(chan struct{})
	started := make(chan struct{})
	var runs atomic.Int64
	slow := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		runs.Add(1)
		close(started)
		<-release
		r := e.Clone()
		r.SetID("original")
		return &r, nil
	})
	fast := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		runs.Add(1)
		r := e.Clone()
		r.SetID("second")
		return &r, nil
	})
	ctx := context.Background()
	orig := make(chan error, 1)
	go func() { _, err := eng.Wrap(slow).Handle(ctx, ev("x", "{}")); orig <- err }()
	<-started

	if _, err := eng.Wrap(fast).Handle(ctx, ev("x", "{}")); !errors.Is(err, ErrInProgress) {
		t.Fatalf("during the lease: %v", err)
	}
	clk.Advance(1500 * time.Millisecond) // the holder "crashed": its lease ends
	reply, err := eng.Wrap(fast).Handle(ctx, ev("x", "{}"))
	if err != nil || reply.ID() != "second" {
		t.Fatalf("after the lease: %v %v", reply, err)
	}
	close(release)
	if err := <-orig; !errors.Is(err, ErrLeaseLost) || handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("late original: %v", err)
	}
	reply, err = eng.Wrap(fast).Handle(ctx, ev("x", "{}"))
	if err != nil || reply.ID() != "second" {
		t.Fatalf("stored result: %v %v, want the second delivery's", reply, err)
	}
	if runs.Load() != 2 {
		t.Fatalf("runs %d, want 2 (the crashed one and its replacement)", runs.Load())
	}
}

func TestPayloadMismatch(t *testing.T) {
	f := newEffects(0)
	h := New(memstore.New()).Wrap(f)
	ctx := context.Background()
	if _, err := h.Handle(ctx, ev("p", `{"qty":1}`)); err != nil {
		t.Fatal(err)
	}
	_, err := h.Handle(ctx, ev("p", `{"qty":2}`))
	if !errors.Is(err, ErrPayloadMismatch) || handler.ClassOf(err) != handler.ClassInvalidInput {
		t.Fatalf("err %v", err)
	}
	if d, _ := handler.Detail(err); d == "" {
		t.Fatal("no client-facing detail")
	}
	if f.count("p") != 1 {
		t.Fatal("the handler ran for a mismatched payload")
	}
	// A chosen part of the payload: only "order" matters.
	h2 := New(memstore.New(), WithPayloadHash(func(e event.Event) ([]byte, error) { return []byte(e.Subject()), nil })).Wrap(f)
	e1, e2 := ev("s", `{"a":1}`), ev("s", `{"a":2}`)
	e1.SetSubject("order-1")
	e2.SetSubject("order-1")
	if _, err := h2.Handle(ctx, e1); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.Handle(ctx, e2); err != nil {
		t.Fatalf("same chosen part, other data: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	clk := storetest.NewClock()
	f := newEffects(0)
	h := New(memstore.New(memstore.WithClock(clk.Now)), WithClock(clk.Now), WithExpiry(time.Minute), WithCache(4)).Wrap(f)
	ctx := context.Background()
	h.Handle(ctx, ev("e", "{}"))
	clk.Advance(59 * time.Second)
	h.Handle(ctx, ev("e", "{}"))
	if f.count("e") != 1 {
		t.Fatal("ran again within the expiry")
	}
	clk.Advance(2 * time.Second)
	h.Handle(ctx, ev("e", "{}"))
	if f.count("e") != 2 {
		t.Fatalf("runs %d after expiry, want 2", f.count("e"))
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	f := newEffects(0)
	store := memstore.New()

	// The default key is source + id: the same id from another source is
	// another event.
	h := New(store).Wrap(f)
	a := ev("same", "{}")
	b := ev("same", "{}")
	b.SetSource("/other")
	h.Handle(ctx, a)
	h.Handle(ctx, b)
	if f.count("same") != 2 {
		t.Fatalf("source not part of the key: %d runs", f.count("same"))
	}

	// A key from the data.
	type order struct {
		OrderID string `json:"orderId"`
	}
	byOrder := New(store, WithScope("orders"), WithKey(KeyFromData(func(o order) (string, error) { return o.OrderID, nil }))).Wrap(f)
	byOrder.Handle(ctx, ev("d1", `{"orderId":"o-1"}`))
	if _, err := byOrder.Handle(ctx, ev("d2", `{"orderId":"o-1"}`)); err != nil {
		t.Fatal(err)
	}
	if f.count("d2") != 0 {
		t.Fatal("a second event with the same order id ran")
	}
	if _, err := byOrder.Handle(ctx, ev("d3", `{"orderId":`)); handler.ClassOf(err) != handler.ClassInvalidInput {
		t.Fatalf("undecodable data: %v", err)
	}
	_, err := byOrder.Handle(ctx, ev("d4", `{}`))
	if !errors.Is(err, ErrMissingKey) || handler.ClassOf(err) != handler.ClassInvalidInput || f.count("d4") != 0 {
		t.Fatalf("missing key: %v", err)
	}

	// Pass-through without a key.
	pass := New(store, WithPassThroughWithoutKey(), WithKey(KeyFromData(func(o order) (string, error) { return o.OrderID, nil }))).Wrap(f)
	pass.Handle(ctx, ev("p1", `{}`))
	pass.Handle(ctx, ev("p1", `{}`))
	if f.count("p1") != 2 {
		t.Fatalf("pass-through ran %d times, want 2", f.count("p1"))
	}

	// Key function errors: plain ones are invalid input, classified ones
	// keep their class.
	boom := errors.New("boom")
	for want, keyErr := range map[handler.Class]error{handler.ClassInvalidInput: boom, handler.ClassThrottled: handler.Throttled(boom, 0)} {
		h := New(store, WithKey(func(context.Context, event.Event) (string, error) { return "", keyErr })).Wrap(f)
		if _, err := h.Handle(ctx, ev("kf", "{}")); handler.ClassOf(err) != want || !errors.Is(err, boom) {
			t.Fatalf("key error %v: class %v", keyErr, handler.ClassOf(err))
		}
	}

	// Very long keys are hashed to fit the store.
	long := New(store, WithKey(func(context.Context, event.Event) (string, error) { return string(make([]byte, 5000)), nil })).Wrap(f)
	if _, err := long.Handle(ctx, ev("long", "{}")); err != nil {
		t.Fatal(err)
	}
	long.Handle(ctx, ev("long", "{}"))
	if f.count("long") != 1 {
		t.Fatalf("long key ran %d times", f.count("long"))
	}
}

func TestFailureReleasesOrKeepsTheLease(t *testing.T) {
	ctx := context.Background()
	boom := handler.Permanent(errors.New("boom"))

	f := newEffects(0)
	f.fail = boom
	h := New(memstore.New()).Wrap(f)
	if _, err := h.Handle(ctx, ev("r", "{}")); !errors.Is(err, boom) {
		t.Fatalf("the handler's error must come back unchanged: %v", err)
	}
	f.fail = nil
	if _, err := h.Handle(ctx, ev("r", "{}")); err != nil || f.count("r") != 2 {
		t.Fatalf("a retry after a failure must run: %v, runs %d", err, f.count("r"))
	}

	f2 := newEffects(0)
	f2.fail = boom
	keep := New(memstore.New(), WithKeepLeaseOnError()).Wrap(f2)
	keep.Handle(ctx, ev("k", "{}"))
	f2.fail = nil
	if _, err := keep.Handle(ctx, ev("k", "{}")); !errors.Is(err, ErrInProgress) || f2.count("k") != 1 {
		t.Fatalf("with the lease kept, a retry must wait: %v, runs %d", err, f2.count("k"))
	}

	// A panic releases the lease too, as a retryable error.
	panicky := New(memstore.New()).Wrap(handler.Func(func(context.Context, event.Event) (*event.Event, error) { panic("bad") }))
	_, err := panicky.Handle(ctx, ev("x", "{}"))
	var pe *handler.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("panic: %v", err)
	}
}

func TestRepliesAreCopies(t *testing.T) {
	ctx := context.Background()
	for _, cacheSize := range []int{0, 8} {
		opts := []Option{}
		if cacheSize > 0 {
			opts = append(opts, WithCache(cacheSize))
		}
		h := New(memstore.New(), opts...).Wrap(newEffects(0))
		first, _ := h.Handle(ctx, ev("c", "{}"))
		want := string(first.Data())
		first.DataEncoded[0] = 'X'
		first.SetID("mutated")
		for range 2 {
			again, err := h.Handle(ctx, ev("c", "{}"))
			if err != nil || string(again.Data()) != want || again.ID() == "mutated" {
				t.Fatalf("cache %d: replay %v %v, want data %s", cacheSize, again, err, want)
			}
			again.DataEncoded[0] = 'Y'
		}
	}
}

func TestNoReplyIsReplayedAsNoReply(t *testing.T) {
	var runs atomic.Int64
	h := New(memstore.New()).Wrap(handler.Func(func(context.Context, event.Event) (*event.Event, error) {
		runs.Add(1)
		return nil, nil
	}))
	for range 3 {
		if reply, err := h.Handle(context.Background(), ev("n", "{}")); reply != nil || err != nil {
			t.Fatalf("reply %v err %v", reply, err)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("runs %d", runs.Load())
	}
}

func TestLeaseFollowsTheDeadline(t *testing.T) {
	now := time.Unix(1000, 0)
	e := New(memstore.New(), WithClock(func() time.Time { return now }), WithLease(time.Second, time.Minute))
	ctx := context.Background()
	if d := e.lease(ctx); d != time.Minute {
		t.Fatalf("no deadline: %v", d)
	}
	dctx, cancel := context.WithDeadline(ctx, now.Add(10*time.Second))
	defer cancel()
	if d := e.lease(dctx); d != 10*time.Second {
		t.Fatalf("context deadline: %v", d)
	}
	ictx := handler.WithInvocation(ctx, &handler.Invocation{Deadline: now.Add(20 * time.Second)})
	if d := e.lease(ictx); d != 20*time.Second {
		t.Fatalf("invocation deadline: %v", d)
	}
	pctx, cancel2 := context.WithDeadline(ctx, now.Add(-time.Second))
	defer cancel2()
	if d := e.lease(pctx); d != time.Second {
		t.Fatalf("past deadline: %v, want the minimum", d)
	}
}

func TestCorruptRecord(t *testing.T) {
	store := memstore.New()
	e := New(store)
	store.Put(context.Background(), e.storeKey(mustKey(t, ev("z", "{}"))), []byte("garbage"), 0)
	if _, err := e.Wrap(newEffects(0)).Handle(context.Background(), ev("z", "{}")); err == nil {
		t.Fatal("a corrupt record was accepted")
	}
}

func mustKey(t *testing.T, e event.Event) string {
	k, err := EventIdentity(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestConstructorsPanicOnWiringMistakes(t *testing.T) {
	for name, f := range map[string]func(){
		"nil store":    func() { New(nil) },
		"nil key":      func() { WithKey(nil) },
		"zero expiry":  func() { WithExpiry(0) },
		"bad lease":    func() { WithLease(2*time.Second, time.Second) },
		"nil hash":     func() { WithPayloadHash(nil) },
		"zero cache":   func() { WithCache(0) },
		"nil clock":    func() { WithClock(nil) },
		"nil data key": func() { KeyFromData[int](nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestCrashedHolderOnEveryStore is TestCrashedHolder with real time on
// every store: a lease of one second, a holder that outlives it.
func TestCrashedHolderOnEveryStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			t.Parallel()
			eng := New(store, WithScope(t.Name()), WithLease(time.Second, time.Second))
			release, started := make(chan struct{}), make(chan struct{})
			var runs atomic.Int64
			reply := func(id string) handler.Handler {
				return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
					runs.Add(1)
					if id == "original" {
						close(started)
						<-release
					}
					r := e.Clone()
					r.SetID(id)
					return &r, nil
				})
			}
			ctx := context.Background()
			orig := make(chan error, 1)
			go func() { _, err := eng.Wrap(reply("original")).Handle(ctx, ev("x", "{}")); orig <- err }()
			<-started
			if _, err := eng.Wrap(reply("early")).Handle(ctx, ev("x", "{}")); !errors.Is(err, ErrInProgress) {
				t.Fatalf("during the lease: %v", err)
			}
			time.Sleep(1300 * time.Millisecond)
			r, err := eng.Wrap(reply("second")).Handle(ctx, ev("x", "{}"))
			if err != nil || r.ID() != "second" {
				t.Fatalf("after the lease: %v %v", r, err)
			}
			close(release)
			if err := <-orig; !errors.Is(err, ErrLeaseLost) {
				t.Fatalf("late original: %v", err)
			}
			r, err = eng.Wrap(reply("third")).Handle(ctx, ev("x", "{}"))
			if err != nil || r.ID() != "second" || runs.Load() != 2 {
				t.Fatalf("stored %v %v, runs %d; want the second delivery's reply and 2 runs", r, err, runs.Load())
			}
		})
	}
}
