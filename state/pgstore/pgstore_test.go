package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fnkit/fnkit/internal/testserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/storetest"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	srv := testserver.Postgres(tb)
	p, err := pgxpool.New(context.Background(), srv.DSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

func newStore(tb testing.TB, p *pgxpool.Pool, table string) *Store {
	tb.Helper()
	s := New(p, WithTable(table))
	if err := s.CreateTable(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	s := newStore(t, pool(t), "conformance")
	storetest.Run(t, func(t *testing.T) state.Store { return s })
}

func TestSweep(t *testing.T) {
	p := pool(t)
	s := newStore(t, p, "sweep")
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		if _, err := s.Put(ctx, k, []byte("v"), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, "keep", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	n, err := s.Sweep(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2", n, err)
	}
	var rows int
	if err := p.QueryRow(ctx, `SELECT count(*) FROM sweep`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("rows left %d (%v)", rows, err)
	}
}

func TestTableNameIsQuoted(t *testing.T) {
	s := newStore(t, pool(t), `odd "name"; drop`)
	if _, err := s.Put(context.Background(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
}

func TestServerDown(t *testing.T) {
	srv := testserver.Postgres(t)
	if srv.External() {
		t.Skip("external server")
	}
	s := newStore(t, pool(t), "down")
	ctx := context.Background()
	if _, err := s.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	defer srv.Start()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := s.Get(cctx, "k"); err == nil || errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get with the server down: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	it, err := s.Get(ctx, "k")
	if err != nil || string(it.Value) != "v" {
		t.Fatalf("after restart: %v %v", it, err)
	}
}

func TestPanicsOnWiringMistakes(t *testing.T) {
	for name, f := range map[string]func(){"nil pool": func() { New(nil) }, "empty table": func() { WithTable("") }} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, newStore(b, pool(b), "bench"))
}
