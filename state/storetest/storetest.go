// Package storetest is the conformance suite every state.Store
// implementation runs, as testing/slogtest is for slog handlers.
//
// An implementation's test calls Run with a function that returns a store
// for one subtest:
//
//	func TestConformance(t *testing.T) {
//		clk := storetest.NewClock()
//		storetest.Run(t, func(t *testing.T) state.Store {
//			return memstore.New(memstore.WithClock(clk.Now))
//		}, storetest.WithClock(clk))
//	}
//
// newStore may return a new store for each subtest or the same backing
// server every time: each subtest writes only keys under its own prefix,
// unique to the subtest and the run, and leaves them behind (clean up in
// t.Cleanup if you must). Subtests run one after another.
//
// The suite checks the contract of state.Store as its doc comments state
// it: results and sentinel errors of each method, versions that change on
// every write and never repeat for a key (no ABA), TTL expiry and
// Item.ExpiresAt, invalid keys and ttls, unusual keys, large values,
// copies rather than aliases of caller slices, cancelled contexts,
// concurrent Creates, swaps and deletes of one key (exactly one wins), and
// lost updates under concurrent read-modify-swap loops. With a
// fake clock (WithAdvance or WithClock) it never sleeps; otherwise its TTL
// tests sleep about 1.3 s in all.
//
// Bench measures the throughput of one store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

// Run runs the conformance suite, one subtest per behaviour, calling
// newStore once per subtest (inside the subtest, so newStore may use
// t.TempDir and t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) state.Store, opts ...Option) {
	c := newConfig(opts)
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"GetMissing", testGetMissing},
		{"Create", testCreate},
		{"CreateExisting", testCreateExisting},
		{"Put", testPut},
		{"CompareAndSwap", testCompareAndSwap},
		{"Delete", testDelete},
		{"VersionsNeverRepeat", testVersionsNeverRepeat},
		{"InvalidKey", testInvalidKey},
		{"MaxKeyLen", testMaxKeyLen},
		{"NegativeTTL", testNegativeTTL},
		{"UnusualKeys", testUnusualKeys},
		{"Values", testValues},
		{"LargeValue", testLargeValue},
		{"NoAliasing", testNoAliasing},
		{"CanceledContext", testCanceledContext},
		{"ExpiresAt", testExpiresAt},
		{"TTL", testTTL},
		{"TTLBoundary", testTTLBoundary},
		{"CreateRace", testCreateRace},
		{"CompareAndSwapRace", testCompareAndSwapRace},
		{"DeleteRace", testDeleteRace},
		{"NoLostUpdates", testNoLostUpdates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tt.fn(t, &env{c: c, s: s, prefix: newPrefix(t)})
		})
	}
}

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

func testInvalidKey(t *testing.T, e *env) {
	ctx := context.Background()
	keys := map[string]string{
		"empty":                     "",
		"MaxKeyLen+1 bytes":         strings.Repeat("k", state.MaxKeyLen+1),
		"MaxKeyLen+1 bytes, prefix": e.prefix + strings.Repeat("k", state.MaxKeyLen+1-len(e.prefix)),
	}
	for name, k := range keys {
		t.Run(name, func(t *testing.T) {
			_, err := e.s.Get(ctx, k)
			wantErr(t, err, state.ErrInvalidKey, "Get")
			_, err = e.s.Create(ctx, k, []byte("v"), 0)
			wantErr(t, err, state.ErrInvalidKey, "Create")
			_, err = e.s.Put(ctx, k, []byte("v"), 0)
			wantErr(t, err, state.ErrInvalidKey, "Put")
			_, err = e.s.CompareAndSwap(ctx, k, 1, []byte("v"), 0)
			wantErr(t, err, state.ErrInvalidKey, "CompareAndSwap")
			wantErr(t, e.s.Delete(ctx, k, state.AnyVersion), state.ErrInvalidKey, "Delete(AnyVersion)")
			wantErr(t, e.s.Delete(ctx, k, 1), state.ErrInvalidKey, "Delete(version)")
		})
	}
}

