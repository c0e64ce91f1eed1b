package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

// env is what one subtest works with: its store, the suite's settings and
// a key prefix no other subtest or run uses.
type env struct {
	c      *config
	s      state.Store
	prefix string
}

// key returns the subtest's key for name.
func (e *env) key(name string) string { return e.prefix + name }

// wait lets d pass: it advances the fake clock, or sleeps.
func (e *env) wait(d time.Duration) {
	if e.c.fake() {
		e.c.advance(d)
		return
	}
	time.Sleep(d)
}

// newPrefix returns a key prefix unique to one subtest of one run, so that
// subtests may share a backing server with each other and with other runs.
func newPrefix(t testing.TB) string {
	return fmt.Sprintf("storetest/%016x/%s/", rand.Uint64(), t.Name())
}

func mustGet(t testing.TB, s state.Store, key string) state.Item {
	t.Helper()
	it, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", short(key), err)
	}
	return it
}

func mustCreate(t testing.TB, s state.Store, key string, value []byte, ttl time.Duration) state.Item {
	t.Helper()
	it, err := s.Create(context.Background(), key, value, ttl)
	if err != nil {
		t.Fatalf("Create(%q, ttl %v): %v", short(key), ttl, err)
	}
	if !bytes.Equal(it.Value, value) {
		t.Fatalf("Create(%q) returned value %q, want %q", short(key), short(string(it.Value)), short(string(value)))
	}
	if it.Version == state.AnyVersion {
		t.Fatalf("Create(%q) returned the zero version", short(key))
	}
	return it
}

func mustPut(t testing.TB, s state.Store, key string, value []byte, ttl time.Duration) state.Version {
	t.Helper()
	v, err := s.Put(context.Background(), key, value, ttl)
	if err != nil {
		t.Fatalf("Put(%q, ttl %v): %v", short(key), ttl, err)
	}
	if v == state.AnyVersion {
		t.Fatalf("Put(%q) returned the zero version", short(key))
	}
	return v
}

func mustCAS(t testing.TB, s state.Store, key string, old state.Version, value []byte, ttl time.Duration) state.Version {
	t.Helper()
	v, err := s.CompareAndSwap(context.Background(), key, old, value, ttl)
	if err != nil {
		t.Fatalf("CompareAndSwap(%q, ttl %v): %v", short(key), ttl, err)
	}
	if v == state.AnyVersion {
		t.Fatalf("CompareAndSwap(%q) returned the zero version", short(key))
	}
	if v == old {
		t.Fatalf("CompareAndSwap(%q) returned the old version %d", short(key), old)
	}
	return v
}

func mustDelete(t testing.TB, s state.Store, key string, version state.Version) {
	t.Helper()
	if err := s.Delete(context.Background(), key, version); err != nil {
		t.Fatalf("Delete(%q, %d): %v", short(key), version, err)
	}
}

// wantItem checks that key holds value at version; it returns the item.
func wantItem(t testing.TB, s state.Store, key string, value []byte, version state.Version) state.Item {
	t.Helper()
	it := mustGet(t, s, key)
	if !bytes.Equal(it.Value, value) {
		t.Fatalf("Get(%q) value = %q, want %q", short(key), short(string(it.Value)), short(string(value)))
	}
	if version != state.AnyVersion && it.Version != version {
		t.Fatalf("Get(%q) version = %d, want %d (the version the last write returned)", short(key), it.Version, version)
	}
	return it
}

// wantMissing checks that Get(key) reports ErrNotFound.
func wantMissing(t testing.TB, s state.Store, key string) {
	t.Helper()
	it, err := s.Get(context.Background(), key)
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get(%q) = (value %q, version %d), %v; want ErrNotFound", short(key), short(string(it.Value)), it.Version, err)
	}
}

// wantErr checks that err wraps target.
func wantErr(t testing.TB, err, target error, call string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v; want one wrapping %q", call, err, target)
	}
}

// wantNoExpiry checks that it has no expiry.
func wantNoExpiry(t testing.TB, it state.Item, call string) {
	t.Helper()
	if !it.ExpiresAt.IsZero() {
		t.Fatalf("%s: ExpiresAt = %v; want zero (no ttl)", call, it.ExpiresAt)
	}
}

// near reports whether a and b are at most tol apart.
func near(a, b time.Time, tol time.Duration) bool {
	d := a.Sub(b)
	return -tol <= d && d <= tol
}

// short abbreviates long keys and values in failure messages.
func short(s string) string {
	if len(s) <= 80 {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:60], len(s))
}

// pattern returns n bytes that differ from any shifted copy of themselves,
// so truncation or corruption is noticed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}
