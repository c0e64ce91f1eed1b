package awsfifo_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/awsfifo"
)

var (
	errKey   = errors.New("toy: invalid key")
	errLarge = errors.New("toy: too large")
)

func target(name string, keys awsfifo.Keys) *awsfifo.Target {
	return &awsfifo.Target{Pkg: "toy", Kind: "queue", Address: "a URL", Name: name,
		ErrInvalidKey: errKey, ErrTooLarge: errLarge, MaxSize: 1000, Keys: keys}
}

func newEvent(id, source string) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType("toy.created")
	return &e
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestExtension(t *testing.T) {
	e := newEvent("1", "/s")
	e.SetExtension("tenant", "acme")
	e.SetExtension("shard", 7)
	if got := awsfifo.Extension("tenant")(e); got != "acme" {
		t.Errorf("string extension: %q", got)
	}
	if got := awsfifo.Extension("shard")(e); got != "7" {
		t.Errorf("integer extension: %q, want its string form", got)
	}
	if got := awsfifo.Extension("absent")(e); got != "" {
		t.Errorf("absent extension: %q", got)
	}
}

func TestGroupID(t *testing.T) {
	e := newEvent("1", "/orders")
	if got := awsfifo.GroupID(e); got != "/orders" {
		t.Errorf("without partitionkey: %q, want the source", got)
	}
	e.SetExtension("partitionkey", "customer-7")
	if got := awsfifo.GroupID(e); got != "customer-7" {
		t.Errorf("with partitionkey: %q", got)
	}
	long := strings.Repeat("k", awsfifo.MaxKey)
	e.SetExtension("partitionkey", long)
	if got := awsfifo.GroupID(e); got != long {
		t.Errorf("a key of MaxKey characters is valid and must stay: %q", got)
	}
	for _, bad := range []string{long + "k", "has space", "caf\u00e9"} {
		e.SetExtension("partitionkey", bad)
		if got := awsfifo.GroupID(e); got != sum(bad) {
			t.Errorf("invalid key %q: %q, want its SHA-256", bad, got)
		}
	}
}

func TestDeduplicationID(t *testing.T) {
	a, b := awsfifo.DeduplicationID(newEvent("1", "/s")), awsfifo.DeduplicationID(newEvent("1", "/s"))
	if a != b || a != sum("/s\x001") {
		t.Errorf("DeduplicationID = %q and %q, want %q", a, b, sum("/s\x001"))
	}
	// The separator keeps ("/s1", "") and ("/s", "1") apart.
	if awsfifo.DeduplicationID(newEvent("1", "/s")) == awsfifo.DeduplicationID(newEvent("", "/s1")) {
		t.Error("source and id are not separated")
	}
}

func TestCheckKey(t *testing.T) {
	tg := target("q.fifo", awsfifo.Keys{})
	for _, c := range []struct {
		key      string
		optional bool
		msg      string // "" for valid
	}{
		{"abc-1_2.3!~", false, ""},
		{"", true, ""},
		{"", false, "toy: invalid key: the FIFO queue needs a group and the event gives none"},
		{strings.Repeat("x", 129), false, "toy: invalid key: group of 129 characters, more than 128"},
		{"a b", false, `toy: invalid key: group "a b" has ' ' at byte 1 (only letters, digits and ASCII punctuation)`},
		{"a\x7f", true, `toy: invalid key: group "a\x7f" has '\x7f' at byte 1 (only letters, digits and ASCII punctuation)`},
	} {
		err := tg.CheckKey("group", c.key, c.optional)
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("CheckKey(%q): %v", c.key, err)
		case c.msg != "" && (err == nil || err.Error() != "handler: permanent failure: "+c.msg || !errors.Is(err, errKey) || handler.ClassOf(err) != handler.ClassPermanent):
			t.Errorf("CheckKey(%q) = %v, want permanent %q", c.key, err, c.msg)
		}
	}
}

