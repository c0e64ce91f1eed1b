package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fnkit/fnkit/internal/testserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/storetest"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func client(tb testing.TB) *redis.Client {
	tb.Helper()
	srv := testserver.Redis(tb)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	tb.Cleanup(func() { c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	c := client(t)
	storetest.Run(t, func(t *testing.T) state.Store { return New(c, WithPrefix("conf:")) })
}

func TestPrefixIsolates(t *testing.T) {
	c := client(t)
	a, b := New(c, WithPrefix("a:")), New(c, WithPrefix("b:"))
	ctx := context.Background()
	if _, err := a.Put(ctx, "k", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("prefix b sees a's key: %v", err)
	}
	if raw, err := c.Get(ctx, "a:k").Bytes(); err != nil || len(raw) != headerLen+1 {
		t.Fatalf("layout: %q %v", raw, err)
	}
}

func TestNativeTTL(t *testing.T) {
	c := client(t)
	s := New(c, WithPrefix("ttl:"))
	ctx := context.Background()
	if _, err := s.Put(ctx, "k", []byte("v"), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, "ttl:k").Val(); ttl <= 0 || ttl > 1500*time.Millisecond {
		t.Fatalf("redis TTL %v, want native expiry ≤ 1.5s", ttl)
	}
}

func TestCorruptItem(t *testing.T) {
	c := client(t)
	s := New(c, WithPrefix("corrupt:"))
	c.Set(context.Background(), "corrupt:k", "short", 0)
	if _, err := s.Get(context.Background(), "k"); err == nil {
		t.Fatal("a corrupt item decoded")
	}
}

func TestServerDown(t *testing.T) {
	srv := testserver.Redis(t)
	if srv.External() {
		t.Skip("external server")
	}
	s := New(client(t), WithPrefix("down:"))
	ctx := context.Background()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	defer srv.Start()
	_, err := s.Get(ctx, "k")
	if err == nil || errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get with the server down: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestNewPanicsOnNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New(nil)
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, New(client(b), WithPrefix("bench:")))
}
