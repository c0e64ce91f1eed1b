package redisstore

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecode: a key may hold anything another client wrote; decode must
// refuse short data and round-trip the rest.
func FuzzDecode(f *testing.F) {
	f.Add(string(encode(7, time.UnixMilli(1700000000000), []byte("value"))))
	f.Add(string(encode(1, time.Time{}, nil)))
	f.Add("short")
	f.Fuzz(func(t *testing.T, raw string) {
		it, err := decode(raw)
		if err != nil {
			if len(raw) >= headerLen {
				t.Fatalf("a full header was refused: %v", err)
			}
			return
		}
		if again := encode(it.Version, it.ExpiresAt, it.Value); !bytes.Equal(again, []byte(raw)) {
			t.Fatalf("round trip changed %x into %x", raw, again)
		}
	})
}
