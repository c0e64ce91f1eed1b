package storetest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/storetest"
)

// toy is a small Store with optional bugs, to prove the suite catches
// them: without bugs it must pass, with any one it must fail.
type toy struct {
	now  func() time.Time
	bugs map[string]bool

	mu      sync.Mutex
	items   map[string]toyItem
	perKey  map[string]state.Version
	version state.Version
}

type toyItem struct {
	value     []byte
	version   state.Version
	expiresAt time.Time
}

// The bugs toy can have, each with the subtest that must catch it.
var bugs = map[string]string{
	"aba":                 "VersionsNeverRepeat", // versions count per key and restart after Delete
	"alias":               "NoAliasing",          // keeps and returns the caller's slices
	"ignore-ctx":          "CanceledContext",     // never looks at ctx
	"no-existing":         "CreateExisting",      // Create's conflict returns an empty item
	"zero-wildcard":       "CompareAndSwap",      // CompareAndSwap(AnyVersion) always matches
	"ignore-ttl":          "TTL",                 // items never expire
	"expired-blocks":      "TTL",                 // Create sees expired items as existing
	"put-keeps-version":   "Put",                 // Put over an item keeps its version
	"delete-missing":      "Delete",              // Delete(AnyVersion) of nothing is ErrNotFound
	"no-key-check":        "InvalidKey",          // accepts any key
	"negative-ttl":        "NegativeTTL",         // treats a negative ttl as none
	"truncate":            "LargeValue",          // keeps at most 64 KiB
	"expiry-off":          "ExpiresAt",           // reports ExpiresAt a minute late
	"expires-at-boundary": "TTLBoundary",         // items live a second past their ttl
	"prefix-keys":         "UnusualKeys",         // cuts keys at the first NUL byte
	"empty-nil":           "Values",              // stores an empty value as missing
	"max-key":             "MaxKeyLen",           // rejects keys of exactly MaxKeyLen bytes
	"get-missing":         "GetMissing",          // Get of nothing returns an empty item
	"create-returns-old":  "Create",              // Create returns version 0
	"no-cas-not-found":    "CompareAndSwap",      // CompareAndSwap of nothing is a conflict
	"cas-keeps-old-ttl":   "TTL",                 // CompareAndSwap keeps the old expiry
	"delete-expired-conf": "TTL",                 // Delete(version) of an expired item is a conflict
	"lost-update":         "NoLostUpdates",       // CompareAndSwap ignores the version half the time
	"cas-race":            "CompareAndSwapRace",  // two swaps from one version may both succeed
	"delete-race":         "DeleteRace",          // two deletes of one version may both succeed
	"create-race":         "CreateRace",          // two Creates may both succeed
	"ttl-put-keeps":       "TTL",                 // Put keeps the old expiry
	"versions-zero":       "Create",              // versions start at zero
	"get-stale-value":     "CompareAndSwap",      // Get returns the first value ever written
	"delete-any-noop":     "Delete",              // Delete(AnyVersion) does nothing
	"create-ignores-ttl":  "ExpiresAt",           // Create ignores its ttl
	"get-drops-expiry":    "ExpiresAt",           // Get reports no ExpiresAt
	"conflict-not-found":  "Delete",              // Delete with a wrong version is ErrNotFound
	"ctx-deadline":        "CanceledContext",     // reports every ctx error as Canceled
	"negative-ttl-put":    "NegativeTTL",         // only Put accepts a negative ttl
	"unicode-fold":        "UnusualKeys",         // keys are case-insensitive
	"delete-prefix":       "Delete",              // Delete removes every key with the prefix
	"put-returns-zero":    "Put",                 // Put returns version 0
	"cas-returns-old":     "CompareAndSwap",      // CompareAndSwap returns the old version
	"create-race-winner":  "CreateRace",          // losers get an empty item
	"expired-cas":         "TTL",                 // CompareAndSwap revives an expired item
}

func newToy(now func() time.Time, bugs ...string) *toy {
	t := &toy{now: now, bugs: map[string]bool{}, items: map[string]toyItem{}, perKey: map[string]state.Version{}}
	for _, b := range bugs {
		t.bugs[b] = true
	}
	return t
}