func TestSetup(t *testing.T) {
	id := func(e *event.Event) string { return e.ID() }
	t.Run("FIFO defaults", func(t *testing.T) {
		tg := target("q.fifo", awsfifo.Keys{})
		if err := tg.Setup(); err != nil {
			t.Fatal(err)
		}
		e := newEvent("1", "/s")
		if tg.Keys.Group == nil || tg.Keys.Group(e) != awsfifo.GroupID(e) || tg.Keys.Dedup == nil || tg.Keys.Dedup(e) != awsfifo.DeduplicationID(e) {
			t.Error("a FIFO target without options must get GroupID and DeduplicationID")
		}
	})
	t.Run("FIFO keeps given keys", func(t *testing.T) {
		tg := target("q.fifo", awsfifo.Keys{Group: id, GroupGiven: true, DedupGiven: true})
		if err := tg.Setup(); err != nil {
			t.Fatal(err)
		}
		if tg.Keys.Group(newEvent("7", "/s")) != "7" || tg.Keys.Dedup != nil {
			t.Error("given keys (nil deduplication included) must stay")
		}
	})
	t.Run("standard has no defaults", func(t *testing.T) {
		tg := target("q", awsfifo.Keys{})
		if err := tg.Setup(); err != nil || tg.Keys.Group != nil || tg.Keys.Dedup != nil {
			t.Errorf("standard target: %v, keys %+v", err, tg.Keys)
		}
	})
	t.Run("standard refuses deduplication", func(t *testing.T) {
		tg := target("q", awsfifo.Keys{Dedup: id, DedupGiven: true})
		err := tg.Setup()
		if err == nil || err.Error() != `toy: deduplication ids need a FIFO queue (a URL ending in .fifo), not "q"` {
			t.Errorf("Setup: %v", err)
		}
	})
	t.Run("FIFO refuses no group", func(t *testing.T) {
		tg := target("q.fifo", awsfifo.Keys{GroupGiven: true})
		err := tg.Setup()
		if err == nil || err.Error() != "toy: a FIFO queue needs a message group id: WithGroupID(nil) is not allowed" {
			t.Errorf("Setup: %v", err)
		}
	})
}

func TestEncode(t *testing.T) {
	part := awsfifo.Extension("partitionkey")
	t.Run("FIFO", func(t *testing.T) {
		tg := target("q.fifo", awsfifo.Keys{})
		if err := tg.Setup(); err != nil {
			t.Fatal(err)
		}
		e := newEvent("1", "/s")
		m, err := tg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if m.Group != "/s" || m.Dedup != awsfifo.DeduplicationID(e) || !strings.Contains(m.Body, `"id":"1"`) || !strings.Contains(m.Body, `"specversion":"1.0"`) {
			t.Errorf("message %+v", m)
		}
	})
	t.Run("FIFO without a group", func(t *testing.T) {
		tg := target("q.fifo", awsfifo.Keys{Group: part, GroupGiven: true})
		_ = tg.Setup()
		_, err := tg.Encode(newEvent("1", "/s"))
		if !errors.Is(err, errKey) || !strings.Contains(err.Error(), "needs a message group id") {
			t.Errorf("Encode: %v", err)
		}
	})
	t.Run("standard without a group", func(t *testing.T) {
		tg := target("q", awsfifo.Keys{Group: part, GroupGiven: true})
		_ = tg.Setup()
		m, err := tg.Encode(newEvent("1", "/s"))
		if err != nil || m.Group != "" || m.Dedup != "" {
			t.Errorf("Encode: %+v, %v", m, err)
		}
	})
	t.Run("empty deduplication id", func(t *testing.T) {
		tg := target("q.fifo", awsfifo.Keys{Dedup: part, DedupGiven: true})
		_ = tg.Setup()
		_, err := tg.Encode(newEvent("1", "/s"))
		if !errors.Is(err, errKey) || !strings.Contains(err.Error(), "message deduplication id") {
			t.Errorf("Encode: %v", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		tg := target("q", awsfifo.Keys{})
		e := newEvent("1", "/s")
		_ = e.SetData("text/plain", strings.Repeat("x", 1000))
		_, err := tg.Encode(e)
		if !errors.Is(err, errLarge) || handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "more than the 1000-byte limit") {
			t.Errorf("Encode: %v", err)
		}
		tg.MaxSize = 2000
		if _, err := tg.Encode(e); err != nil {
			t.Errorf("Encode under the limit: %v", err)
		}
	})
	t.Run("invalid event", func(t *testing.T) {
		tg := target("q", awsfifo.Keys{})
		_, err := tg.Encode(&event.Event{})
		if handler.ClassOf(err) != handler.ClassInvalidInput {
			t.Errorf("Encode of an event without context: %v", err)
		}
	})
}

func TestFields(t *testing.T) {
	m := awsfifo.Message{Body: "b", Group: "g"}
	body, group, dedup := m.Fields()
	if body == nil || *body != "b" || group == nil || *group != "g" || dedup != nil {
		t.Errorf("Fields of %+v: %v %v %v", m, body, group, dedup)
	}
	m = awsfifo.Message{Body: "b", Dedup: "d"}
	if _, group, dedup := m.Fields(); group != nil || dedup == nil || *dedup != "d" {
		t.Errorf("Fields of %+v: %v %v", m, group, dedup)
	}
}
