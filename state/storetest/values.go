package storetest

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

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