func (s *toy) checkArgs(ctx context.Context, key string, ttl time.Duration) error {
	if !s.bugs["ignore-ctx"] && ctx.Err() != nil {
		if s.bugs["ctx-deadline"] {
			return context.Canceled
		}
		return fmt.Errorf("toy: %w", ctx.Err())
	}
	if s.bugs["no-key-check"] {
		return nil
	}
	if s.bugs["max-key"] && len(key) == state.MaxKeyLen {
		return state.ErrInvalidKey
	}
	if s.bugs["negative-ttl"] && ttl < 0 {
		ttl = 0
	}
	return state.CheckArgs(context.Background(), key, ttl)
}

func (s *toy) k(key string) string {
	if s.bugs["prefix-keys"] {
		if i := strings.IndexByte(key, 0); i >= 0 {
			key = key[:i]
		}
	}
	if s.bugs["unicode-fold"] {
		key = strings.ToLower(key)
	}
	return key
}

func (s *toy) clone(b []byte) []byte {
	if s.bugs["alias"] {
		return b
	}
	if s.bugs["truncate"] && len(b) > 64<<10 {
		b = b[:64<<10]
	}
	if s.bugs["empty-nil"] && len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func (s *toy) live(key string) (toyItem, bool) {
	it, ok := s.items[key]
	if !ok {
		return it, false
	}
	if s.bugs["ignore-ttl"] || it.expiresAt.IsZero() {
		return it, true
	}
	end := it.expiresAt
	if s.bugs["expires-at-boundary"] {
		end = end.Add(time.Second)
	}
	return it, s.now().Before(end)
}

func (s *toy) write(key string, value []byte, ttl time.Duration) state.Version {
	var v state.Version
	if s.bugs["aba"] {
		s.perKey[key]++
		v = s.perKey[key]
	} else {
		s.version++
		v = s.version
		if s.bugs["versions-zero"] {
			v--
		}
	}
	exp := state.ExpiresAt(s.now(), ttl)
	if s.bugs["expiry-off"] && !exp.IsZero() {
		exp = exp.Add(time.Minute)
	}
	s.items[key] = toyItem{value: s.clone(value), version: v, expiresAt: exp}
	return v
}

func (s *toy) item(it toyItem) state.Item {
	out := state.Item{Value: s.clone(it.value), Version: it.version, ExpiresAt: it.expiresAt}
	if out.Value == nil && !s.bugs["empty-nil"] {
		out.Value = []byte{}
	}
	return out
}

func (s *toy) Get(ctx context.Context, key string) (state.Item, error) {
	if err := s.checkArgs(ctx, key, 0); err != nil {
		return state.Item{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.live(s.k(key))
	if s.bugs["empty-nil"] && ok && it.value == nil {
		ok = false
	}
	if !ok {
		if s.bugs["get-missing"] {
			return state.Item{}, nil
		}
		return state.Item{}, state.ErrNotFound
	}
	out := s.item(it)
	if s.bugs["get-drops-expiry"] {
		out.ExpiresAt = time.Time{}
	}
	return out, nil
}

func (s *toy) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := s.checkArgs(ctx, key, ttl); err != nil {
		return state.Item{}, err
	}
	if s.bugs["create-ignores-ttl"] {
		ttl = 0
	}
	s.mu.Lock()
	k := s.k(key)
	it, ok := s.live(k)
	if !ok && s.bugs["expired-blocks"] {
		_, ok = s.items[k]
		it = s.items[k]
	}
	if ok {
		s.mu.Unlock()
		if s.bugs["no-existing"] || s.bugs["create-race-winner"] {
			return state.Item{}, state.ErrAlreadyExists
		}
		return s.item(it), state.ErrAlreadyExists
	}
	if s.bugs["create-race"] {
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
		s.mu.Lock()
	}
	v := s.write(k, value, ttl)
	out := s.item(s.items[k])
	s.mu.Unlock()
	if s.bugs["create-returns-old"] {
		out.Version = 0
	}
	_ = v
	return out, nil
}

func (s *toy) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if s.bugs["negative-ttl-put"] && ttl < 0 {
		ttl = 0
	}
	if err := s.checkArgs(ctx, key, ttl); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.k(key)
	old, ok := s.live(k)
	if s.bugs["ttl-put-keeps"] && ok && !old.expiresAt.IsZero() {
		v := s.write(k, value, 0)
		it := s.items[k]
		it.expiresAt = old.expiresAt
		s.items[k] = it
		return v, nil
	}
	v := s.write(k, value, ttl)
	if s.bugs["put-keeps-version"] && ok {
		it := s.items[k]
		it.version = old.version
		s.items[k] = it
		v = old.version
	}
	if s.bugs["put-returns-zero"] {
		return 0, nil
	}
	return v, nil
}

func (s *toy) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	if err := s.checkArgs(ctx, key, ttl); err != nil {
		return 0, err
	}
	s.mu.Lock()
	k := s.k(key)
	it, ok := s.live(k)
	if !ok && s.bugs["expired-cas"] {
		it, ok = s.items[k]
	}
	if !ok {
		s.mu.Unlock()
		if s.bugs["no-cas-not-found"] {
			return 0, state.ErrVersionConflict
		}
		return 0, state.ErrNotFound
	}
	match := it.version == old || (s.bugs["zero-wildcard"] && old == 0)
	if !match {
		s.mu.Unlock()
		return 0, state.ErrVersionConflict
	}
	if s.bugs["lost-update"] || s.bugs["cas-race"] {
		s.mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		s.mu.Lock()
	}
	v := s.write(k, value, ttl)
	if s.bugs["cas-keeps-old-ttl"] {
		n := s.items[k]
		n.expiresAt = it.expiresAt
		s.items[k] = n
	}
	if s.bugs["get-stale-value"] {
		n := s.items[k]
		n.value = it.value
		s.items[k] = n
	}
	s.mu.Unlock()
	if s.bugs["cas-returns-old"] {
		return old, nil
	}
	return v, nil
}