func testMaxKeyLen(t *testing.T, e *env) {
	k := e.prefix + strings.Repeat("m", state.MaxKeyLen-len(e.prefix))
	if len(k) != state.MaxKeyLen {
		t.Fatalf("test key of %d bytes", len(k))
	}
	c := mustCreate(t, e.s, k, []byte("one"), 0)
	wantItem(t, e.s, k, []byte("one"), c.Version)
	v := mustPut(t, e.s, k, []byte("two"), 0)
	v = mustCAS(t, e.s, k, v, []byte("three"), 0)
	wantItem(t, e.s, k, []byte("three"), v)
	// A key one byte shorter is another key.
	wantMissing(t, e.s, k[:len(k)-1])
	mustDelete(t, e.s, k, v)
	wantMissing(t, e.s, k)
}

func testNegativeTTL(t *testing.T, e *env) {
	ctx := context.Background()
	k := e.key("k")
	if _, err := e.s.Create(ctx, k, []byte("v"), -time.Second); err == nil {
		t.Fatal("Create with a negative ttl succeeded")
	}
	wantMissing(t, e.s, k)
	if _, err := e.s.Put(ctx, k, []byte("v"), -time.Nanosecond); err == nil {
		t.Fatal("Put with a negative ttl succeeded")
	}
	wantMissing(t, e.s, k)
	v := mustPut(t, e.s, k, []byte("kept"), 0)
	if _, err := e.s.CompareAndSwap(ctx, k, v, []byte("v"), -time.Hour); err == nil {
		t.Fatal("CompareAndSwap with a negative ttl succeeded")
	}
	wantNoExpiry(t, wantItem(t, e.s, k, []byte("kept"), v), "Get after a rejected CompareAndSwap")
}

// unusualKeys are key suffixes that stores tend to mangle: separators,
// unicode, bytes that are not UTF-8, NUL, whitespace, case and prefixes
// of one another.
var unusualKeys = []string{
	"plain",
	"with/slashes/and/../dots",
	"/leading-slash",
	"trailing-slash/",
	"with spaces  and\ttabs",
	"line\nbreak\r\n",
	"nul\x00byte",
	"nul\x00",
	"\x00",
	"not utf-8 \xff\xfe\xc0",
	"unicode ключ 鍵 🔑",
	"e\u0301", // e + combining acute: not normalised to é
	"\u00e9",  // é
	"CASE",
	"case",
	"quote'\"`",
	"percent%20%00",
	"glob*?[a]{b}",
	"sql'; drop table x; --",
	"colon:hash#tag",
	"\\backslash",
	"p",
	"p/",
	"p/q",
	"pq",
}

func testUnusualKeys(t *testing.T, e *env) {
	ctx := context.Background()
	versions := make([]state.Version, len(unusualKeys))
	for i, s := range unusualKeys {
		versions[i] = mustPut(t, e.s, e.key(s), []byte(strconv.Itoa(i)), 0)
	}
	for i, s := range unusualKeys {
		wantItem(t, e.s, e.key(s), []byte(strconv.Itoa(i)), versions[i])
	}
	// Conditional writes find the same items.
	for i, s := range unusualKeys {
		_, err := e.s.Create(ctx, e.key(s), []byte("dup"), 0)
		wantErr(t, err, state.ErrAlreadyExists, fmt.Sprintf("Create(%q)", s))
		versions[i] = mustCAS(t, e.s, e.key(s), versions[i], []byte("cas"+strconv.Itoa(i)), 0)
	}
	// Deleting every other key leaves the rest.
	for i, s := range unusualKeys {
		if i%2 == 0 {
			mustDelete(t, e.s, e.key(s), versions[i])
		}
	}
	for i, s := range unusualKeys {
		if i%2 == 0 {
			wantMissing(t, e.s, e.key(s))
		} else {
			wantItem(t, e.s, e.key(s), []byte("cas"+strconv.Itoa(i)), versions[i])
		}
	}
	// The bare prefix is not a key of its own.
	wantMissing(t, e.s, e.prefix)
}

