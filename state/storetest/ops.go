package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

func testGetMissing(t *testing.T, e *env) {
	wantMissing(t, e.s, e.key("missing"))
}

func testCreate(t *testing.T, e *env) {
	k := e.key("k")
	it := mustCreate(t, e.s, k, []byte("v1"), 0)
	wantNoExpiry(t, it, "Create with ttl 0")
	got := wantItem(t, e.s, k, []byte("v1"), it.Version)
	wantNoExpiry(t, got, "Get after Create with ttl 0")
	wantMissing(t, e.s, e.key("other"))
}

func testCreateExisting(t *testing.T, e *env) {
	ctx := context.Background()
	k := e.key("k")
	first := mustCreate(t, e.s, k, []byte("first"), time.Hour)

	it, err := e.s.Create(ctx, k, []byte("second"), 0)
	wantErr(t, err, state.ErrAlreadyExists, "Create of an existing key")
	if string(it.Value) != "first" || it.Version != first.Version {
		t.Fatalf("Create of an existing key returned (value %q, version %d); want the existing item (%q, %d)",
			it.Value, it.Version, "first", first.Version)
	}
	if it.ExpiresAt.IsZero() || !near(it.ExpiresAt, first.ExpiresAt, e.c.tolerance) {
		t.Fatalf("Create of an existing key returned ExpiresAt %v; want the existing item's %v", it.ExpiresAt, first.ExpiresAt)
	}
	wantItem(t, e.s, k, []byte("first"), first.Version)

	// Create over a Put item conflicts too.
	k2 := e.key("put")
	v := mustPut(t, e.s, k2, []byte("put"), 0)
	it, err = e.s.Create(ctx, k2, []byte("create"), 0)
	wantErr(t, err, state.ErrAlreadyExists, "Create over a Put item")
	if string(it.Value) != "put" || it.Version != v {
		t.Fatalf("Create over a Put item returned (%q, %d); want (%q, %d)", it.Value, it.Version, "put", v)
	}
	wantNoExpiry(t, it, "Create over a Put item without ttl")
}

func testPut(t *testing.T, e *env) {
	k := e.key("k")
	v1 := mustPut(t, e.s, k, []byte("one"), 0)
	wantNoExpiry(t, wantItem(t, e.s, k, []byte("one"), v1), "Get after Put with ttl 0")

	v2 := mustPut(t, e.s, k, []byte("two"), 0)
	if v2 == v1 {
		t.Fatalf("two Puts returned the same version %d", v1)
	}
	wantItem(t, e.s, k, []byte("two"), v2)

	// Put over a created item replaces it.
	k2 := e.key("created")
	c := mustCreate(t, e.s, k2, []byte("created"), 0)
	v3 := mustPut(t, e.s, k2, []byte("put"), 0)
	if v3 == c.Version {
		t.Fatalf("Put over a created item kept its version %d", v3)
	}
	wantItem(t, e.s, k2, []byte("put"), v3)
	wantItem(t, e.s, k, []byte("two"), v2)
}

func testCompareAndSwap(t *testing.T, e *env) {
	ctx := context.Background()
	k := e.key("k")
	v1 := mustCreate(t, e.s, k, []byte("one"), 0).Version

	v2 := mustCAS(t, e.s, k, v1, []byte("two"), 0)
	wantItem(t, e.s, k, []byte("two"), v2)

	_, err := e.s.CompareAndSwap(ctx, k, v1, []byte("stale"), 0)
	wantErr(t, err, state.ErrVersionConflict, "CompareAndSwap with a stale version")
	wantItem(t, e.s, k, []byte("two"), v2)

	_, err = e.s.CompareAndSwap(ctx, k, state.AnyVersion, []byte("any"), 0)
	wantErr(t, err, state.ErrVersionConflict, "CompareAndSwap with the zero version (it is not a wildcard)")
	wantItem(t, e.s, k, []byte("two"), v2)

	v3 := mustCAS(t, e.s, k, v2, []byte("three"), 0)
	if v3 == v1 {
		t.Fatalf("CompareAndSwap returned version %d, already used by an earlier write", v3)
	}
	wantItem(t, e.s, k, []byte("three"), v3)

	// A version from another key is no use either.
	other := mustPut(t, e.s, e.key("other"), []byte("x"), 0)
	if other != v3 {
		_, err = e.s.CompareAndSwap(ctx, k, other, []byte("other"), 0)
		wantErr(t, err, state.ErrVersionConflict, "CompareAndSwap with another key's version")
	}

	missing := e.key("missing")
	_, err = e.s.CompareAndSwap(ctx, missing, v3, []byte("x"), 0)
	wantErr(t, err, state.ErrNotFound, "CompareAndSwap of a missing key")
	_, err = e.s.CompareAndSwap(ctx, missing, state.AnyVersion, []byte("x"), 0)
	wantErr(t, err, state.ErrNotFound, "CompareAndSwap of a missing key with the zero version")
	wantMissing(t, e.s, missing)
}

