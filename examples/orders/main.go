package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
	"github.com/fnkit/fnkit/state/memstore"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := mainErr(logger); err != nil {
		logger.Error("orders", "error", err)
		os.Exit(1)
	}
}

func mainErr(logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	store, closeStore, err := storeFromEnv(ctx, os.Getenv)
	if err != nil {
		return err
	}
	defer closeStore()
	ln, err := net.Listen("tcp", ":"+cmp.Or(os.Getenv("PORT"), "8080"))
	if err != nil {
		return err
	}
	return run(ctx, ln, store, logger)
}

// run serves the API on ln until ctx is done.
func run(ctx context.Context, ln net.Listener, store state.Store, logger *slog.Logger) error {
	svc := NewService(store, time.Now, uuid.NewString)
	mw := handler.Chain()
	return httpserver.Serve(ctx, ln, routes(svc, mw, logger), httpserver.WithServerLogger(logger))
}

// storeFromEnv opens the store ORDERS_STORE names:
//
//	bolt (default)  an embedded file, ORDERS_BOLT_PATH (default
//	                $TMPDIR/fnkit-orders.db)
//	memory          in memory, lost on exit
//
// The returned function releases the store.
func storeFromEnv(ctx context.Context, getenv func(string) string) (state.Store, func() error, error) {
	switch kind := cmp.Or(getenv("ORDERS_STORE"), "bolt"); kind {
	case "bolt":
		path := cmp.Or(getenv("ORDERS_BOLT_PATH"), filepath.Join(os.TempDir(), "fnkit-orders.db"))
		s, err := boltstore.Open(path, boltstore.WithSweepInterval(time.Minute))
		if err != nil {
			return nil, nil, fmt.Errorf("orders: opening %s: %w", path, err)
		}
		return s, s.Close, nil
	case "memory":
		return memstore.New(), func() error { return nil }, nil
	default:
		return nil, nil, fmt.Errorf("orders: unknown ORDERS_STORE %q (want bolt, memory, redis, postgres or dynamodb)", kind)
	}
}
