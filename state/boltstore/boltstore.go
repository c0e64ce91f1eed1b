// Package boltstore is an embedded, file-backed state.Store on bbolt
// (go.etcd.io/bbolt): the default store for local runs, and a fit for a
// single process that wants its state to survive restarts without a
// server.
//
// One process at a time may open a file: Open takes an exclusive file
// lock and waits for it at most the WithTimeout duration. Within the
// process the Store is safe for concurrent use; writes are serialised and
// each one is durable (fsync) before it returns.
//
// Versions come from a sequence kept in the file, so they never repeat
// for the life of the file, across deletes, re-creates and restarts.
//
// An item with a ttl behaves as absent once it expires. Reads skip expired
// items, writes to their key replace them and Delete(AnyVersion) removes
// them, but an expired item whose key is never touched again stays in the
// file until Sweep deletes it: call Sweep from time to time (at startup,
// from a timer) in a process that writes many keys with a ttl, or let the
// Store do it with WithSweepInterval.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/fnkit/fnkit/state"
)

// Option configures Open.
type Option func(*config)

type config struct {
	now        func() time.Time
	bucket     string
	timeout    time.Duration
	sweepEvery time.Duration
}

// DefaultBucket is the bbolt bucket items live in unless WithBucket says
// otherwise.
const DefaultBucket = "fnkit-state"

// DefaultTimeout is how long Open waits for the file lock unless
// WithTimeout says otherwise.
const DefaultTimeout = time.Second

// WithClock sets the clock that decides expiry and Item.ExpiresAt; the
// default is time.Now. Tests move a fake clock instead of sleeping.
//
// It panics if now is nil.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("boltstore: WithClock(nil)")
	}
	return func(c *config) { c.now = now }
}

// WithBucket sets the bbolt bucket the Store keeps its items in, so that
// several stores can share one file (one at a time) or the file can hold
// other buckets too. The default is DefaultBucket.
//
// It panics if name is empty.
func WithBucket(name string) Option {
	if name == "" {
		panic("boltstore: WithBucket(\"\")")
	}
	return func(c *config) { c.bucket = name }
}

// WithTimeout sets how long Open waits for the file lock another process
// (or another Store of this process) holds; the default is DefaultTimeout.
// Zero waits forever.
//
// It panics if d is negative.
func WithTimeout(d time.Duration) Option {
	if d < 0 {
		panic("boltstore: negative WithTimeout")
	}
	return func(c *config) { c.timeout = d }
}

// WithSweepInterval makes the Store call Sweep every d in a background
// goroutine, which Close stops. By default there is no background sweep.
//
// It panics if d is not positive.
func WithSweepInterval(d time.Duration) Option {
	if d <= 0 {
		panic("boltstore: WithSweepInterval needs a positive interval")
	}
	return func(c *config) { c.sweepEvery = d }
}

// Store is a state.Store in a bbolt file. Create one with Open and release
// it with Close.
type Store struct {
	db     *bolt.DB
	bucket []byte
	now    func() time.Time

	stopSweep func()        // stops the sweeper; nil without one
	swept     chan struct{} // closed when the sweeper has stopped
	closeOnce sync.Once
	closeErr  error
}

var _ state.Store = (*Store)(nil)

// Open opens or creates the bbolt file at path (mode 0600) and its bucket.
// The directory must exist. It fails if another process holds the file
// for longer than the WithTimeout duration.
func Open(path string, opts ...Option) (*Store, error) {
	c := config{now: time.Now, bucket: DefaultBucket, timeout: DefaultTimeout}
	for _, o := range opts {
		o(&c)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: c.timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("boltstore: open %s: the file is locked by another process or Store (waited %v): %w", path, c.timeout, err)
		}
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	s := &Store{db: db, bucket: []byte(c.bucket), now: c.now}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(s.bucket)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: bucket %q: %w", path, c.bucket, err)
	}
	if c.sweepEvery > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopSweep, s.swept = cancel, make(chan struct{})
		go s.sweepLoop(ctx, c.sweepEvery)
	}
	return s, nil
}

// Close stops the background sweep, if any, and closes the file. Calls
// after Close fail. Close may be called more than once; later calls return
// what the first returned.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stopSweep != nil {
			s.stopSweep()
			<-s.swept
		}
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("boltstore: close: %w", err)
		}
	})
	return s.closeErr
}

// A record is a header followed by the value:
//
//	byte  0     format (1)
//	bytes 1–8   version, big-endian
//	bytes 9–16  expiry in Unix nanoseconds, big-endian; 0: never
const (
	format1    = 1
	headerSize = 17
)

type record struct {
	version   state.Version
	expiresAt int64 // Unix ns; 0: never
	value     []byte
}

