// Package state is the state port: a small key-value store with versions
// for optimistic concurrency and per-item time to live.
//
// Handlers depend on the Store interface only; a function's main picks an
// implementation: memstore for unit tests, boltstore (embedded, file
// backed) for local runs, and redisstore, dynamostore or pgstore in
// production. Every implementation passes the conformance suite in
// state/storetest against the real server.
//
// Every write gives the item a new Version. A version is opaque: the only
// meaningful operation on it is equality. Versions are unique per write of
// a key, even across deletion and re-creation, so a stale compare-and-swap
// can never succeed against a newer item with the same key (no ABA).
//
// An item written with a positive TTL expires at write time + TTL. Expired
// items are never returned and behave exactly like absent ones, whatever
// the backend's own (often lazy) expiry does.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/http-api],
// [github.com/fnkit/fnkit/examples/scheduled-job],
// [github.com/fnkit/fnkit/examples/saga].
package state

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Errors returned by every Store, checked with errors.Is.
var (
	// ErrNotFound: no live item has the key.
	ErrNotFound = errors.New("state: not found")
	// ErrAlreadyExists: Create found a live item with the key.
	ErrAlreadyExists = errors.New("state: already exists")
	// ErrVersionConflict: the item's version is not the one expected.
	ErrVersionConflict = errors.New("state: version conflict")
	// ErrInvalidKey: the key is empty or longer than MaxKeyLen bytes.
	ErrInvalidKey = errors.New("state: invalid key")
	// ErrUnavailable: the store could not be reached in time (returned by
	// decorators such as state/resilient; the operation may be retried).
	ErrUnavailable = errors.New("state: store unavailable")
)

// MaxKeyLen is the longest key, in bytes, every Store accepts.
const MaxKeyLen = 1024

// Version identifies one write of an item. The zero Version means "any
// version" where an operation accepts one.
type Version int64

// AnyVersion makes Delete unconditional.
const AnyVersion Version = 0

// Item is a stored value with its version and expiry.
type Item struct {
	Value   []byte
	Version Version
	// ExpiresAt is when the item expires; zero if it never does.
	ExpiresAt time.Time
}

// Store is a key-value store with versions and TTL.
//
// Keys are non-empty strings of at most MaxKeyLen bytes, any bytes allowed.
// A ttl of zero means the item never expires; a negative ttl is an error.
// All methods are safe for concurrent use and honour ctx cancellation: a
// call whose ctx is already done has no effect and returns an error
// wrapping ctx.Err(). A Store keeps no reference to a value it is given,
// and the values it returns are the caller's to modify.
type Store interface {
	// Get returns the live item at key, or ErrNotFound.
	Get(ctx context.Context, key string) (Item, error)
	// Create stores value at key if no live item has the key, and returns
	// the new item (its Value is value). If a live item has the key, Create
	// returns that item and ErrAlreadyExists, in the same round trip, so
	// the caller learns what is there without a Get. Of any number of
	// concurrent Creates of one key, exactly one succeeds.
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) (Item, error)
	// Put stores value at key whatever is there, and returns the new version.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) (Version, error)
	// CompareAndSwap replaces the item at key with value if its version is
	// old, and returns the new version. It returns ErrNotFound if there is
	// no live item and ErrVersionConflict if the version differs. AnyVersion
	// is not a wildcard here: it never matches a live item.
	CompareAndSwap(ctx context.Context, key string, old Version, value []byte, ttl time.Duration) (Version, error)
	// Delete removes the item at key. With AnyVersion it is unconditional
	// and returns nil even if there is nothing to delete; with a version it
	// returns ErrNotFound if there is no live item and ErrVersionConflict if
	// the version differs.
	Delete(ctx context.Context, key string, version Version) error
}

// NewVersion returns a random positive Version, for implementations. The
// chance that two writes of one key share a version is 2⁻⁶³ per pair.
func NewVersion() Version {
	return Version(rand.Int64N(1<<63-1) + 1)
}

// ExpiresAt returns the expiry of an item written at now with ttl: zero
// for no TTL. For implementations.
func ExpiresAt(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// CheckArgs validates the arguments of a Store call, for
// implementations, before any work: it returns ctx's error if ctx is done,
// an error wrapping ErrInvalidKey for a bad key, and a plain error for a
// negative ttl. Implementations wrap it with their package name.
func CheckArgs(ctx context.Context, key string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if key == "" || len(key) > MaxKeyLen {
		return errInvalidKey(key)
	}
	if ttl < 0 {
		return errNegativeTTL
	}
	return nil
}

var errNegativeTTL = errors.New("state: negative ttl")

func errInvalidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	return fmt.Errorf("%w: key of %d bytes, longer than %d", ErrInvalidKey, len(key), MaxKeyLen)
}
