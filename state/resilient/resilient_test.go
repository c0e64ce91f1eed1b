package resilient_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/resilient"
	"github.com/fnkit/fnkit/state/storetest"
)

// flaky is a Store over memstore whose calls first run hook, which may
// sleep, block or fail them; it counts the calls that reached it.
type flaky struct {
	next  state.Store
	calls atomic.Int64

	mu   sync.Mutex
	hook func(ctx context.Context) error
}

func newFlaky() *flaky { return &flaky{next: memstore.New()} }

func (f *flaky) set(hook func(ctx context.Context) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = hook
}

func (f *flaky) before(ctx context.Context) error {
	f.calls.Add(1)
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook == nil {
		return nil
	}
	return hook(ctx)
}

func (f *flaky) Get(ctx context.Context, key string) (state.Item, error) {
	if err := f.before(ctx); err != nil {
		return state.Item{}, err
	}
	return f.next.Get(ctx, key)
}

func (f *flaky) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := f.before(ctx); err != nil {
		return state.Item{}, err
	}
	return f.next.Create(ctx, key, value, ttl)
}

func (f *flaky) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if err := f.before(ctx); err != nil {
		return 0, err
	}
	return f.next.Put(ctx, key, value, ttl)
}

func (f *flaky) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	if err := f.before(ctx); err != nil {
		return 0, err
	}
	return f.next.CompareAndSwap(ctx, key, old, value, ttl)
}

func (f *flaky) Delete(ctx context.Context, key string, version state.Version) error {
	if err := f.before(ctx); err != nil {
		return err
	}
	return f.next.Delete(ctx, key, version)
}

// hang waits for ctx, as a store waiting on a dead server does.
func hang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

var errRefused = errors.New("dial tcp 127.0.0.1:6379: connection refused")

func refuse(context.Context) error { return errRefused }

// TestConformance: the decorator is transparent to every part of the
// state.Store contract.
func TestConformance(t *testing.T) {
	clk := storetest.NewClock()
	storetest.Run(t, func(t *testing.T) state.Store {
		return resilient.New(memstore.New(memstore.WithClock(clk.Now)),
			resilient.WithTimeout(5*time.Second),
			resilient.WithCircuitBreaker(3, time.Minute))
	}, storetest.WithClock(clk))
}

func TestTimeoutIsUnavailable(t *testing.T) {
	f := newFlaky()
	f.set(hang)
	s := resilient.New(f, resilient.WithTimeout(20*time.Millisecond))

	calls := map[string]func(ctx context.Context) error{
		"Get":    func(ctx context.Context) error { _, err := s.Get(ctx, "k"); return err },
		"Create": func(ctx context.Context) error { _, err := s.Create(ctx, "k", nil, 0); return err },
		"Put":    func(ctx context.Context) error { _, err := s.Put(ctx, "k", nil, 0); return err },
		"CompareAndSwap": func(ctx context.Context) error {
			_, err := s.CompareAndSwap(ctx, "k", 1, nil, 0)
			return err
		},
		"Delete": func(ctx context.Context) error { return s.Delete(ctx, "k", state.AnyVersion) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := call(context.Background())
			if !errors.Is(err, state.ErrUnavailable) {
				t.Fatalf("err = %v; want ErrUnavailable", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v wraps context.DeadlineExceeded: adapters would answer 504", err)
			}
			if d := time.Since(start); d < 20*time.Millisecond || d > 2*time.Second {
				t.Fatalf("returned after %v; want about 20ms", d)
			}
		})
	}
}

// A store that misses the deadline and then answers with its own error
// (a driver's "i/o timeout") is still unavailable.
func TestTimeoutWithDriverError(t *testing.T) {
	f := newFlaky()
	f.set(func(ctx context.Context) error {
		<-ctx.Done()
		return errors.New("read tcp: i/o timeout")
	})
	s := resilient.New(f, resilient.WithTimeout(10*time.Millisecond))
	if _, err := s.Get(context.Background(), "k"); !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("err = %v; want ErrUnavailable", err)
	}
}

