// Package pgstore is a state.Store on PostgreSQL, through pgx.
//
// Items live in one table (see CreateTable): a bytea key, the value, a
// bigint version and a nullable expires_at. Every operation is a single
// SQL statement, so it is atomic and one round trip in the common case.
// Expiry uses the database clock (now()) throughout: an item whose
// expires_at has passed is never returned and is overwritten by Create as
// if absent; Sweep deletes such rows. Versions are random
// (state.NewVersion), so a key deleted and re-created never reuses one.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fnkit/fnkit/state"
)

// DefaultTable is the table name unless WithTable says otherwise.
const DefaultTable = "fnkit_state"

// Option configures New.
type Option func(*config)

type config struct {
	table string
}

// WithTable sets the table name (it is quoted as an identifier); the
// default is DefaultTable.
func WithTable(name string) Option {
	if name == "" {
		panic("pgstore: WithTable(\"\")")
	}
	return func(c *config) { c.table = name }
}

// Store is a state.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	table string
	q     queries
}

var _ state.Store = (*Store)(nil)

type queries struct {
	get, create, put, cas, del, delAny, sweep string
}

// New returns a Store on pool, which the caller owns (and closes). Call
// CreateTable once before use. It panics if pool is nil.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	if pool == nil {
		panic("pgstore: New(nil)")
	}
	c := config{table: DefaultTable}
	for _, o := range opts {
		o(&c)
	}
	s := &Store{pool: pool, table: c.table}
	t := pgx.Identifier{s.table}.Sanitize()
	const live = `(expires_at IS NULL OR expires_at > now())`
	const expiry = `CASE WHEN $4::bigint > 0 THEN now() + $4::bigint * interval '1 microsecond' END`
	s.q = queries{
		get: `SELECT value, version, expires_at FROM ` + t + ` WHERE key = $1 AND ` + live,
		create: `WITH ins AS (
	INSERT INTO ` + t + ` AS cur (key, value, version, expires_at) VALUES ($1, $2, $3, ` + expiry + `)
	ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, expires_at = EXCLUDED.expires_at
	WHERE cur.expires_at IS NOT NULL AND cur.expires_at <= now()
	RETURNING version, expires_at)
SELECT true, version, expires_at, NULL::bytea FROM ins
UNION ALL
SELECT false, version, expires_at, value FROM ` + t + ` WHERE key = $1 AND ` + live + ` AND NOT EXISTS (SELECT 1 FROM ins)`,
		put: `INSERT INTO ` + t + ` (key, value, version, expires_at) VALUES ($1, $2, $3, ` + expiry + `)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, expires_at = EXCLUDED.expires_at`,
		cas: `WITH upd AS (
	UPDATE ` + t + ` SET value = $2, version = $3, expires_at = ` + expiry + `
	WHERE key = $1 AND version = $5 AND ` + live + ` RETURNING 1)
SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM ` + t + ` WHERE key = $1 AND ` + live + `)`,
		del: `WITH d AS (DELETE FROM ` + t + ` WHERE key = $1 AND version = $2 AND ` + live + ` RETURNING 1)
SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM ` + t + ` WHERE key = $1 AND ` + live + `)`,
		delAny: `DELETE FROM ` + t + ` WHERE key = $1`,
		sweep:  `DELETE FROM ` + t + ` WHERE expires_at <= now()`,
	}
	return s
}

