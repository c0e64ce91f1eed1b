package idempotency

import (
	"bytes"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

func fullEvent() *event.Event {
	e := event.New()
	e.SetID("id-1")
	e.SetSource("https://example.com/orders?x=1#frag")
	e.SetType("com.example.reply")
	e.SetSubject("orders/42")
	e.SetTime(time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC))
	e.SetDataSchema("https://example.com/schema.json")
	e.SetExtension("tenant", "acme")
	e.SetExtension("count", 7)
	e.SetExtension("flag", true)
	e.SetExtension("when", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	_ = e.SetData("application/json", map[string]int{"a": 1})
	return &e
}

func TestReplyRoundTrip(t *testing.T) {
	minimal := event.New()
	minimal.SetID("m")
	minimal.SetSource("/s")
	minimal.SetType("t")
	for name, e := range map[string]*event.Event{"full": fullEvent(), "minimal": &minimal} {
		t.Run(name, func(t *testing.T) {
			b, err := encodeRecord(statusCompleted, []byte("hash"), e)
			if err != nil {
				t.Fatal(err)
			}
			r, err := decodeRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			got := r.reply
			if got.ID() != e.ID() || got.Source() != e.Source() || got.Type() != e.Type() || got.Subject() != e.Subject() ||
				!got.Time().Equal(e.Time()) || got.DataSchema() != e.DataSchema() || got.DataContentType() != e.DataContentType() ||
				!bytes.Equal(got.Data(), e.Data()) || string(r.hash) != "hash" {
				t.Fatalf("round trip:\n%s\nwant\n%s", got, e)
			}
			if len(got.Extensions()) != len(e.Extensions()) {
				t.Fatalf("extensions %v, want %v", got.Extensions(), e.Extensions())
			}
			for k, v := range e.Extensions() {
				if got.Extensions()[k] == v {
					continue
				}
				// Kinds other than string, integer and boolean come back as
				// their canonical string.
				want, _ := types.Format(v)
				if _, isString := got.Extensions()[k].(string); !isString || got.Extensions()[k] != want {
					t.Fatalf("extension %s = %#v, want %#v", k, got.Extensions()[k], v)
				}
			}
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDecodeRecordRejectsGarbage(t *testing.T) {
	good, _ := encodeRecord(statusCompleted, []byte("h"), fullEvent())
	for name, b := range map[string][]byte{
		"empty":           nil,
		"bad status":      []byte("X\x00"),
		"short hash":      []byte("C\x05ab"),
		"reply on claim":  append([]byte("P\x00E"), good[4:]...),
		"bad reply mark":  []byte("C\x00Zxyz"),
		"truncated reply": good[:len(good)/2],
	} {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzDecodeRecord: a stored record may be anything (a corrupt store, a
// foreign writer): decoding must fail cleanly or round-trip.
func FuzzDecodeRecord(f *testing.F) {
	good, _ := encodeRecord(statusCompleted, []byte("hash"), fullEvent())
	claim, _ := encodeRecord(statusInProgress, []byte("hash"), nil)
	f.Add(good)
	f.Add(claim)
	f.Add([]byte("C\x00E\x00\x01a\x01b\x01c\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := encodeRecord(r.status, r.hash, r.reply)
		if err != nil {
			return // e.g. an unencodable extension that decoded as a string
		}
		r2, err := decodeRecord(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if r2.status != r.status || !bytes.Equal(r2.hash, r.hash) || (r.reply == nil) != (r2.reply == nil) {
			t.Fatal("round trip changed the record")
		}
		if r.reply != nil && (r2.reply.ID() != r.reply.ID() || !bytes.Equal(r2.reply.Data(), r.reply.Data())) {
			t.Fatal("round trip changed the reply")
		}
	})
}
