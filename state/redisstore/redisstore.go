// Package redisstore is a state.Store on Redis, through go-redis.
//
// Each item is one Redis string: a 16-byte header (version, expiry in Unix
// milliseconds) followed by the value. Conditional writes run as Lua
// scripts, so each operation is atomic and one round trip; TTLs are native
// (PX), and Redis never returns a key past its expiry, whatever its lazy
// deletion does. Versions are random (state.NewVersion), so a key deleted
// and re-created never reuses one.
package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fnkit/fnkit/state"
)

// Option configures New.
type Option func(*config)

type config struct {
	prefix string
}

// WithPrefix puts prefix before every key, to share a database with other
// data. The default is "fnkit:".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// Store is a state.Store on Redis. It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ state.Store = (*Store)(nil)

// New returns a Store that uses client, which the caller owns (and
// closes). It panics if client is nil.
func New(client redis.UniversalClient, opts ...Option) *Store {
	if client == nil {
		panic("redisstore: New(nil)")
	}
	c := config{prefix: "fnkit:"}
	for _, o := range opts {
		o(&c)
	}
	return &Store{client: client, prefix: c.prefix}
}

const headerLen = 16

// encode lays out version, expiry and value in one string.
func encode(v state.Version, expiresAt time.Time, value []byte) []byte {
	b := make([]byte, headerLen+len(value))
	binary.BigEndian.PutUint64(b[0:8], uint64(v))
	if !expiresAt.IsZero() {
		binary.BigEndian.PutUint64(b[8:16], uint64(expiresAt.UnixMilli()))
	}
	copy(b[headerLen:], value)
	return b
}

func versionBytes(v state.Version) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return string(b[:])
}

func decode(raw string) (state.Item, error) {
	if len(raw) < headerLen {
		return state.Item{}, fmt.Errorf("redisstore: corrupt item of %d bytes", len(raw))
	}
	it := state.Item{
		Version: state.Version(binary.BigEndian.Uint64([]byte(raw[0:8]))),
		Value:   []byte(raw[headerLen:]),
	}
	if ms := binary.BigEndian.Uint64([]byte(raw[8:16])); ms != 0 {
		it.ExpiresAt = time.UnixMilli(int64(ms))
	}
	return it, nil
}

// ttlMillis rounds a positive ttl up to whole milliseconds; 0 means none.
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

// The scripts: KEYS[1] is the key; ARGV[1] the encoded item, ARGV[2] the
// ttl in ms ("0" for none), ARGV[3] the expected version bytes.
var (
	createScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return {1}`)
	casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if string.sub(cur, 1, 8) ~= ARGV[3] then return -1 end
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`)
	deleteScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if string.sub(cur, 1, 8) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return 1`)
)

func check(ctx context.Context, key string, ttl time.Duration) error {
	if err := state.CheckArgs(ctx, key, ttl); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

func wrap(op, key string, err error) error {
	return fmt.Errorf("redisstore: %s %q: %w", op, key, err)
}

// Get returns the live item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := check(ctx, key, 0); err != nil {
		return state.Item{}, err
	}
	raw, err := s.client.Get(ctx, s.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		return state.Item{}, state.ErrNotFound
	}
	if err != nil {
		return state.Item{}, wrap("get", key, err)
	}
	return decode(raw)
}

// Create stores value at key if no live item has it; otherwise it returns
// the existing item and state.ErrAlreadyExists.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := check(ctx, key, ttl); err != nil {
		return state.Item{}, err
	}
	it := state.Item{Version: state.NewVersion(), Value: append([]byte(nil), value...), ExpiresAt: state.ExpiresAt(time.Now(), ttl)}
	res, err := createScript.Run(ctx, s.client, []string{s.prefix + key}, encode(it.Version, it.ExpiresAt, value), ttlMillis(ttl)).Slice()
	if err != nil {
		return state.Item{}, wrap("create", key, err)
	}
	if len(res) == 2 {
		raw, _ := res[1].(string)
		cur, err := decode(raw)
		if err != nil {
			return state.Item{}, err
		}
		return cur, state.ErrAlreadyExists
	}
	return it, nil
}

// Put stores value at key whatever is there.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	v := state.NewVersion()
	err := s.client.Set(ctx, s.prefix+key, encode(v, state.ExpiresAt(time.Now(), ttl), value), time.Duration(ttlMillis(ttl))*time.Millisecond).Err()
	if err != nil {
		return 0, wrap("put", key, err)
	}
	return v, nil
}

// CompareAndSwap replaces the item at key if its version is old.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	v := state.NewVersion()
	n, err := casScript.Run(ctx, s.client, []string{s.prefix + key},
		encode(v, state.ExpiresAt(time.Now(), ttl), value), ttlMillis(ttl), versionBytes(old)).Int()
	if err != nil {
		return 0, wrap("compare-and-swap", key, err)
	}
	switch n {
	case 0:
		return 0, state.ErrNotFound
	case -1:
		return 0, state.ErrVersionConflict
	}
	return v, nil
}

// Delete removes the item at key, unconditionally with state.AnyVersion.
func (s *Store) Delete(ctx context.Context, key string, version state.Version) error {
	if err := check(ctx, key, 0); err != nil {
		return err
	}
	if version == state.AnyVersion {
		if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
			return wrap("delete", key, err)
		}
		return nil
	}
	n, err := deleteScript.Run(ctx, s.client, []string{s.prefix + key}, versionBytes(version)).Int()
	if err != nil {
		return wrap("delete", key, err)
	}
	switch n {
	case 0:
		return state.ErrNotFound
	case -1:
		return state.ErrVersionConflict
	}
	return nil
}