func encode(version state.Version, expiresAt time.Time, value []byte) []byte {
	b := make([]byte, headerSize+len(value))
	b[0] = format1
	binary.BigEndian.PutUint64(b[1:], uint64(version))
	if !expiresAt.IsZero() {
		ns := int64(math.MaxInt64) // beyond the year 2262: as good as never
		if expiresAt.Before(time.Unix(0, math.MaxInt64)) {
			ns = expiresAt.UnixNano()
		}
		binary.BigEndian.PutUint64(b[9:], uint64(ns))
	}
	copy(b[headerSize:], value)
	return b
}

// ErrCorrupt reports a record in the bucket that this package did not
// write (or cannot read). Put and Delete(AnyVersion) replace it.
var ErrCorrupt = errors.New("boltstore: corrupt record")

// decode parses a record; its value aliases b.
func decode(b []byte) (record, error) {
	if len(b) < headerSize || b[0] != format1 {
		return record{}, ErrCorrupt
	}
	return record{
		version:   state.Version(binary.BigEndian.Uint64(b[1:])),
		expiresAt: int64(binary.BigEndian.Uint64(b[9:])),
		value:     b[headerSize:],
	}, nil
}

func (r record) expired(now time.Time) bool {
	return r.expiresAt != 0 && now.UnixNano() >= r.expiresAt
}

// item copies r out of the transaction.
func (r record) item() state.Item {
	it := state.Item{Value: bytes.Clone(r.value), Version: r.version}
	if it.Value == nil {
		it.Value = []byte{}
	}
	if r.expiresAt != 0 {
		it.ExpiresAt = time.Unix(0, r.expiresAt)
	}
	return it
}

// live returns the live record at key in b, if any.
func (s *Store) live(b *bolt.Bucket, key []byte, now time.Time) (record, bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return record{}, false, nil
	}
	r, err := decode(raw)
	if err != nil {
		return record{}, false, err
	}
	if r.expired(now) {
		return record{}, false, nil
	}
	return r, true, nil
}

// write stores value at key in b with a new version from the bucket's
// sequence, and returns the record.
func write(b *bolt.Bucket, key []byte, value []byte, ttl time.Duration, now time.Time) (record, error) {
	seq, err := b.NextSequence()
	if err != nil {
		return record{}, err
	}
	if seq > 1<<63-1 {
		return record{}, errors.New("versions exhausted")
	}
	exp := state.ExpiresAt(now, ttl)
	raw := encode(state.Version(seq), exp, value)
	if err := b.Put(key, raw); err != nil {
		return record{}, err
	}
	r, _ := decode(raw)
	return r, nil
}

func check(ctx context.Context, key string, ttl time.Duration) error {
	if err := state.CheckArgs(ctx, key, ttl); err != nil {
		return fmt.Errorf("boltstore: %w", err)
	}
	return nil
}

// update runs fn in a write transaction and wraps its error. fn returns
// the operation's outcome (a state sentinel, or nil) separately from
// infrastructure errors, so that a failed condition rolls back for free.
func (s *Store) update(ctx context.Context, op, key string, fn func(b *bolt.Bucket, now time.Time) error) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		// The write lock may have taken a while: look at ctx again.
		if err := ctx.Err(); err != nil {
			return err
		}
		b := tx.Bucket(s.bucket)
		if b == nil {
			return fmt.Errorf("bucket %q is missing", s.bucket)
		}
		return fn(b, s.now())
	})
	if err != nil {
		return fmt.Errorf("boltstore: %s %q: %w", op, key, err)
	}
	return nil
}

// Get returns the live item at key, or an error wrapping state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := check(ctx, key, 0); err != nil {
		return state.Item{}, fmt.Errorf("boltstore: get: %w", err)
	}
	var it state.Item
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(s.bucket)
		if b == nil {
			return fmt.Errorf("bucket %q is missing", s.bucket)
		}
		r, ok, err := s.live(b, []byte(key), s.now())
		if err != nil {
			return err
		}
		if !ok {
			return state.ErrNotFound
		}
		it = r.item()
		return nil
	})
	if err != nil {
		return state.Item{}, fmt.Errorf("boltstore: get %q: %w", key, err)
	}
	return it, nil
}

// Create stores value at key unless a live item has the key, in which
// case it returns that item and an error wrapping state.ErrAlreadyExists.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := check(ctx, key, ttl); err != nil {
		return state.Item{}, fmt.Errorf("boltstore: create: %w", err)
	}
	var it state.Item
	err := s.update(ctx, "create", key, func(b *bolt.Bucket, now time.Time) error {
		k := []byte(key)
		cur, ok, err := s.live(b, k, now)
		if err != nil {
			return err
		}
		if ok {
			it = cur.item()
			return state.ErrAlreadyExists
		}
		r, err := write(b, k, value, ttl, now)
		if err != nil {
			return err
		}
		it = r.item()
		return nil
	})
	if err != nil && !errors.Is(err, state.ErrAlreadyExists) {
		return state.Item{}, err
	}
	return it, err
}

