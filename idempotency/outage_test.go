package idempotency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/testserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/pgstore"
	"github.com/fnkit/fnkit/state/resilient"
)

// outage stops a real store server mid-test: deliveries must fail with a
// retryable error without running the handler; after the restart the same
// deliveries run exactly once, and keys completed before the outage (on a
// durable store) are still answered from their records.
func outage(t *testing.T, srv *testserver.Server, store state.Store, durable bool) {
	t.Helper()
	if srv.External() {
		t.Skip("cannot stop an external server")
	}
	// The resilient decorator bounds each call, so a dead store fails fast.
	effects := newEffects(0)
	h := New(resilient.New(store, resilient.WithTimeout(2*time.Second)), WithScope(t.Name())).Wrap(effects)
	ctx := context.Background()

	before, err := h.Handle(ctx, ev("before", "{}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			srv.Start()
		}
	}()
	for range 3 {
		_, err := h.Handle(ctx, ev("during", "{}"))
		if err == nil || handler.ClassOf(err) != handler.ClassRetryable {
			t.Fatalf("with the store down: err %v (class %v), want a retryable error", err, handler.ClassOf(err))
		}
	}
	if n := effects.count("during"); n != 0 {
		t.Fatalf("the handler ran %d times with the store down", n)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	deadline := time.Now().Add(10 * time.Second)
	var first string
	for {
		reply, err := h.Handle(ctx, ev("during", "{}"))
		if err == nil {
			first = string(reply.Data())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // clients reconnect
	}
	reply, err := h.Handle(ctx, ev("during", "{}"))
	if err != nil || string(reply.Data()) != first || effects.count("during") != 1 {
		t.Fatalf("after restart: %v %v, runs %d", reply, err, effects.count("during"))
	}
	if durable {
		again, err := h.Handle(ctx, ev("before", "{}"))
		if err != nil || string(again.Data()) != string(before.Data()) || effects.count("before") != 1 {
			t.Fatalf("a key completed before the outage: %v %v, runs %d", again, err, effects.count("before"))
		}
	}
}

func TestRedisOutage(t *testing.T) {
	srv := testserver.Redis(t)
	outage(t, srv, redisStore(t), false) // this Redis keeps nothing across restarts
}

func TestPostgresOutage(t *testing.T) {
	srv := testserver.Postgres(t)
	p, err := pgxpool.New(context.Background(), srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	s := pgstore.New(p, pgstore.WithTable("idempotency_outage"))
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	outage(t, srv, s, true)
}

func TestStoreErrorIsRetryableAndHandlerDoesNotRun(t *testing.T) {
	broken := &failingStore{err: errors.New("connection refused")}
	effects := newEffects(0)
	_, err := New(broken).Wrap(effects).Handle(context.Background(), ev("b", "{}"))
	if handler.ClassOf(err) != handler.ClassRetryable || !errors.Is(err, broken.err) || effects.count("b") != 0 {
		t.Fatalf("err %v runs %d", err, effects.count("b"))
	}
}

type failingStore struct {
	state.Store
	err error
}

func (f *failingStore) Create(context.Context, string, []byte, time.Duration) (state.Item, error) {
	return state.Item{}, f.err
}
