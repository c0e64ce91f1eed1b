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
	"testing"

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
