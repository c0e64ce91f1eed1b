package boltstore

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecode: the bucket may hold anything; decode must refuse what it did
// not write and round-trip what it did.
func FuzzDecode(f *testing.F) {
	f.Add(encode(7, time.Unix(100, 5), []byte("value")))
	f.Add(encode(1, time.Time{}, nil))
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decode(b)
		if err != nil {
			if len(b) >= headerSize && b[0] == format1 {
				t.Fatalf("a well-formed header was refused: %v", err)
			}
			return
		}
		var exp time.Time
		if r.expiresAt != 0 {
			exp = time.Unix(0, r.expiresAt)
		}
		if again := encode(r.version, exp, r.value); !bytes.Equal(again, b) {
			t.Fatalf("round trip changed %x into %x", b, again)
		}
	})
}