// CreateTable creates the table and its expiry index if they do not exist.
func (s *Store) CreateTable(ctx context.Context) error {
	t := pgx.Identifier{s.table}.Sanitize()
	idx := pgx.Identifier{s.table + "_expires_at"}.Sanitize()
	_, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+t+` (
	key bytea PRIMARY KEY,
	value bytea NOT NULL,
	version bigint NOT NULL,
	expires_at timestamptz
);
CREATE INDEX IF NOT EXISTS `+idx+` ON `+t+` (expires_at) WHERE expires_at IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("pgstore: creating table %s: %w", s.table, err)
	}
	return nil
}

// Sweep deletes expired rows and returns how many. Expired rows are
// invisible anyway; call Sweep now and then (a cron job, a timer) to
// reclaim their space.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.q.sweep)
	if err != nil {
		return 0, fmt.Errorf("pgstore: sweep: %w", err)
	}
	return tag.RowsAffected(), nil
}

func check(ctx context.Context, key string, ttl time.Duration) error {
	if err := state.CheckArgs(ctx, key, ttl); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

func wrap(op, key string, err error) error {
	return fmt.Errorf("pgstore: %s %q: %w", op, key, err)
}

// nonNil keeps a nil value from becoming SQL NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func micros(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return int64((ttl + time.Microsecond - 1) / time.Microsecond)
}

func item(value []byte, version int64, expires *time.Time) state.Item {
	it := state.Item{Value: value, Version: state.Version(version)}
	if expires != nil {
		it.ExpiresAt = *expires
	}
	return it
}

// Get returns the live item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := check(ctx, key, 0); err != nil {
		return state.Item{}, err
	}
	var (
		value   []byte
		version int64
		expires *time.Time
	)
	err := s.pool.QueryRow(ctx, s.q.get, []byte(key)).Scan(&value, &version, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Item{}, state.ErrNotFound
	}
	if err != nil {
		return state.Item{}, wrap("get", key, err)
	}
	return item(value, version, expires), nil
}

// Create stores value at key if no live item has it; otherwise it returns
// the existing item and state.ErrAlreadyExists.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := check(ctx, key, ttl); err != nil {
		return state.Item{}, err
	}
	v := state.NewVersion()
	// A row committed by another transaction after this statement's
	// snapshot blocks the insert but is invisible to its select: then no
	// row comes back, and a second attempt sees it.
	for attempt := 0; ; attempt++ {
		var (
			created bool
			version int64
			expires *time.Time
			cur     []byte
		)
		err := s.pool.QueryRow(ctx, s.q.create, []byte(key), nonNil(value), int64(v), micros(ttl)).Scan(&created, &version, &expires, &cur)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && attempt < 10:
			continue
		case err != nil:
			return state.Item{}, wrap("create", key, err)
		case created:
			return item(append([]byte(nil), value...), version, expires), nil
		}
		return item(cur, version, expires), state.ErrAlreadyExists
	}
}

// Put stores value at key whatever is there.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	v := state.NewVersion()
	if _, err := s.pool.Exec(ctx, s.q.put, []byte(key), nonNil(value), int64(v), micros(ttl)); err != nil {
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
	for attempt := 0; ; attempt++ {
		var updated, exists int64
		err := s.pool.QueryRow(ctx, s.q.cas, []byte(key), nonNil(value), int64(v), micros(ttl), int64(old)).Scan(&updated, &exists)
		if err != nil {
			return 0, wrap("compare-and-swap", key, err)
		}
		if updated == 1 {
			return v, nil
		}
		if err := s.why(ctx, "compare-and-swap", key, old, exists, attempt); err != errRetry {
			return 0, err
		}
	}
}

// Delete removes the item at key, unconditionally with state.AnyVersion.
func (s *Store) Delete(ctx context.Context, key string, version state.Version) error {
	if err := check(ctx, key, 0); err != nil {
		return err
	}
	if version == state.AnyVersion {
		if _, err := s.pool.Exec(ctx, s.q.delAny, []byte(key)); err != nil {
			return wrap("delete", key, err)
		}
		return nil
	}
	for attempt := 0; ; attempt++ {
		var deleted, exists int64
		err := s.pool.QueryRow(ctx, s.q.del, []byte(key), int64(version)).Scan(&deleted, &exists)
		if err != nil {
			return wrap("delete", key, err)
		}
		if deleted == 1 {
			return nil
		}
		if err := s.why(ctx, "delete", key, version, exists, attempt); err != errRetry {
			return err
		}
	}
}

var errRetry = errors.New("pgstore: retry")

// why explains a conditional write that changed nothing. The statement's
// own count of live rows comes from its snapshot, which may predate a
// concurrent write it waited for (a delete, say); when that count says the
// item exists, a fresh read settles it.
func (s *Store) why(ctx context.Context, op, key string, want state.Version, exists int64, attempt int) error {
	if exists == 0 {
		return state.ErrNotFound
	}
	it, err := s.Get(ctx, key)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return state.ErrNotFound
	case err != nil:
		return err
	case it.Version != want || attempt >= 10:
		return state.ErrVersionConflict
	}
	return errRetry
}
