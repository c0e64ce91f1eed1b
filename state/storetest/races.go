package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/fnkit/fnkit/state"
)

// testCreateRace: of 32 concurrent Creates of one key exactly one wins, and
// every loser learns the winner's item.
func testCreateRace(t *testing.T, e *env) {
	const n = 32
	k := e.key("k")
	items := make([]state.Item, n)
	errs := race(n, func(i int) (err error) {
		items[i], err = e.s.Create(context.Background(), k, []byte(strconv.Itoa(i)), 0)
		return err
	})

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("Creates %d and %d of one key both succeeded", winner, i)
			}
			winner = i
		case !errors.Is(err, state.ErrAlreadyExists):
			t.Fatalf("Create %d: %v; want nil or ErrAlreadyExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent Creates succeeded", n)
	}
	w := items[winner]
	if string(w.Value) != strconv.Itoa(winner) {
		t.Fatalf("winning Create returned value %q; want %q", w.Value, strconv.Itoa(winner))
	}
	for i, it := range items {
		if i == winner {
			continue
		}
		if !bytes.Equal(it.Value, w.Value) || it.Version != w.Version {
			t.Fatalf("losing Create %d returned (%q, %d); want the winner's (%q, %d)", i, it.Value, it.Version, w.Value, w.Version)
		}
	}
	wantItem(t, e.s, k, w.Value, w.Version)
}

// race runs n calls of fn at once and returns their errors.
func race(n int, fn func(i int) error) []error {
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// testCompareAndSwapRace: of 32 concurrent swaps from one version exactly
// one succeeds; the others conflict.
func testCompareAndSwapRace(t *testing.T, e *env) {
	const n = 32
	k := e.key("k")
	v := mustPut(t, e.s, k, []byte("start"), 0)
	versions := make([]state.Version, n)
	errs := race(n, func(i int) (err error) {
		versions[i], err = e.s.CompareAndSwap(context.Background(), k, v, []byte(strconv.Itoa(i)), 0)
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("swaps %d and %d from the same version both succeeded", winner, i)
			}
			winner = i
		case !errors.Is(err, state.ErrVersionConflict):
			t.Fatalf("swap %d: %v; want nil or ErrVersionConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent swaps succeeded", n)
	}
	wantItem(t, e.s, k, []byte(strconv.Itoa(winner)), versions[winner])
}

// testDeleteRace: of 32 concurrent deletes of one version exactly one
// succeeds; the others find nothing.
func testDeleteRace(t *testing.T, e *env) {
	const n = 32
	k := e.key("k")
	v := mustPut(t, e.s, k, []byte("v"), 0)
	errs := race(n, func(int) error { return e.s.Delete(context.Background(), k, v) })
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, state.ErrNotFound):
			t.Fatalf("delete %d: %v; want nil or ErrNotFound", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent deletes of one version succeeded; want exactly 1", wins, n)
	}
	wantMissing(t, e.s, k)
}

// testNoLostUpdates: 8 goroutines each add 1 to a counter 25 times with
// Get and CompareAndSwap, retrying on conflicts; the total must be 200.
func testNoLostUpdates(t *testing.T, e *env) {
	const workers, increments = 8, 25
	ctx := context.Background()
	k := e.key("counter")
	mustCreate(t, e.s, k, []byte("0"), 0)

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		conflicts int
		failure   error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if failure == nil {
			failure = err
		}
	}
	for w := range workers {
		wg.Go(func() {
			for range increments {
				for attempt := 0; ; attempt++ {
					if attempt == 10000 {
						fail(fmt.Errorf("worker %d: no successful CompareAndSwap in %d attempts", w, attempt))
						return
					}
					it, err := e.s.Get(ctx, k)
					if err != nil {
						fail(fmt.Errorf("worker %d: Get: %w", w, err))
						return
					}
					n, err := strconv.Atoi(string(it.Value))
					if err != nil {
						fail(fmt.Errorf("worker %d: counter value %q: %w", w, it.Value, err))
						return
					}
					_, err = e.s.CompareAndSwap(ctx, k, it.Version, []byte(strconv.Itoa(n+1)), 0)
					if err == nil {
						break
					}
					if !errors.Is(err, state.ErrVersionConflict) {
						fail(fmt.Errorf("worker %d: CompareAndSwap: %w; want nil or ErrVersionConflict", w, err))
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if failure != nil {
		t.Fatal(failure)
	}
	it := mustGet(t, e.s, k)
	if want := strconv.Itoa(workers * increments); string(it.Value) != want {
		t.Fatalf("counter = %s after %d×%d increments (%d conflicts retried); want %s: updates were lost",
			it.Value, workers, increments, conflicts, want)
	}
	t.Logf("%d conflicts retried", conflicts)
}
