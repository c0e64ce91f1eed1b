package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
)

// EventIdentity is the default KeyFunc: the event's source and id, which
// the CloudEvents spec says identify an event.
func EventIdentity(ctx context.Context, e event.Event) (string, error) {
	src, id := identity(ctx, e)
	if src == "" {
		return "", nil
	}
	return identityKey(src, id), nil
}

// identity returns the source and id of EventIdentity, or empty strings if
// the event has no key.
func identity(ctx context.Context, e event.Event) (src, id string) {
	src, id = eventSource(e), e.ID()
	if src == "" || id == "" {
		return "", ""
	}
	if inv, ok := handler.InvocationFrom(ctx); ok && inv.IDGenerated {
		return "", "" // made up by the adapter: no key the sender can repeat
	}
	return src, id
}

// identityKey is the key of EventIdentity. It is length-prefixed, so that
// no two (source, id) pairs share a key.
func identityKey(src, id string) string {
	return strconv.Itoa(len(src)) + ":" + src + id
}

// KeyFromData returns a KeyFunc that decodes the event's JSON data into a T
// and asks key for the key, for idempotency over a business identifier
// such as an order id. Data that does not decode is invalid input.
func KeyFromData[T any](key func(T) (string, error)) KeyFunc {
	if key == nil {
		panic("idempotency: KeyFromData(nil)")
	}
	return func(_ context.Context, e event.Event) (string, error) {
		var v T
		if err := json.Unmarshal(e.DataEncoded, &v); err != nil {
			return "", handler.InvalidInput(fmt.Errorf("idempotency: reading the key from the data: %w", err))
		}
		return key(v)
	}
}

// storeKey makes the state key of an idempotency key: readable when short,
// hashed when it would not fit the store's key limit.
func (e *Engine) storeKey(key string) string {
	k := e.prefix + key
	if len(k) <= state.MaxKeyLen {
		return k
	}
	return e.hashedStoreKey(key)
}

func (e *Engine) hashedStoreKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return e.prefix + "sha256:" + hex.EncodeToString(sum[:])
}

// identityStoreKey is storeKey(identityKey(src, id)) built in one piece.
func (e *Engine) identityStoreKey(src, id string) string {
	k := e.prefix + strconv.Itoa(len(src)) + ":" + src + id
	if len(k) <= state.MaxKeyLen {
		return k
	}
	return e.hashedStoreKey(identityKey(src, id))
}

// DataHash is the default payload hash: SHA-256 over the datacontenttype
// and the data.
func DataHash(e event.Event) ([]byte, error) {
	ct := e.DataContentType()
	if n := len(ct) + 1 + len(e.DataEncoded); n <= smallPayload {
		// In one piece: cheaper than streaming for a small payload.
		var buf [smallPayload]byte
		b := append(append(append(buf[:0], ct...), 0), e.DataEncoded...)
		sum := sha256.Sum256(b)
		return append(make([]byte, 0, sha256.Size), sum[:]...), nil
	}
	h := hashers.Get().(*hasher)
	defer hashers.Put(h)
	h.h.Reset()
	h.b = append(append(h.b[:0], ct...), 0)
	h.h.Write(h.b)
	h.h.Write(e.DataEncoded)
	return h.h.Sum(make([]byte, 0, sha256.Size)), nil
}

// smallPayload is the largest datacontenttype and data that DataHash
// copies to hash in one piece.
const smallPayload = 512

// hasher is a reusable SHA-256 with room for the datacontenttype, which
// hash.Hash.Write needs as a []byte.
type hasher struct {
	h hash.Hash
	b []byte
}

var hashers = sync.Pool{New: func() any { return &hasher{h: sha256.New(), b: make([]byte, 0, 64)} }}

// sourceCache remembers the string of the last source it was asked for:
// a function's events and replies mostly share a few sources, and
// building the string (url.URL.String) costs an allocation each time.
type sourceCache struct{ last atomic.Pointer[sourceString] }

type sourceString struct {
	u url.URL
	s string
}

// string returns u.String().
func (c *sourceCache) string(u *types.URIRef) string {
	if last := c.last.Load(); last != nil && last.u == u.URL {
		return last.s
	}
	s := u.String()
	c.last.Store(&sourceString{u: u.URL, s: s})
	return s
}

// The sources of incoming events and of replies, cached apart so that the
// two do not evict each other.
var eventSources, replySources sourceCache

// eventSource returns e.Source().
func eventSource(e event.Event) string {
	if ec, ok := e.Context.(*event.EventContextV1); ok {
		return eventSources.string(&ec.Source)
	}
	return e.Source()
}
