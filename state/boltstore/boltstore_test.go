package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
	"github.com/fnkit/fnkit/state/storetest"
)

// open opens a Store in a new file that is closed when the test ends.
func open(t testing.TB, opts ...boltstore.Option) (*boltstore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := boltstore.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, path
}

func TestConformance(t *testing.T) {
	clk := storetest.NewClock()
	storetest.Run(t, func(t *testing.T) state.Store {
		s, _ := open(t, boltstore.WithClock(clk.Now))
		return s
	}, storetest.WithClock(clk))
}

func TestConformanceRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps about 1.3 s")
	}
	// One file for every subtest, as a shared server would be.
	s, _ := open(t)
	storetest.Run(t, func(t *testing.T) state.Store { return s })
}

func TestReopenKeepsItemsAndVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.Create(ctx, "k", []byte("v1"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k", it.Version); err != nil {
		t.Fatal(err)
	}
	v2, err := s.Put(ctx, "k", []byte("v2"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Get(ctx, "k"); err == nil {
		t.Fatal("Get after Close succeeded")
	}

	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != "v2" || got.Version != v2 {
		t.Fatalf("after reopen: (%q, %d); want (%q, %d)", got.Value, got.Version, "v2", v2)
	}
	if d := time.Until(got.ExpiresAt); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("after reopen: expires in %v; want about 1h", d)
	}
	// The version sequence lives in the file: no version comes back.
	v3, err := s.Put(ctx, "k", []byte("v3"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if v3 == it.Version || v3 == v2 {
		t.Fatalf("version %d after reopen repeats an earlier one (%d, %d)", v3, it.Version, v2)
	}
	if _, err := s.CompareAndSwap(ctx, "k", it.Version, []byte("aba"), 0); !errors.Is(err, state.ErrVersionConflict) {
		t.Fatalf("CompareAndSwap with a version from before the reopen: %v; want ErrVersionConflict", err)
	}
}

func TestFileLock(t *testing.T) {
	_, path := open(t)
	start := time.Now()
	_, err := boltstore.Open(path, boltstore.WithTimeout(100*time.Millisecond))
	if err == nil {
		t.Fatal("a second Open of a locked file succeeded")
	}
	if !errors.Is(err, berrors.ErrTimeout) {
		t.Fatalf("second Open: %v; want an error wrapping bbolt's ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second Open failed after %v; want after about the 100ms timeout", d)
	}
}

func TestBuckets(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	a, err := boltstore.Open(path, boltstore.WithBucket("a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, "k", []byte("in a"), 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := boltstore.Open(path, boltstore.WithBucket("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Get(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("bucket b sees bucket a's key: %v", err)
	}
}

func TestCorruptRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte(boltstore.DefaultBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte("bad"), []byte("not a record"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Get(ctx, "bad")
	if !errors.Is(err, boltstore.ErrCorrupt) || errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get of a corrupt record: %v; want ErrCorrupt", err)
	}
	if _, err := s.CompareAndSwap(ctx, "bad", 1, []byte("v"), 0); !errors.Is(err, boltstore.ErrCorrupt) {
		t.Fatalf("CompareAndSwap of a corrupt record: %v; want a corruption error", err)
	}
	// Put and Delete(AnyVersion) repair it; Sweep leaves it alone.
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("Sweep = %d, %v; want 0, nil", n, err)
	}
	if _, err := s.Put(ctx, "bad", []byte("good"), 0); err != nil {
		t.Fatal(err)
	}
	if it, err := s.Get(ctx, "bad"); err != nil || string(it.Value) != "good" {
		t.Fatalf("Get after Put over a corrupt record: %q, %v", it.Value, err)
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	path := filepath.Join(t.TempDir(), "state.db")

	// More items than one sweep batch, every third one expiring, written
	// in one transaction (one Put each would take a while).
	const n = 12_000
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte(boltstore.DefaultBucket))
		if err != nil {
			return err
		}
		for i := range n {
			var exp time.Time
			switch i % 3 {
			case 0:
				exp = clk.Now().Add(time.Minute)
			case 1:
				exp = clk.Now().Add(time.Hour)
			}
			seq, _ := b.NextSequence()
			if err := b.Put(fmt.Appendf(nil, "k%d", i), boltstore.Encode(state.Version(seq), exp, []byte("v"))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := boltstore.Open(path, boltstore.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if it, err := s.Get(ctx, "k1"); err != nil || string(it.Value) != "v" || !it.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("Get(k1) = %+v, %v", it, err)
	}
	if got, err := s.Sweep(ctx); err != nil || got != 0 {
		t.Fatalf("Sweep before any expiry = %d, %v; want 0", got, err)
	}
	clk.Advance(time.Minute)
	// A key rewritten after expiry is not swept.
	if _, err := s.Put(ctx, "k0", []byte("again"), 0); err != nil {
		t.Fatal(err)
	}
	want := (n+2)/3 - 1
	if got, err := s.Sweep(ctx); err != nil || got != want {
		t.Fatalf("Sweep = %d, %v; want %d", got, err, want)
	}
	if got, err := s.Sweep(ctx); err != nil || got != 0 {
		t.Fatalf("second Sweep = %d, %v; want 0", got, err)
	}
	if k := keyCount(t, path); k != n-want {
		t.Fatalf("%d keys in the file after Sweep; want %d", k, n-want)
	}
	if it, err := s.Get(ctx, "k0"); err != nil || string(it.Value) != "again" {
		t.Fatalf("Get(k0) after Sweep = %q, %v", it.Value, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	clk.Advance(time.Hour)
	if _, err := s.Sweep(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sweep with a cancelled context: %v", err)
	}
}

// keyCount counts the records in the Store's file by reading a copy of
// it: the Store holds the lock.
func keyCount(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(cp, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	_ = db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte(boltstore.DefaultBucket)).Stats().KeyN
		return nil
	})
	return n
}

func TestBackgroundSweep(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := boltstore.Open(path, boltstore.WithSweepInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "short", []byte("v"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "forever", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for keyCount(t, path) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the background sweep did not delete the expired item")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close stopped the sweeper and released the file.
	s2, err := boltstore.Open(path, boltstore.WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_ = s2.Close()
}

func TestOptionsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"WithClock(nil)":         func() { boltstore.WithClock(nil) },
		"WithBucket(\"\")":       func() { boltstore.WithBucket("") },
		"WithTimeout(-1)":        func() { boltstore.WithTimeout(-1) },
		"WithSweepInterval(0)":   func() { boltstore.WithSweepInterval(0) },
		"WithSweepInterval(-1s)": func() { boltstore.WithSweepInterval(-time.Second) },
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

func TestFarExpiry(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	if _, err := s.Put(ctx, "k", []byte("v"), time.Duration(math.MaxInt64)); err != nil {
		t.Fatal(err)
	}
	it, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatalf("Get of an item with a ttl of 292 years: %v", err)
	}
	if it.ExpiresAt.Year() < 2262 {
		t.Fatalf("ExpiresAt = %v; want far in the future", it.ExpiresAt)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	_, err := boltstore.Open(filepath.Join(t.TempDir(), "no", "such", "dir", "state.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func BenchmarkStore(b *testing.B) {
	s, _ := open(b)
	storetest.Bench(b, s)
}
