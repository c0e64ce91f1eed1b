// Package idempotency makes a handler run at most once per idempotency key
// under any number of duplicate deliveries — the guarantee at-least-once
// platforms (SQS, Pub/Sub, EventBridge, Knative) leave to their users — and
// answers duplicates with the stored reply.
//
// The key is by default the event's CloudEvents identity (source and id),
// or what a KeyFunc finds in the event or its data. The Engine keeps one
// record per key in a state.Store (any implementation: memory, bbolt,
// Redis, DynamoDB, PostgreSQL):
//
//   - A delivery first claims the key with state.Store.Create: an
//     in-progress record whose TTL is the lease, bounded by the
//     invocation's deadline. Of concurrent deliveries exactly one claims
//     it; the others find the record in the same round trip.
//   - The claimer runs the handler, then turns its record into a completed
//     one holding the reply, with CompareAndSwap on the claim's version,
//     kept for the expiry (one hour by default). A new key costs two store
//     calls; a duplicate one (none when the in-process cache has it).
//   - A duplicate of a completed key gets the stored reply without running
//     the handler; a duplicate whose payload differs gets
//     ErrPayloadMismatch (invalid input).
//   - A duplicate while the key is in progress waits for the first
//     delivery's outcome, polling the record (WithWait, WithPollInterval),
//     never past its own deadline: it gets the stored reply when the first
//     completes, or claims the key and runs if the first failed. If the
//     wait ends first, it gets ErrInProgress (class throttled, RetryAfter
//     the poll interval). A synchronous caller (handler.Invocation.Sync:
//     an HTTP client waiting for the answer) waits DefaultWait by
//     default; a queue delivery fails fast by default, since the platform
//     redelivers it later and a waiting worker only holds a slot.
//   - If the handler fails, its lease is released so that a retry runs
//     (unless WithKeepLeaseOnError). Failures are not stored: only
//     successes are replayed.
//   - If the holder crashes, its record expires with the lease and the
//     next delivery runs. Should the original finish after that, its
//     completion is refused (ErrLeaseLost) — the version it claimed is gone
//     — and it cannot overwrite the newer record.
//   - If the store fails, the handler does not run: the delivery fails with
//     a retryable error, and the platform delivers it again later. If it
//     fails only when the record is completed, the handler has run: its
//     reply is returned, and the key stays in progress until its lease
//     ends (after which a new delivery runs again). Bound store calls with
//     state/resilient so that a hung store cannot hold an invocation.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/http-api],
// [github.com/fnkit/fnkit/examples/queue-worker],
// [github.com/fnkit/fnkit/examples/saga].
package idempotency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
)

// Errors, matched with errors.Is.
var (
	// ErrInProgress: another delivery of the key was still running when
	// this one stopped waiting for it. Retryable (class throttled, with
	// RetryAfter).
	ErrInProgress = errors.New("idempotency: another delivery of this key is in progress")
	// ErrPayloadMismatch: the key was used before with another payload.
	// Invalid input.
	ErrPayloadMismatch = errors.New("idempotency: key reused with a different payload")
	// ErrMissingKey: the event has no idempotency key. Invalid input.
	ErrMissingKey = errors.New("idempotency: missing idempotency key")
	// ErrLeaseLost: the handler finished after its lease ended and another
	// delivery took the key over; its result was discarded. Retryable: a
	// retry gets the other delivery's reply.
	ErrLeaseLost = errors.New("idempotency: lease lost before completion")
)

// Engine runs handlers idempotently over a state.Store. Make it with New;
// it is safe for concurrent use.
type Engine struct {
	store  state.Store
	cfg    config
	cache  *cache
	prefix string // of every state key: "idem/" + scope + "/"
}

// New returns an Engine keeping its records in store.
func New(store state.Store, opts ...Option) *Engine {
	if store == nil {
		panic("idempotency: New(nil)")
	}
	e := &Engine{store: store, cfg: config{
		expiry: DefaultExpiry, minLease: DefaultMinLease, maxLease: DefaultMaxLease,
		hash: DataHash, now: time.Now, poll: DefaultPollInterval,
	}}
	for _, o := range opts {
		o(&e.cfg)
	}
	if e.cfg.cacheSize > 0 {
		e.cache = newCache(e.cfg.cacheSize)
	}
	e.prefix = "idem/" + e.cfg.scope + "/"
	return e
}