func testDelete(t *testing.T, e *env) {
	ctx := context.Background()
	missing := e.key("missing")
	if err := e.s.Delete(ctx, missing, state.AnyVersion); err != nil {
		t.Fatalf("Delete(missing, AnyVersion) = %v; want nil", err)
	}
	wantErr(t, e.s.Delete(ctx, missing, state.NewVersion()), state.ErrNotFound, "Delete(missing, version)")

	k := e.key("k")
	v := mustPut(t, e.s, k, []byte("v"), 0)
	stale := v + 1
	if stale == state.AnyVersion {
		stale++
	}
	wantErr(t, e.s.Delete(ctx, k, stale), state.ErrVersionConflict, "Delete with another version")
	wantItem(t, e.s, k, []byte("v"), v)

	mustDelete(t, e.s, k, v)
	wantMissing(t, e.s, k)
	wantErr(t, e.s.Delete(ctx, k, v), state.ErrNotFound, "Delete of a deleted key with its old version")
	if err := e.s.Delete(ctx, k, state.AnyVersion); err != nil {
		t.Fatalf("Delete(deleted, AnyVersion) = %v; want nil", err)
	}

	k2 := e.key("any")
	mustCreate(t, e.s, k2, []byte("v"), 0)
	mustDelete(t, e.s, k2, state.AnyVersion)
	wantMissing(t, e.s, k2)

	// Deleting one key leaves its neighbours alone.
	a, ab := e.key("a"), e.key("ab")
	va := mustPut(t, e.s, a, []byte("a"), 0)
	vab := mustPut(t, e.s, ab, []byte("ab"), 0)
	mustDelete(t, e.s, a, va)
	wantItem(t, e.s, ab, []byte("ab"), vab)
}

// testVersionsNeverRepeat writes one key in every way, deleting and
// re-creating it, and checks that no version repeats and that a stale
// version never matches a re-created item (no ABA).
func testVersionsNeverRepeat(t *testing.T, e *env) {
	ctx := context.Background()
	k := e.key("k")
	seen := map[state.Version]string{}
	record := func(v state.Version, what string) {
		t.Helper()
		if prev, ok := seen[v]; ok {
			t.Fatalf("%s returned version %d, already returned by %s", what, v, prev)
		}
		seen[v] = what
	}

	for round := range 3 {
		c := mustCreate(t, e.s, k, []byte("created"), 0)
		record(c.Version, fmt.Sprintf("round %d Create", round))
		p := mustPut(t, e.s, k, []byte("put"), 0)
		record(p, fmt.Sprintf("round %d Put", round))
		s := mustCAS(t, e.s, k, p, []byte("swapped"), 0)
		record(s, fmt.Sprintf("round %d CompareAndSwap", round))
		if round%2 == 0 {
			mustDelete(t, e.s, k, s)
		} else {
			mustDelete(t, e.s, k, state.AnyVersion)
		}
		// Re-created by Put in between rounds, then deleted again.
		p2 := mustPut(t, e.s, k, []byte("again"), 0)
		record(p2, fmt.Sprintf("round %d Put after Delete", round))
		mustDelete(t, e.s, k, p2)
	}

	// Every old version is stale for the re-created item.
	cur := mustCreate(t, e.s, k, []byte("current"), 0)
	record(cur.Version, "final Create")
	for v, what := range seen {
		if v == cur.Version {
			continue
		}
		_, err := e.s.CompareAndSwap(ctx, k, v, []byte("aba"), 0)
		wantErr(t, err, state.ErrVersionConflict, "CompareAndSwap with the version of "+what+" (before delete and re-create)")
		wantErr(t, e.s.Delete(ctx, k, v), state.ErrVersionConflict, "Delete with the version of "+what+" (before delete and re-create)")
	}
	wantItem(t, e.s, k, []byte("current"), cur.Version)
}
