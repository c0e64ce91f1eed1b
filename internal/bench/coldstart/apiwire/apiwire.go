// Package apiwire wires examples/http-api's API (package orders: create,
// get, list, the default stack, idempotency) over an embedded bbolt store,
// as examples/http-api does locally, for the programs httpapi (runtime
// selection) and httpapisingle (httpserver alone) that platform.sh
// measures.
package apiwire

import (
	"cmp"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/fnkit/fnkit/examples/http-api/orders"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state/boltstore"
)

// Handler opens the bbolt file at $ORDERS_BOLT_PATH (default
// $TMPDIR/fnkit-bench-orders.db) and returns the API over it, and the
// function that closes the file.
func Handler(logger *slog.Logger) (http.Handler, func() error, error) {
	store, err := boltstore.Open(cmp.Or(os.Getenv("ORDERS_BOLT_PATH"), filepath.Join(os.TempDir(), "fnkit-bench-orders.db")))
	if err != nil {
		return nil, nil, err
	}
	svc := orders.NewService(store, time.Now, uuid.NewString)
	mw := middleware.Idempotency(store, idempotency.WithScope("orders"), idempotency.WithCache(1024), idempotency.WithPassThroughWithoutKey())
	return orders.Routes(svc, mw, logger), store.Close, nil
}