// A slow store that answers in time is left alone, and a late success is
// a success.
func TestSlowButInTime(t *testing.T) {
	f := newFlaky()
	s := resilient.New(f, resilient.WithTimeout(time.Second))
	f.set(func(ctx context.Context) error { time.Sleep(10 * time.Millisecond); return nil })
	v, err := s.Put(context.Background(), "k", []byte("v"), 0)
	if err != nil || v == 0 {
		t.Fatalf("Put = %d, %v", v, err)
	}
	if it, err := s.Get(context.Background(), "k"); err != nil || string(it.Value) != "v" {
		t.Fatalf("Get = %q, %v", it.Value, err)
	}
}

func TestCallerDeadlineWins(t *testing.T) {
	f := newFlaky()
	f.set(hang)
	s := resilient.New(f, resilient.WithTimeout(time.Minute), resilient.WithCircuitBreaker(1, time.Minute))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := s.Get(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("err = %v; want the caller's context.DeadlineExceeded, not ErrUnavailable", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	_, err = s.Put(ctx, "k", nil, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	// The store failing after the caller left wraps the caller's error.
	f.set(func(ctx context.Context) error { <-ctx.Done(); return errors.New("connection reset") })
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	if st := s.BreakerState(); st != resilient.Closed {
		t.Fatalf("breaker %v after caller cancellations; they must not count", st)
	}

	// A ctx already done never reaches the store.
	before := f.calls.Load()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	if f.calls.Load() != before {
		t.Fatal("a call with a done ctx reached the store")
	}
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	ctx := context.Background()
	f := newFlaky()
	var (
		mu      sync.Mutex
		changes []string
	)
	s := resilient.New(f, resilient.WithCircuitBreaker(3, 50*time.Millisecond),
		resilient.WithStateChange(func(from, to resilient.BreakerState) {
			mu.Lock()
			defer mu.Unlock()
			changes = append(changes, from.String()+"→"+to.String())
		}))
	if _, err := s.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}

	f.set(refuse)
	for i := range 3 {
		if _, err := s.Get(ctx, "k"); !errors.Is(err, errRefused) {
			t.Fatalf("call %d: err = %v; want the store's own error", i, err)
		}
	}
	if st := s.BreakerState(); st != resilient.Open {
		t.Fatalf("breaker %v after 3 failures; want open", st)
	}

	// Open: fail fast without touching the store (which would now hang
	// for the 2s default timeout).
	f.set(hang)
	before := f.calls.Load()
	start := time.Now()
	for range 10 {
		_, err := s.Get(ctx, "k")
		if !errors.Is(err, state.ErrUnavailable) {
			t.Fatalf("err = %v while open; want ErrUnavailable", err)
		}
	}
	if n := f.calls.Load() - before; n != 0 {
		t.Fatalf("%d calls reached the store while the breaker was open", n)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("10 calls took %v while open; want them to fail fast", d)
	}

	// After the cooldown a failed probe opens it again.
	f.set(refuse)
	time.Sleep(60 * time.Millisecond)
	if _, err := s.Get(ctx, "k"); !errors.Is(err, errRefused) {
		t.Fatalf("probe: err = %v; want the store's error", err)
	}
	if st := s.BreakerState(); st != resilient.Open {
		t.Fatalf("breaker %v after a failed probe; want open", st)
	}

	// A successful probe closes it.
	f.set(nil)
	time.Sleep(60 * time.Millisecond)
	if st := s.BreakerState(); st != resilient.HalfOpen {
		t.Fatalf("breaker %v after the cooldown; want half-open", st)
	}
	if it, err := s.Get(ctx, "k"); err != nil || string(it.Value) != "v" {
		t.Fatalf("probe: %q, %v", it.Value, err)
	}
	if st := s.BreakerState(); st != resilient.Closed {
		t.Fatalf("breaker %v after a successful probe; want closed", st)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"closed→open", "open→half-open", "half-open→open", "open→half-open", "half-open→closed"}
	if len(changes) != len(want) {
		t.Fatalf("state changes %v; want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("state changes %v; want %v", changes, want)
		}
	}
}

func TestBreakerOneProbeAtATime(t *testing.T) {
	ctx := context.Background()
	f := newFlaky()
	s := resilient.New(f, resilient.WithCircuitBreaker(1, 20*time.Millisecond))
	f.set(refuse)
	_, _ = s.Get(ctx, "k")
	if s.BreakerState() != resilient.Open {
		t.Fatal("breaker did not open")
	}
	time.Sleep(30 * time.Millisecond)

	release := make(chan struct{})
	entered := make(chan struct{})
	f.set(func(context.Context) error { close(entered); <-release; return nil })
	probe := make(chan error)
	go func() { _, err := s.Get(ctx, "k"); probe <- err }()
	<-entered
	f.set(nil)
	if _, err := s.Get(ctx, "k"); !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("second call during the probe: %v; want ErrUnavailable", err)
	}
	close(release)
	if err := <-probe; !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("probe: %v; want the store's ErrNotFound", err)
	}
	if s.BreakerState() != resilient.Closed {
		t.Fatalf("breaker %v after the probe answered; want closed", s.BreakerState())
	}
}

