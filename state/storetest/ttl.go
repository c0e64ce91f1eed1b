package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

// testExpiresAt checks Item.ExpiresAt as each write reports it and as Get
// reads it back.
func testExpiresAt(t *testing.T, e *env) {
	tol := e.c.tolerance
	k := e.key("k")
	check := func(what string, got time.Time, before, after time.Time, ttl time.Duration) {
		t.Helper()
		if got.IsZero() {
			t.Fatalf("%s: ExpiresAt is zero; want now+%v", what, ttl)
		}
		if e.c.now == nil {
			return
		}
		lo, hi := before.Add(ttl-tol), after.Add(ttl+tol)
		if got.Before(lo) || got.After(hi) {
			t.Fatalf("%s: ExpiresAt = %v; want within [%v, %v] (now+%v ± %v)", what, got, lo, hi, ttl, tol)
		}
	}
	now := func() time.Time {
		if e.c.now == nil {
			return time.Time{}
		}
		return e.c.now()
	}

	before := now()
	c := mustCreate(t, e.s, k, []byte("v"), time.Hour)
	after := now()
	check("Create with ttl 1h", c.ExpiresAt, before, after, time.Hour)
	got := mustGet(t, e.s, k)
	check("Get after Create with ttl 1h", got.ExpiresAt, before, after, time.Hour)
	if !near(got.ExpiresAt, c.ExpiresAt, tol) {
		t.Fatalf("Get: ExpiresAt = %v; Create reported %v", got.ExpiresAt, c.ExpiresAt)
	}

	// Time passes (a fake clock moves by 10 minutes), then a Put with a
	// ttl of 2h is reported relative to the new now.
	step := 10 * time.Minute
	if !e.c.fake() {
		step = 0
	}
	e.wait(step)
	before = now()
	v := mustPut(t, e.s, k, []byte("v"), 2*time.Hour)
	after = now()
	got = mustGet(t, e.s, k)
	check("Get after Put with ttl 2h", got.ExpiresAt, before, after, 2*time.Hour)
	if want := c.ExpiresAt.Add(step + time.Hour); e.c.fake() && !near(got.ExpiresAt, want, tol) {
		t.Fatalf("Get after Put with ttl 2h, %v after a Create with ttl 1h: ExpiresAt = %v; want %v", step, got.ExpiresAt, want)
	}

	before = now()
	v = mustCAS(t, e.s, k, v, []byte("v"), 30*time.Minute)
	after = now()
	check("Get after CompareAndSwap with ttl 30m", mustGet(t, e.s, k).ExpiresAt, before, after, 30*time.Minute)

	v = mustCAS(t, e.s, k, v, []byte("v"), 0)
	wantNoExpiry(t, wantItem(t, e.s, k, []byte("v"), v), "Get after CompareAndSwap with ttl 0")

	mustPut(t, e.s, k, []byte("v"), time.Minute)
	v = mustPut(t, e.s, k, []byte("v"), 0)
	wantNoExpiry(t, wantItem(t, e.s, k, []byte("v"), v), "Get after Put with ttl 0")

	// A ttl of a century is a ttl like any other.
	const century = 100 * 365 * 24 * time.Hour
	before = now()
	v = mustPut(t, e.s, k, []byte("v"), century)
	after = now()
	check("Get after Put with ttl 100 years", wantItem(t, e.s, k, []byte("v"), v).ExpiresAt, before, after, century)
}

// ttlCase is one TTL scenario. setup writes items that expire after
// shortTTL and returns the check to run once they have expired; all setups
// run first, then time passes once, then all checks run.
type ttlCase struct {
	name  string
	setup func(t *testing.T, e *env, k string, short time.Duration) (check func(t *testing.T))
}

