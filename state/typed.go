package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// MaxUpdateAttempts is how many times Typed.Update tries to write before
// it gives up on a key that other writers keep changing.
const MaxUpdateAttempts = 64

// Typed is a view of a Store whose values are the JSON encodings of T.
// It adds no state of its own: it is safe for concurrent use if the Store
// is, and any number of Typed views may share a Store.
//
// Errors from the Store pass through, wrapped: check them with errors.Is
// against ErrNotFound, ErrAlreadyExists and ErrVersionConflict as usual.
// A stored value that is not valid JSON for T is reported with an error
// wrapping the encoding/json error (never ErrNotFound), and is left as it
// is.
type Typed[T any] struct {
	store Store
}

// NewTyped returns a Typed view of s.
//
// It panics if s is nil.
func NewTyped[T any](s Store) Typed[T] {
	if s == nil {
		panic("state: NewTyped(nil)")
	}
	return Typed[T]{store: s}
}

// Get returns the value at key and its version, or an error wrapping
// ErrNotFound.
func (t Typed[T]) Get(ctx context.Context, key string) (T, Version, error) {
	var zero T
	it, err := t.store.Get(ctx, key)
	if err != nil {
		return zero, 0, err
	}
	v, err := decode[T](key, it.Value)
	if err != nil {
		return zero, 0, err
	}
	return v, it.Version, nil
}

// Create stores v at key if no live item has the key and returns v and
// its version. If one has, it returns the existing value, its version and
// an error wrapping ErrAlreadyExists (if the existing value does not
// decode, the error wraps both).
func (t Typed[T]) Create(ctx context.Context, key string, v T, ttl time.Duration) (T, Version, error) {
	var zero T
	data, err := encode(key, v)
	if err != nil {
		return zero, 0, err
	}
	it, err := t.store.Create(ctx, key, data, ttl)
	if errors.Is(err, ErrAlreadyExists) {
		cur, derr := decode[T](key, it.Value)
		if derr != nil {
			return zero, it.Version, errors.Join(err, derr)
		}
		return cur, it.Version, err
	}
	if err != nil {
		return zero, 0, err
	}
	return v, it.Version, nil
}

// Put stores v at key whatever is there and returns the new version.
func (t Typed[T]) Put(ctx context.Context, key string, v T, ttl time.Duration) (Version, error) {
	data, err := encode(key, v)
	if err != nil {
		return 0, err
	}
	return t.store.Put(ctx, key, data, ttl)
}

// CompareAndSwap replaces the value at key with v if its version is old
// and returns the new version, as Store.CompareAndSwap does.
func (t Typed[T]) CompareAndSwap(ctx context.Context, key string, old Version, v T, ttl time.Duration) (Version, error) {
	data, err := encode(key, v)
	if err != nil {
		return 0, err
	}
	return t.store.CompareAndSwap(ctx, key, old, data, ttl)
}

// Delete removes the value at key, as Store.Delete does.
func (t Typed[T]) Delete(ctx context.Context, key string, version Version) error {
	return t.store.Delete(ctx, key, version)
}

// Update applies fn to the value at key and stores what fn returns, with
// ttl, retrying when another writer got there first. fn gets the current
// value and true, or the zero T and false if there is no live item; it may
// be called several times (once per attempt) and must not have side
// effects beyond computing the new value. If fn returns an error, Update
// stores nothing and returns that error as it is.
//
// Update returns the stored value and its version. It writes with Create
// when there is no item and with CompareAndSwap otherwise, so no update by
// another writer is ever lost. After MaxUpdateAttempts lost races it gives
// up with an error wrapping ErrVersionConflict; between attempts it waits
// a short random time, and it returns an error wrapping ctx.Err() as soon
// as ctx is done.
func (t Typed[T]) Update(ctx context.Context, key string, ttl time.Duration, fn func(current T, found bool) (T, error)) (T, Version, error) {
	var (
		zero    T
		cur     T
		found   bool
		version Version
		known   bool // cur, found and version are fresh: skip the Get
	)
	for attempt := 0; attempt < MaxUpdateAttempts; attempt++ {
		if !known {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return zero, 0, fmt.Errorf("state: update %q: %w", key, err)
				}
			}
			var err error
			cur, version, err = t.Get(ctx, key)
			switch {
			case err == nil:
				found = true
			case errors.Is(err, ErrNotFound):
				cur, found = zero, false
			default:
				return zero, 0, err
			}
		}
		known = false

		next, err := fn(cur, found)
		if err != nil {
			return zero, 0, err
		}
		data, err := encode(key, next)
		if err != nil {
			return zero, 0, err
		}
		if !found {
			it, err := t.store.Create(ctx, key, data, ttl)
			if err == nil {
				return next, it.Version, nil
			}
			if !errors.Is(err, ErrAlreadyExists) {
				return zero, 0, err
			}
			// Create returned the winner: go again from it at once.
			if cur, err = decode[T](key, it.Value); err != nil {
				return zero, 0, err
			}
			found, version, known = true, it.Version, true
			continue
		}
		v, err := t.store.CompareAndSwap(ctx, key, version, data, ttl)
		switch {
		case err == nil:
			return next, v, nil
		case errors.Is(err, ErrVersionConflict), errors.Is(err, ErrNotFound):
			continue // changed or gone since the Get: read it again
		default:
			return zero, 0, err
		}
	}
	return zero, 0, fmt.Errorf("state: update %q: gave up after %d attempts lost to concurrent writers: %w",
		key, MaxUpdateAttempts, ErrVersionConflict)
}

// backoff waits a random time that grows with attempt, up to 20ms, or
// until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if attempt < 2 {
		return nil // the first retry goes at once
	}
	ceiling := 50 * time.Microsecond << min(attempt, 9)
	ceiling = min(ceiling, 20*time.Millisecond)
	timer := time.NewTimer(rand.N(ceiling) + 1)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func encode[T any](key string, v T) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("state: encode %q as JSON: %w", key, err)
	}
	return data, nil
}

func decode[T any](key string, data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("state: decode %q as JSON %T: %w", key, v, err)
	}
	return v, nil
}