// Answers about the data are the store working: they never trip the
// breaker, and a success between failures resets the count.
func TestBreakerCountsOnlyFailures(t *testing.T) {
	ctx := context.Background()
	f := newFlaky()
	s := resilient.New(f, resilient.WithCircuitBreaker(2, time.Minute))
	v, err := s.Put(ctx, "k", []byte("v"), 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := s.Get(ctx, "missing"); !errors.Is(err, state.ErrNotFound) {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, "k", nil, 0); !errors.Is(err, state.ErrAlreadyExists) {
			t.Fatal(err)
		}
		if _, err := s.CompareAndSwap(ctx, "k", v+1, nil, 0); !errors.Is(err, state.ErrVersionConflict) {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "missing", v); !errors.Is(err, state.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if s.BreakerState() != resilient.Closed {
		t.Fatal("answers about the data opened the breaker")
	}

	// Invalid arguments never reach the store.
	before := f.calls.Load()
	for range 5 {
		if _, err := s.Get(ctx, ""); !errors.Is(err, state.ErrInvalidKey) {
			t.Fatalf("Get(\"\") = %v", err)
		}
		if _, err := s.Put(ctx, "k", nil, -time.Second); err == nil {
			t.Fatal("Put with a negative ttl succeeded")
		}
	}
	if f.calls.Load() != before || s.BreakerState() != resilient.Closed {
		t.Fatal("invalid arguments reached the store or tripped the breaker")
	}

	// fail, success, fail: never two in a row.
	for range 3 {
		f.set(refuse)
		_, _ = s.Get(ctx, "k")
		f.set(nil)
		if _, err := s.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if s.BreakerState() != resilient.Closed {
		t.Fatal("non-consecutive failures opened the breaker")
	}
}

func TestBreakerCountsTimeouts(t *testing.T) {
	f := newFlaky()
	f.set(hang)
	s := resilient.New(f, resilient.WithTimeout(5*time.Millisecond), resilient.WithCircuitBreaker(2, time.Minute))
	for range 2 {
		_, _ = s.Get(context.Background(), "k")
	}
	if s.BreakerState() != resilient.Open {
		t.Fatalf("breaker %v after 2 timeouts; want open", s.BreakerState())
	}
}

func TestNoTimeout(t *testing.T) {
	f := newFlaky()
	f.set(func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); ok {
			return errors.New("the call got a deadline")
		}
		return nil
	})
	s := resilient.New(f, resilient.WithTimeout(0))
	if _, err := s.Put(context.Background(), "k", nil, 0); err != nil {
		t.Fatal(err)
	}
	// The default does bound calls.
	if _, err := resilient.New(f).Put(context.Background(), "k", nil, 0); err == nil {
		t.Fatal("the default options set no deadline")
	}
}

func TestOptionsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"New(nil)":                  func() { resilient.New(nil) },
		"WithTimeout(-1)":           func() { resilient.WithTimeout(-1) },
		"WithCircuitBreaker(0, 1s)": func() { resilient.WithCircuitBreaker(0, time.Second) },
		"WithCircuitBreaker(1, 0)":  func() { resilient.WithCircuitBreaker(1, 0) },
		"WithStateChange(nil)":      func() { resilient.WithStateChange(nil) },
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

func TestBreakerStateString(t *testing.T) {
	for s, want := range map[resilient.BreakerState]string{
		resilient.Closed: "closed", resilient.HalfOpen: "half-open", resilient.Open: "open", 7: "BreakerState(7)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q; want %q", int(s), got, want)
		}
	}
}

func BenchmarkStore(b *testing.B) {
	b.Run("memstore", func(b *testing.B) { storetest.Bench(b, memstore.New()) })
	b.Run("resilient", func(b *testing.B) {
		storetest.Bench(b, resilient.New(memstore.New(), resilient.WithCircuitBreaker(5, time.Second)))
	})
}