func testValues(t *testing.T, e *env) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	values := map[string][]byte{
		"nil":        nil,
		"empty":      {},
		"NUL":        {0},
		"all bytes":  all,
		"not utf-8":  []byte("\xff\xfe\xfd"),
		"json":       []byte(`{"a":[1,2,3],"b":"\u00e9"}`),
		"whitespace": []byte(" \t\r\n "),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			k := e.key(name)
			c := mustCreate(t, e.s, k, v, 0)
			got := wantItem(t, e.s, k, v, c.Version)
			if len(v) == 0 && len(got.Value) != 0 {
				t.Fatalf("empty value read back as %q", got.Value)
			}
			p := mustPut(t, e.s, k, append(v, 'x'), 0)
			wantItem(t, e.s, k, append(v, 'x'), p)
			s := mustCAS(t, e.s, k, p, v, 0)
			wantItem(t, e.s, k, v, s)
		})
	}
}

func testLargeValue(t *testing.T, e *env) {
	big := pattern(e.c.maxValue, 1)
	k := e.key("big")
	c := mustCreate(t, e.s, k, big, 0)
	wantItem(t, e.s, k, big, c.Version)

	big2 := pattern(e.c.maxValue, 2)
	v := mustCAS(t, e.s, k, c.Version, big2, time.Hour)
	wantItem(t, e.s, k, big2, v)

	// The existing item comes back whole from a conflicting Create.
	it, err := e.s.Create(context.Background(), k, []byte("small"), 0)
	wantErr(t, err, state.ErrAlreadyExists, "Create over a large item")
	if !bytes.Equal(it.Value, big2) {
		t.Fatalf("Create over a large item returned %d bytes, not the existing %d", len(it.Value), len(big2))
	}

	big3 := pattern(e.c.maxValue, 3)
	v = mustPut(t, e.s, k, big3, 0)
	wantItem(t, e.s, k, big3, v)
}

func testNoAliasing(t *testing.T, e *env) {
	k := e.key("k")
	buf := []byte("original")
	c := mustCreate(t, e.s, k, buf, 0)
	copy(buf, "MUTATED!")
	wantItem(t, e.s, k, []byte("original"), c.Version)

	buf = []byte("put")
	v := mustPut(t, e.s, k, buf, 0)
	buf[0] = 'X'
	wantItem(t, e.s, k, []byte("put"), v)

	buf = []byte("swapped")
	v = mustCAS(t, e.s, k, v, buf, 0)
	buf[0] = 'X'
	wantItem(t, e.s, k, []byte("swapped"), v)

	// Mutating what Get returned does not change the stored value.
	got := mustGet(t, e.s, k)
	copy(got.Value, "XXXXXXX")
	wantItem(t, e.s, k, []byte("swapped"), v)

	// Nor does mutating the existing item a conflicting Create returned.
	it, err := e.s.Create(context.Background(), k, []byte("other"), 0)
	wantErr(t, err, state.ErrAlreadyExists, "Create of an existing key")
	copy(it.Value, "XXXXXXX")
	wantItem(t, e.s, k, []byte("swapped"), v)
}

func testCanceledContext(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	missing, k := e.key("missing"), e.key("k")
	v := mustPut(t, e.s, k, []byte("v"), 0)

	_, err := e.s.Get(ctx, k)
	wantErr(t, err, context.Canceled, "Get with a cancelled context")
	_, err = e.s.Create(ctx, missing, []byte("v"), 0)
	wantErr(t, err, context.Canceled, "Create with a cancelled context")
	_, err = e.s.Put(ctx, missing, []byte("v"), 0)
	wantErr(t, err, context.Canceled, "Put with a cancelled context")
	_, err = e.s.CompareAndSwap(ctx, k, v, []byte("changed"), 0)
	wantErr(t, err, context.Canceled, "CompareAndSwap with a cancelled context")
	wantErr(t, e.s.Delete(ctx, k, v), context.Canceled, "Delete(version) with a cancelled context")
	wantErr(t, e.s.Delete(ctx, k, state.AnyVersion), context.Canceled, "Delete(AnyVersion) with a cancelled context")

	// Nothing was written.
	wantMissing(t, e.s, missing)
	wantItem(t, e.s, k, []byte("v"), v)

	// An expired deadline is reported as such.
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err = e.s.Get(dctx, k)
	wantErr(t, err, context.DeadlineExceeded, "Get with an expired deadline")
}

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
