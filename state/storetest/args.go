package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

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
