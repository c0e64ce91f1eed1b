package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/storetest"
)

type cart struct {
	Items []string `json:"items"`
	Total int      `json:"total"`
}

func TestTypedRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	carts := state.NewTyped[cart](s)

	if _, _, err := carts.Get(ctx, "c"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v; want ErrNotFound", err)
	}
	want := cart{Items: []string{"tea"}, Total: 3}
	got, v1, err := carts.Create(ctx, "c", want, 0)
	if err != nil || got.Total != 3 || v1 == 0 {
		t.Fatalf("Create = %+v, %d, %v", got, v1, err)
	}
	raw, err := s.Get(ctx, "c")
	if err != nil || string(raw.Value) != `{"items":["tea"],"total":3}` {
		t.Fatalf("stored %q, %v; want the JSON encoding", raw.Value, err)
	}

	// A conflicting Create returns the existing value.
	got, v, err := carts.Create(ctx, "c", cart{Total: 99}, 0)
	if !errors.Is(err, state.ErrAlreadyExists) || got.Total != 3 || v != v1 {
		t.Fatalf("conflicting Create = %+v, %d, %v; want the existing cart, version %d, ErrAlreadyExists", got, v, err, v1)
	}

	v2, err := carts.CompareAndSwap(ctx, "c", v1, cart{Items: []string{"tea", "milk"}, Total: 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := carts.CompareAndSwap(ctx, "c", v1, cart{}, 0); !errors.Is(err, state.ErrVersionConflict) {
		t.Fatalf("stale CompareAndSwap: %v; want ErrVersionConflict", err)
	}
	got, v, err = carts.Get(ctx, "c")
	if err != nil || v != v2 || got.Total != 5 || len(got.Items) != 2 || got.Items[1] != "milk" {
		t.Fatalf("Get = %+v, %d, %v", got, v, err)
	}

	v3, err := carts.Put(ctx, "c", cart{Total: 7}, time.Hour)
	if err != nil || v3 == v2 {
		t.Fatalf("Put = %d, %v", v3, err)
	}
	if err := carts.Delete(ctx, "c", v2); !errors.Is(err, state.ErrVersionConflict) {
		t.Fatalf("Delete with a stale version: %v", err)
	}
	if err := carts.Delete(ctx, "c", v3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := carts.Get(ctx, "c"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestTypedBadJSON(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	carts := state.NewTyped[cart](s)
	v, err := s.Put(ctx, "bad", []byte("not json"), 0)
	if err != nil {
		t.Fatal(err)
	}

	var syn *json.SyntaxError
	if _, _, err := carts.Get(ctx, "bad"); !errors.As(err, &syn) || errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get of bad JSON: %v; want a *json.SyntaxError", err)
	}
	_, gotV, err := carts.Create(ctx, "bad", cart{}, 0)
	if !errors.Is(err, state.ErrAlreadyExists) || !errors.As(err, &syn) || gotV != v {
		t.Fatalf("Create over bad JSON: version %d, %v; want ErrAlreadyExists and the syntax error", gotV, err)
	}
	calls := 0
	_, _, err = carts.Update(ctx, "bad", 0, func(c cart, found bool) (cart, error) {
		calls++
		return c, nil
	})
	if !errors.As(err, &syn) || calls != 0 {
		t.Fatalf("Update of bad JSON: %v after %d calls of fn; want the syntax error and no call", err, calls)
	}
	if it, _ := s.Get(ctx, "bad"); string(it.Value) != "not json" || it.Version != v {
		t.Fatalf("bad JSON was overwritten with %q", it.Value)
	}

	// A wrong type is an error too.
	if _, err := s.Put(ctx, "wrong", []byte(`{"total":"three"}`), 0); err != nil {
		t.Fatal(err)
	}
	var typ *json.UnmarshalTypeError
	if _, _, err := carts.Get(ctx, "wrong"); !errors.As(err, &typ) {
		t.Fatalf("Get of a wrongly typed value: %v; want a *json.UnmarshalTypeError", err)
	}
}

func TestTypedEncodeError(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	anys := state.NewTyped[any](s)
	var unsupported *json.UnsupportedTypeError
	if _, err := anys.Put(ctx, "k", func() {}, 0); !errors.As(err, &unsupported) {
		t.Fatalf("Put of a func: %v; want *json.UnsupportedTypeError", err)
	}
	if _, _, err := anys.Create(ctx, "k", make(chan int), 0); !errors.As(err, &unsupported) {
		t.Fatalf("Create of a chan: %v", err)
	}
	if s.Len() != 0 {
		t.Fatal("a value that does not encode was stored")
	}
	v, err := anys.Put(ctx, "k", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anys.CompareAndSwap(ctx, "k", v, func() {}, 0); !errors.As(err, &unsupported) {
		t.Fatalf("CompareAndSwap of a func: %v", err)
	}
	if _, _, err := anys.Update(ctx, "k", 0, func(any, bool) (any, error) { return func() {}, nil }); !errors.As(err, &unsupported) {
		t.Fatalf("Update to a func: %v", err)
	}
}

func TestTypedUpdate(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	s := memstore.New(memstore.WithClock(clk.Now))
	counters := state.NewTyped[int](s)

	add := func(n int) func(int, bool) (int, error) {
		return func(cur int, found bool) (int, error) {
			if !found && cur != 0 {
				t.Errorf("fn got %d with found=false; want the zero value", cur)
			}
			return cur + n, nil
		}
	}
	got, v1, err := counters.Update(ctx, "n", time.Minute, add(5))
	if err != nil || got != 5 {
		t.Fatalf("Update of a missing key = %d, %v; want 5", got, err)
	}
	got, v2, err := counters.Update(ctx, "n", time.Minute, add(2))
	if err != nil || got != 7 || v2 == v1 {
		t.Fatalf("second Update = %d (version %d after %d), %v; want 7", got, v2, v1, err)
	}
	if n, v, _ := counters.Get(ctx, "n"); n != 7 || v != v2 {
		t.Fatalf("Get = %d, %d; want 7, %d", n, v, v2)
	}
	it, _ := s.Get(ctx, "n")
	if !it.ExpiresAt.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("Update stored ExpiresAt %v; want now+ttl", it.ExpiresAt)
	}

	// After expiry, fn sees no item.
	clk.Advance(time.Minute)
	got, _, err = counters.Update(ctx, "n", 0, func(cur int, found bool) (int, error) {
		if found {
			t.Error("fn found an expired item")
		}
		return 100, nil
	})
	if err != nil || got != 100 {
		t.Fatalf("Update after expiry = %d, %v", got, err)
	}

	// An error from fn is returned as it is and nothing is stored.
	errNo := errors.New("no")
	if _, _, err := counters.Update(ctx, "n", 0, func(int, bool) (int, error) { return 0, errNo }); err != errNo {
		t.Fatalf("Update with a failing fn: %v; want fn's error itself", err)
	}
	if n, _, _ := counters.Get(ctx, "n"); n != 100 {
		t.Fatalf("a failed Update changed the value to %d", n)
	}
}

// TestTypedUpdateConcurrent: 8 goroutines × 25 Updates of a counter that
// does not exist yet lose nothing: the first ones race to Create.
func TestTypedUpdateConcurrent(t *testing.T) {
	const workers, increments = 8, 25
	ctx := context.Background()
	// A Get that yields makes the workers interleave, so that they race.
	counters := state.NewTyped[int](&hooked{Store: memstore.New(), afterGet: func() { time.Sleep(10 * time.Microsecond) }})
	var (
		wg    sync.WaitGroup
		calls atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for range increments {
				_, _, err := counters.Update(ctx, "n", 0, func(cur int, _ bool) (int, error) {
					calls.Add(1)
					return cur + 1, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	n, _, err := counters.Get(ctx, "n")
	if err != nil || n != workers*increments {
		t.Fatalf("counter = %d, %v; want %d", n, err, workers*increments)
	}
	t.Logf("%d calls of fn for %d updates", calls.Load(), workers*increments)
}

// hooked is a Store that calls afterGet after each Get, to let another
// writer in between an Update's read and its write.
type hooked struct {
	state.Store
	gets     atomic.Int64
	afterGet func()
}

func (h *hooked) Get(ctx context.Context, key string) (state.Item, error) {
	h.gets.Add(1)
	it, err := h.Store.Get(ctx, key)
	if h.afterGet != nil {
		h.afterGet()
	}
	return it, err
}

// TestTypedUpdateRaces makes another writer win between Update's read and
// write in each of the three ways, and checks that Update retries from
// what the other writer left.
func TestTypedUpdateRaces(t *testing.T) {
	tests := []struct {
		name     string
		initial  string // "" for no item
		other    func(s state.Store) error
		want     int
		wantGets int64
		wantCall []string // fn's arguments, call by call
	}{
		{
			name: "Create loses", other: func(s state.Store) error {
				_, err := s.Create(context.Background(), "n", []byte("41"), 0)
				return err
			},
			want: 42, wantGets: 1, wantCall: []string{"0 false", "41 true"},
		},
		{
			name: "CompareAndSwap conflicts", initial: "1", other: func(s state.Store) error {
				_, err := s.Put(context.Background(), "n", []byte("10"), 0)
				return err
			},
			want: 11, wantGets: 2, wantCall: []string{"1 true", "10 true"},
		},
		{
			name: "item deleted", initial: "1", other: func(s state.Store) error {
				return s.Delete(context.Background(), "n", state.AnyVersion)
			},
			want: 1, wantGets: 2, wantCall: []string{"1 true", "0 false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := memstore.New()
			if tt.initial != "" {
				if _, err := mem.Put(ctx, "n", []byte(tt.initial), 0); err != nil {
					t.Fatal(err)
				}
			}
			h := &hooked{Store: mem}
			h.afterGet = func() {
				h.afterGet = nil // once
				if err := tt.other(mem); err != nil {
					t.Fatal(err)
				}
			}
			var calls []string
			got, v, err := state.NewTyped[int](h).Update(ctx, "n", 0, func(cur int, found bool) (int, error) {
				calls = append(calls, fmt.Sprint(cur, found))
				return cur + 1, nil
			})
			if err != nil || got != tt.want {
				t.Fatalf("Update = %d, %v; want %d", got, err, tt.want)
			}
			if fmt.Sprint(calls) != fmt.Sprint(tt.wantCall) {
				t.Fatalf("fn called with %v; want %v", calls, tt.wantCall)
			}
			if n := h.gets.Load(); n != tt.wantGets {
				t.Fatalf("%d Gets; want %d", n, tt.wantGets)
			}
			if it, _ := mem.Get(ctx, "n"); it.Version != v || string(it.Value) != fmt.Sprint(tt.want) {
				t.Fatalf("stored (%q, %d); Update returned (%d, %d)", it.Value, it.Version, got, v)
			}
		})
	}
}

// conflicting is a Store whose CompareAndSwap always loses a race.
type conflicting struct {
	state.Store
	cas atomic.Int64
}

func (c *conflicting) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	c.cas.Add(1)
	return 0, state.ErrVersionConflict
}

func TestTypedUpdateGivesUp(t *testing.T) {
	ctx := context.Background()
	s := &conflicting{Store: memstore.New()}
	if _, err := s.Put(ctx, "n", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	counters := state.NewTyped[int](s)
	_, _, err := counters.Update(ctx, "n", 0, func(cur int, _ bool) (int, error) { return cur + 1, nil })
	if !errors.Is(err, state.ErrVersionConflict) {
		t.Fatalf("Update that always loses: %v; want ErrVersionConflict", err)
	}
	if n := s.cas.Load(); n != state.MaxUpdateAttempts {
		t.Fatalf("%d CompareAndSwap attempts; want MaxUpdateAttempts (%d)", n, state.MaxUpdateAttempts)
	}
}

func TestTypedUpdateContext(t *testing.T) {
	s := &conflicting{Store: memstore.New()}
	if _, err := s.Put(context.Background(), "n", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	counters := state.NewTyped[int](s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := counters.Update(ctx, "n", 0, func(cur int, _ bool) (int, error) { return cur + 1, nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update past its deadline: %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Update returned %v after its deadline", d)
	}

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	calls := 0
	_, _, err = counters.Update(cctx, "n", 0, func(cur int, _ bool) (int, error) { calls++; return cur, nil })
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("Update with a cancelled context: %v after %d calls; want context.Canceled, no call", err, calls)
	}
}

func TestNewTypedNilPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewTyped(nil) did not panic")
		}
	}()
	state.NewTyped[int](nil)
}
