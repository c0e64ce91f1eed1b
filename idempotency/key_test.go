package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

// wantStateKey is the state key format records are stored under, spelt
// out independently of the engine: stored records must stay reachable.
func wantStateKey(scope, src, id string) string {
	key := strconv.Itoa(len(src)) + ":" + src + id
	if k := "idem/" + scope + "/" + key; len(k) <= state.MaxKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(key))
	return "idem/" + scope + "/sha256:" + hex.EncodeToString(sum[:])
}

// TestStateKeys checks the default key and an explicit WithKey(EventIdentity)
// against the stored format, for short sources and ones long enough to be
// hashed, with sources alternating from one delivery to the next.
func TestStateKeys(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("p", state.MaxKeyLen)
	sources := []string{"/orders", "https://example.com/a?b=c#d", long, "/orders", "/other", long, "urn:x:y"}
	for _, scope := range []string{"", "tenant-a"} {
		for name, opts := range map[string][]Option{
			"default":       {WithScope(scope)},
			"EventIdentity": {WithScope(scope), WithKey(EventIdentity)},
		} {
			t.Run(scope+"/"+name, func(t *testing.T) {
				store := memstore.New()
				h := New(store, opts...).Wrap(newEffects(0))
				for i, src := range sources {
					id := "id-" + strconv.Itoa(i)
					e := handlertest.NewEvent(handlertest.WithID(id), handlertest.WithSource(src),
						handlertest.WithData("application/json", []byte(`{}`)))
					if _, err := h.Handle(context.Background(), e); err != nil {
						t.Fatal(err)
					}
					if _, err := store.Get(context.Background(), wantStateKey(scope, src, id)); err != nil {
						t.Fatalf("source %q: record not at its key: %v", src, err)
					}
				}
				if n := store.Len(); n != len(sources) {
					t.Fatalf("%d records, want %d", n, len(sources))
				}
			})
		}
	}
}

func TestNoKeyWithoutSourceOrID(t *testing.T) {
	noID := event.New()
	noID.SetSource("/s")
	noSource := event.New()
	noSource.SetID("x")
	generated := handler.WithInvocation(context.Background(), &handler.Invocation{IDGenerated: true})
	for name, c := range map[string]struct {
		ctx context.Context
		e   event.Event
	}{
		"no id":        {context.Background(), noID},
		"no source":    {context.Background(), noSource},
		"no context":   {context.Background(), event.Event{}},
		"generated id": {generated, ev("x", "{}")},
	} {
		t.Run(name, func(t *testing.T) {
			if k, err := EventIdentity(c.ctx, c.e); k != "" || err != nil {
				t.Fatalf("EventIdentity = %q, %v; want no key", k, err)
			}
			if k, err := New(memstore.New()).stateKey(c.ctx, c.e); k != "" || err != nil {
				t.Fatalf("stateKey = %q, %v; want no key", k, err)
			}
		})
	}
}

// TestSourceCache: the cached string is always the source's own, whatever
// came before, including from concurrent callers (run with -race).
func TestSourceCache(t *testing.T) {
	var c sourceCache
	sources := []string{"/a", "/b", "https://u:p@example.com/x?y#z", "/a", "urn:a", "/a"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				e := event.New()
				e.SetSource(sources[(g+i)%len(sources)])
				ec := e.Context.(*event.EventContextV1)
				if got, want := c.string(&ec.Source), ec.Source.String(); got != want {
					t.Errorf("cached %q, want %q", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestRepliesKeepTheirSources: replies from differing sources are each
// replayed with their own.
func TestRepliesKeepTheirSources(t *testing.T) {
	store := memstore.New()
	h := New(store).Wrap(handler.Func(func(_ context.Context, e event.Event) (*event.Event, error) {
		r := event.New()
		r.SetID("r")
		r.SetSource("/reply/" + e.ID())
		r.SetType("t")
		return &r, nil
	}))
	for _, id := range []string{"a", "b", "a", "c", "b"} {
		r, err := h.Handle(context.Background(), ev(id, "{}"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Source() != "/reply/"+id {
			t.Fatalf("reply to %q from %q", id, r.Source())
		}
	}
}

// TestDataHash: SHA-256 of the datacontenttype, a zero byte and the data,
// the value stored records hold, for payloads on either side of the size
// DataHash hashes in one piece.
func TestDataHash(t *testing.T) {
	for _, n := range []int{0, 1, smallPayload - 17, smallPayload - 16, smallPayload - 15, smallPayload, 5000} {
		data := []byte(strings.Repeat("x", n))
		for _, ct := range []string{"", "application/json"} {
			e := event.New()
			if ct != "" || n > 0 {
				if err := e.SetData(ct, data); err != nil {
					t.Fatal(err)
				}
			}
			got, err := DataHash(e)
			if err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(append(append([]byte(e.DataContentType()), 0), e.DataEncoded...))
			if string(got) != string(want[:]) {
				t.Fatalf("ct %q, %d bytes: %x, want %x", ct, len(e.DataEncoded), got, want)
			}
		}
	}
}