// Put stores value at key whatever is there and returns the new version.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, fmt.Errorf("boltstore: put: %w", err)
	}
	var v state.Version
	err := s.update(ctx, "put", key, func(b *bolt.Bucket, now time.Time) error {
		r, err := write(b, []byte(key), value, ttl, now)
		v = r.version
		return err
	})
	if err != nil {
		return 0, err
	}
	return v, nil
}

// CompareAndSwap replaces the live item at key if its version is old. It
// returns an error wrapping state.ErrNotFound if there is none and
// state.ErrVersionConflict if its version differs.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, fmt.Errorf("boltstore: compare-and-swap: %w", err)
	}
	var v state.Version
	err := s.update(ctx, "compare-and-swap", key, func(b *bolt.Bucket, now time.Time) error {
		k := []byte(key)
		cur, ok, err := s.live(b, k, now)
		switch {
		case err != nil:
			return err
		case !ok:
			return state.ErrNotFound
		case cur.version != old:
			return state.ErrVersionConflict
		}
		r, err := write(b, k, value, ttl, now)
		v = r.version
		return err
	})
	if err != nil {
		return 0, err
	}
	return v, nil
}

// Delete removes the item at key: unconditionally with state.AnyVersion
// (expired or not), otherwise only if it is live with that version (errors
// wrapping state.ErrNotFound and state.ErrVersionConflict otherwise).
func (s *Store) Delete(ctx context.Context, key string, version state.Version) error {
	if err := check(ctx, key, 0); err != nil {
		return fmt.Errorf("boltstore: delete: %w", err)
	}
	err := s.update(ctx, "delete", key, func(b *bolt.Bucket, now time.Time) error {
		k := []byte(key)
		if version != state.AnyVersion {
			cur, ok, err := s.live(b, k, now)
			switch {
			case err != nil:
				return err
			case !ok:
				return state.ErrNotFound
			case cur.version != version:
				return state.ErrVersionConflict
			}
		} else if b.Get(k) == nil {
			return errNothing // roll back: no write, no fsync
		}
		return b.Delete(k)
	})
	if errors.Is(err, errNothing) {
		return nil
	}
	return err
}

// errNothing makes a write transaction that changed nothing roll back.
var errNothing = errors.New("nothing to do")

// sweepBatch bounds how many keys one Sweep transaction scans.
const sweepBatch = 10_000

// Sweep deletes the expired items and returns how many it deleted. It
// scans the bucket in read transactions of a bounded size and deletes
// what it found expired in short write transactions, so other calls
// interleave with it. It stops early with an error wrapping ctx.Err() if
// ctx is done (what it deleted stays deleted).
//
// Expired items are invisible whether or not Sweep runs; it only reclaims
// their space (bbolt reuses freed pages; the file does not shrink).
func (s *Store) Sweep(ctx context.Context) (int, error) {
	var (
		deleted int
		after   []byte // the last key scanned
	)
	for {
		if err := ctx.Err(); err != nil {
			return deleted, fmt.Errorf("boltstore: sweep: %w", err)
		}
		var expired [][]byte
		done := false
		err := s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(s.bucket)
			if b == nil {
				return fmt.Errorf("bucket %q is missing", s.bucket)
			}
			now := s.now()
			c := b.Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
			for n := 0; n < sweepBatch && k != nil; n++ {
				if r, err := decode(v); err == nil && r.expired(now) {
					expired = append(expired, bytes.Clone(k))
				}
				after = bytes.Clone(k)
				k, v = c.Next()
			}
			done = k == nil
			return nil
		})
		if err == nil && len(expired) > 0 {
			var n int
			err = s.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(s.bucket)
				if b == nil {
					return fmt.Errorf("bucket %q is missing", s.bucket)
				}
				now := s.now()
				for _, k := range expired {
					// Written again since the scan? Then it stays.
					if r, err := decode(b.Get(k)); err != nil || !r.expired(now) {
						continue
					}
					if err := b.Delete(k); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			if err == nil {
				deleted += n
			}
		}
		if err != nil {
			return deleted, fmt.Errorf("boltstore: sweep: %w", err)
		}
		if done {
			return deleted, nil
		}
	}
}

func (s *Store) sweepLoop(ctx context.Context, every time.Duration) {
	defer close(s.swept)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// An error here is a closed or broken file; the next call
			// of a method reports it to someone who can act on it.
			_, _ = s.Sweep(ctx)
		}
	}
}