var ttlCases = []ttlCase{
	{"GetExpired", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustPut(t, e.s, k, []byte("v"), short)
		wantItem(t, e.s, k, []byte("v"), v) // not yet expired
		return func(t *testing.T) { wantMissing(t, e.s, k) }
	}},
	{"CreateOverExpired", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		old := mustCreate(t, e.s, k, []byte("old"), short)
		_, err := e.s.Create(context.Background(), k, []byte("dup"), 0)
		wantErr(t, err, state.ErrAlreadyExists, "Create of a live item with a ttl")
		return func(t *testing.T) {
			it, err := e.s.Create(context.Background(), k, []byte("new"), 0)
			if err != nil {
				t.Fatalf("Create over an expired item: %v (item %q, version %d); want success", err, it.Value, it.Version)
			}
			if it.Version == old.Version || it.Version == state.AnyVersion {
				t.Fatalf("Create over an expired item returned version %d; the expired item had %d", it.Version, old.Version)
			}
			wantNoExpiry(t, wantItem(t, e.s, k, []byte("new"), it.Version), "Get after Create over an expired item")
			_, err = e.s.CompareAndSwap(context.Background(), k, old.Version, []byte("aba"), 0)
			wantErr(t, err, state.ErrVersionConflict, "CompareAndSwap with the expired item's version")
		}
	}},
	{"CompareAndSwapExpired", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustPut(t, e.s, k, []byte("v"), short)
		return func(t *testing.T) {
			_, err := e.s.CompareAndSwap(context.Background(), k, v, []byte("revived"), 0)
			wantErr(t, err, state.ErrNotFound, "CompareAndSwap of an expired item with its version")
			wantMissing(t, e.s, k)
		}
	}},
	{"DeleteExpired", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustPut(t, e.s, k, []byte("v"), short)
		k2 := k + "/any"
		mustPut(t, e.s, k2, []byte("v"), short)
		return func(t *testing.T) {
			wantErr(t, e.s.Delete(context.Background(), k, v), state.ErrNotFound, "Delete of an expired item with its version")
			if err := e.s.Delete(context.Background(), k2, state.AnyVersion); err != nil {
				t.Fatalf("Delete(expired, AnyVersion) = %v; want nil", err)
			}
			wantMissing(t, e.s, k)
			wantMissing(t, e.s, k2)
		}
	}},
	{"PutOverExpired", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustPut(t, e.s, k, []byte("old"), short)
		return func(t *testing.T) {
			v2 := mustPut(t, e.s, k, []byte("new"), 0)
			if v2 == v {
				t.Fatalf("Put over an expired item reused its version %d", v)
			}
			wantNoExpiry(t, wantItem(t, e.s, k, []byte("new"), v2), "Get after Put over an expired item")
		}
	}},
	{"PutRemovesTTL", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		mustPut(t, e.s, k, []byte("v"), short)
		v := mustPut(t, e.s, k, []byte("forever"), 0)
		return func(t *testing.T) {
			wantNoExpiry(t, wantItem(t, e.s, k, []byte("forever"), v), "Get after Put with ttl 0 over a ttl item")
		}
	}},
	{"PutExtendsTTL", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		mustPut(t, e.s, k, []byte("v"), short)
		v := mustPut(t, e.s, k, []byte("longer"), time.Hour)
		return func(t *testing.T) { wantItem(t, e.s, k, []byte("longer"), v) }
	}},
	{"PutSetsTTL", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		mustPut(t, e.s, k, []byte("v"), 0)
		mustPut(t, e.s, k, []byte("v"), short)
		return func(t *testing.T) { wantMissing(t, e.s, k) }
	}},
	{"CompareAndSwapRemovesTTL", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustPut(t, e.s, k, []byte("v"), short)
		v = mustCAS(t, e.s, k, v, []byte("forever"), 0)
		return func(t *testing.T) {
			wantNoExpiry(t, wantItem(t, e.s, k, []byte("forever"), v), "Get after CompareAndSwap with ttl 0 over a ttl item")
		}
	}},
	{"CompareAndSwapExtendsTTL", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustCreate(t, e.s, k, []byte("v"), short).Version
		v = mustCAS(t, e.s, k, v, []byte("longer"), time.Hour)
		return func(t *testing.T) { wantItem(t, e.s, k, []byte("longer"), v) }
	}},
	{"CompareAndSwapSetsTTL", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		v := mustPut(t, e.s, k, []byte("v"), 0)
		mustCAS(t, e.s, k, v, []byte("v"), short)
		return func(t *testing.T) { wantMissing(t, e.s, k) }
	}},
	{"OthersUnaffected", func(t *testing.T, e *env, k string, short time.Duration) func(*testing.T) {
		mustPut(t, e.s, k+"/short", []byte("v"), short)
		v := mustPut(t, e.s, k+"/forever", []byte("v"), 0)
		return func(t *testing.T) {
			wantMissing(t, e.s, k+"/short")
			wantItem(t, e.s, k+"/forever", []byte("v"), v)
		}
	}},
}

// testTTL sets up every TTL scenario, lets the short ttl pass once, and
// checks them all: about 1.3 s of real time without a fake clock.
func testTTL(t *testing.T, e *env) {
	short := time.Second
	if e.c.fake() {
		short = time.Minute
	}
	checks := make([]func(*testing.T), len(ttlCases))
	for i, tc := range ttlCases {
		t.Run("before/"+tc.name, func(t *testing.T) {
			checks[i] = tc.setup(t, e, e.key(tc.name), short)
		})
	}
	if e.c.fake() {
		e.wait(short + time.Second + e.c.tolerance)
	} else {
		e.wait(short + e.c.tolerance + 50*time.Millisecond)
	}
	for i, tc := range ttlCases {
		if checks[i] == nil {
			continue // its setup failed
		}
		t.Run("after/"+tc.name, checks[i])
	}
}

// testTTLBoundary checks, with a fake clock, that an item lives until its
// ttl has passed and no longer.
func testTTLBoundary(t *testing.T, e *env) {
	if !e.c.fake() {
		t.Skip("needs a fake clock (WithAdvance): covered by TTL with real time")
	}
	tol := e.c.tolerance
	ttl := time.Hour
	if ttl < 4*tol {
		ttl = 4 * tol
	}
	k := e.key("k")
	c := mustCreate(t, e.s, k, []byte("v"), ttl)
	e.wait(ttl - tol - time.Nanosecond)
	wantItem(t, e.s, k, []byte("v"), c.Version)
	e.wait(2*tol + 2*time.Nanosecond)
	wantMissing(t, e.s, k)
	_, err := e.s.CompareAndSwap(context.Background(), k, c.Version, []byte("v"), 0)
	wantErr(t, err, state.ErrNotFound, "CompareAndSwap after expiry")
}