// Middleware returns the Engine as a handler.Middleware (Wrap).
func (e *Engine) Middleware() handler.Middleware { return e.Wrap }

// Wrap returns h made idempotent.
func (e *Engine) Wrap(h handler.Handler) handler.Handler {
	return handler.Func(func(ctx context.Context, ev event.Event) (*event.Event, error) {
		return e.handle(ctx, h, ev)
	})
}

func (e *Engine) handle(ctx context.Context, h handler.Handler, ev event.Event) (*event.Event, error) {
	skey, err := e.stateKey(ctx, ev)
	if err != nil {
		return nil, err
	}
	if skey == "" {
		if e.cfg.passThrough {
			return handler.Call(ctx, h, ev)
		}
		return nil, missingKey(ctx)
	}
	hash, err := e.cfg.hash(ev)
	if err != nil {
		return nil, fmt.Errorf("idempotency: hashing the payload: %w", err)
	}
	hash = normHash(hash)

	if e.cache != nil {
		if c, ok := e.cache.get(skey, e.cfg.now()); ok {
			if !bytes.Equal(c.hash, hash) {
				return nil, mismatch()
			}
			return cloneReply(c.reply), nil // the cached one must stay intact
		}
	}

	buf := getRecordBuf() // the claim's, then the completed record's
	defer putRecordBuf(buf)
	claim, err := appendRecord(buf.b[:0], statusInProgress, hash, nil)
	if err != nil {
		return nil, err
	}
	buf.b = claim
	var item state.Item
	var until time.Time // when an in-progress duplicate stops waiting
	for {
		item, err = e.store.Create(ctx, skey, claim, e.lease(ctx))
		switch {
		case errors.Is(err, state.ErrAlreadyExists):
			if until.IsZero() {
				until = e.waitUntil(ctx)
			}
			reply, err, released := e.duplicate(ctx, skey, hash, item, until)
			if released {
				continue // the first delivery failed: this one runs
			}
			return reply, err
		case errors.Is(err, state.ErrInvalidKey):
			return nil, handler.InvalidInput(fmt.Errorf("idempotency: key: %w", err))
		case err != nil:
			return nil, handler.Retryable(fmt.Errorf("idempotency: claiming the key: %w", err))
		}
		break
	}

	reply, herr := handler.Call(ctx, h, ev)
	// The outcome is recorded even if the caller has gone: the side
	// effects happened.
	// (Bound store calls with state/resilient if the store may hang.)
	wctx := context.WithoutCancel(ctx)
	if herr != nil {
		if !e.cfg.keepLease {
			_ = e.store.Delete(wctx, skey, item.Version) // best effort: else the lease ends on its own
		}
		return nil, herr
	}
	done, err := appendRecord(buf.b[:0], statusCompleted, hash, reply)
	if err != nil {
		return nil, err
	}
	buf.b = done
	_, err = e.store.CompareAndSwap(wctx, skey, item.Version, done, e.cfg.expiry)
	switch {
	case errors.Is(err, state.ErrVersionConflict), errors.Is(err, state.ErrNotFound):
		return nil, handler.Retryable(ErrLeaseLost)
	case err != nil:
		// The handler succeeded but its record could not be completed: the
		// reply is still the right answer for this delivery. A duplicate
		// gets ErrInProgress until the lease ends, then runs again.
		return reply, nil
	}
	if e.cache != nil {
		e.cache.put(cached{key: skey, hash: hash, reply: cloneReply(reply), expires: e.cfg.now().Add(e.cfg.expiry)})
	}
	return reply, nil
}

// stateKey returns the state key of ev, or "" if it has no idempotency key.
func (e *Engine) stateKey(ctx context.Context, ev event.Event) (string, error) {
	if e.cfg.key == nil { // EventIdentity, without building its key apart
		src, id := identity(ctx, ev)
		if src == "" {
			return "", nil
		}
		return e.identityStoreKey(src, id), nil
	}
	key, err := e.cfg.key(ctx, ev)
	if err != nil {
		if handler.ClassOf(err) == handler.ClassRetryable {
			var classified *handler.Error
			if !errors.As(err, &classified) {
				err = handler.InvalidInput(fmt.Errorf("idempotency: finding the key: %w", err))
			}
		}
		return "", err
	}
	if key == "" {
		return "", nil
	}
	return e.storeKey(key), nil
}

