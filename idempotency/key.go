package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"strconv"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
)

// EventIdentity is the default KeyFunc: the event's source and id, which
// the CloudEvents spec says identify an event.
func EventIdentity(ctx context.Context, e event.Event) (string, error) {
	src, id := e.Source(), e.ID()
	if src == "" || id == "" {
		return "", nil
	}
	if inv, ok := handler.InvocationFrom(ctx); ok && inv.IDGenerated {
		return "", nil // made up by the adapter: no key the sender can repeat
	}
	// Length-prefixed, so that no two (source, id) pairs share a key.
	return strconv.Itoa(len(src)) + ":" + src + id, nil
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
	k := "idem/" + e.cfg.scope + "/" + key
	if len(k) <= state.MaxKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(key))
	return "idem/" + e.cfg.scope + "/sha256:" + hex.EncodeToString(sum[:])
}

// DataHash is the default payload hash: SHA-256 over the datacontenttype
// and the data.
func DataHash(e event.Event) ([]byte, error) {
	h := hashers.Get().(hash.Hash)
	defer hashers.Put(h)
	h.Reset()
	h.Write([]byte(e.DataContentType()))
	h.Write([]byte{0})
	h.Write(e.DataEncoded)
	return h.Sum(make([]byte, 0, sha256.Size)), nil
}

var hashers = sync.Pool{New: func() any { return sha256.New() }}