func (s *toy) Delete(ctx context.Context, key string, version state.Version) error {
	if err := s.checkArgs(ctx, key, 0); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.k(key)
	it, ok := s.live(k)
	if version != state.AnyVersion {
		if !ok {
			if s.bugs["delete-expired-conf"] {
				if _, there := s.items[k]; there {
					return state.ErrVersionConflict
				}
			}
			return state.ErrNotFound
		}
		if it.version != version {
			if s.bugs["conflict-not-found"] {
				return state.ErrNotFound
			}
			return state.ErrVersionConflict
		}
	} else {
		if !ok && s.bugs["delete-missing"] {
			return state.ErrNotFound
		}
		if s.bugs["delete-any-noop"] {
			return nil
		}
	}
	if s.bugs["delete-race"] && version != state.AnyVersion {
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
		s.mu.Lock()
	}
	if s.bugs["delete-prefix"] {
		for other := range s.items {
			if strings.HasPrefix(other, k) {
				delete(s.items, other)
			}
		}
	}
	delete(s.items, k)
	if s.bugs["aba"] {
		delete(s.perKey, k)
	}
	return nil
}

// TestToyPasses proves the toy store is a correct baseline.
func TestToyPasses(t *testing.T) {
	clk := storetest.NewClock()
	storetest.Run(t, func(t *testing.T) state.Store { return newToy(clk.Now) }, storetest.WithClock(clk))
}

// TestToyBug is run in a child process by TestSuiteCatchesBugs.
func TestToyBug(t *testing.T) {
	bug := os.Getenv("STORETEST_TOY_BUG")
	if bug == "" {
		t.Skip("run by TestSuiteCatchesBugs")
	}
	clk := storetest.NewClock()
	storetest.Run(t, func(t *testing.T) state.Store { return newToy(clk.Now, bug) }, storetest.WithClock(clk))
}

// TestSuiteCatchesBugs runs the suite over the toy store with one bug at a
// time, in a child process, and checks that the subtest meant to catch the
// bug fails.
func TestSuiteCatchesBugs(t *testing.T) {
	if os.Getenv("STORETEST_TOY_BUG") != "" {
		t.Skip("in the child process")
	}
	for bug, subtest := range bugs {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestToyBug$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_TOY_BUG="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with bug %q", bug)
			}
			if want := "--- FAIL: TestToyBug/" + subtest + " "; !bytes.Contains(out, []byte(want)) {
				t.Fatalf("bug %q: subtest %s did not fail; output:\n%s", bug, subtest, out)
			}
		})
	}
}