// duplicate answers a delivery whose key has a record: with the stored
// reply once the record is completed, polling it while it is in progress
// until until (zero: no wait). It reports released if the record vanished
// meanwhile (the first delivery failed), so that this one claims the key.
func (e *Engine) duplicate(ctx context.Context, skey string, hash []byte, item state.Item, until time.Time) (*event.Event, error, bool) {
	delay := firstPoll
	for {
		rec, err := decodeRecord(item.Value)
		if err != nil {
			return nil, fmt.Errorf("idempotency: record of %q: %w", skey, err), false
		}
		if !bytes.Equal(rec.hash, hash) {
			return nil, mismatch(), false
		}
		if rec.status != statusInProgress {
			if e.cache != nil {
				expires := item.ExpiresAt
				if expires.IsZero() {
					expires = e.cfg.now().Add(e.cfg.expiry)
				}
				e.cache.put(cached{key: skey, hash: rec.hash, reply: cloneReply(rec.reply), expires: expires})
			}
			return rec.reply, nil, false // freshly decoded: the caller's to keep
		}
		delay = min(delay, e.cfg.poll)
		if until.IsZero() || time.Now().Add(delay).After(until) {
			return nil, e.inProgress(), false
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, e.inProgress(), false
		case <-t.C:
		}
		delay *= 2
		item, err = e.store.Get(ctx, skey)
		switch {
		case errors.Is(err, state.ErrNotFound):
			return nil, nil, true
		case err != nil:
			return nil, handler.Retryable(fmt.Errorf("idempotency: waiting for the key: %w", err)), false
		}
	}
}

// firstPoll is the first wait of an in-progress duplicate; each poll
// doubles it, up to the poll interval.
const firstPoll = 5 * time.Millisecond

// waitUntil is when an in-progress duplicate stops waiting: after the
// configured wait (by default DefaultWait for a synchronous caller, none
// for the others), and never past the invocation's deadline.
func (e *Engine) waitUntil(ctx context.Context) time.Time {
	wait := e.cfg.wait
	inv, found := handler.InvocationFrom(ctx)
	if !e.cfg.waitSet {
		wait = 0
		if found && inv.Sync {
			wait = DefaultWait
		}
	}
	if wait <= 0 {
		return time.Time{}
	}
	until := time.Now().Add(wait)
	deadline, ok := ctx.Deadline()
	if !ok && found && !inv.Deadline.IsZero() {
		deadline, ok = inv.Deadline, true
	}
	if ok && deadline.Before(until) {
		until = deadline
	}
	return until
}

// inProgress is the answer of a duplicate that stopped waiting.
func (e *Engine) inProgress() error {
	return &handler.Error{Class: handler.ClassThrottled, Err: ErrInProgress, RetryAfter: e.cfg.poll,
		Detail: "another delivery with this idempotency key is in progress; retry shortly for its answer"}
}

// missingKey is the answer to an event without a key.
func missingKey(ctx context.Context) error {
	detail := "the event has no idempotency key"
	if inv, ok := handler.InvocationFrom(ctx); ok && inv.IDGenerated {
		detail = "the request has no idempotency key"
		if inv.Sync {
			detail = "missing Idempotency-Key header: send one so that a retried request does not run twice"
		}
	}
	return &handler.Error{Class: handler.ClassInvalidInput, Err: ErrMissingKey, Detail: detail}
}

func mismatch() error {
	return &handler.Error{Class: handler.ClassInvalidInput, Err: ErrPayloadMismatch,
		Detail: "this idempotency key was already used with a different payload"}
}

func cloneReply(r *event.Event) *event.Event {
	if r == nil {
		return nil
	}
	c := r.Clone()
	return &c
}

// lease is how long a claim holds: until the invocation's deadline, within
// the configured bounds.
func (e *Engine) lease(ctx context.Context) time.Duration {
	d := e.cfg.maxLease
	deadline, ok := ctx.Deadline()
	if !ok {
		if inv, found := handler.InvocationFrom(ctx); found && !inv.Deadline.IsZero() {
			deadline, ok = inv.Deadline, true
		}
	}
	if ok {
		if left := deadline.Sub(e.cfg.now()); left < d {
			d = left
		}
	}
	if d < e.cfg.minLease {
		d = e.cfg.minLease
	}
	return d
}
