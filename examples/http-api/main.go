// Command http-api is an HTTP API backed by the state port: create an order
// (safe to retry with an Idempotency-Key header), get it by id, and list
// orders a page at a time. The API itself is package orders (./orders);
// this file only wires it: the store, resilience, idempotency, the
// adapter and the logger.
//
//	go run ./examples/http-api
//
//	curl -i localhost:8080/orders -H 'Content-Type: application/json' \
//	  -H 'Idempotency-Key: 3f7c' -d '{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}'
//	curl -i localhost:8080/orders/<id>
//	curl -i 'localhost:8080/orders?limit=10&after=<id>'
//
// Locally it keeps state in an embedded bbolt file; ORDERS_STORE selects
// memory, redis, postgres or dynamodb instead (see storeFromEnv).
package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/examples/http-api/orders"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
	"github.com/fnkit/fnkit/state/dynamostore"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/pgstore"
	"github.com/fnkit/fnkit/state/redisstore"
	"github.com/fnkit/fnkit/state/resilient"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := mainErr(logger); err != nil {
		logger.Error("orders", "error", err)
		os.Exit(1)
	}
}

func mainErr(logger *slog.Logger) error {
	ctx := context.Background()
	store, closeStore, err := storeFromEnv(ctx, os.Getenv)
	if err != nil {
		return err
	}
	defer closeStore()
	// The same API behind API Gateway, ALB or a Function URL on Lambda,
	// Azure Functions, Cloud Functions HTTP, Knative / Cloud Run, or locally on $PORT
	// (default 8080), chosen from the environment. Locally and on Knative
	// it drains on SIGTERM (a second signal stops at once).
	h := newHTTPHandler(store, logger)
	return platform.RunHTTP(ctx, h, platform.WithLogger(logger),
		// On Azure Functions (a custom handler with HTTP forwarding, as
		// deploy/azure/host.json says), one HTTP function takes every path.
		platform.WithAzureFunctions(AzureFunction(h)))
}

// AzureFunction is the API as the HTTP function of an Azure Functions app:
// every path under Azure's /api prefix, anonymous, the client's request
// forwarded (host.json enableForwardingHttpRequest), the prefix stripped
// so the routes stay /orders/….
func AzureFunction(h http.Handler) azurefunctions.Function {
	return azurefunctions.HTTP("orders", http.StripPrefix("/api", h), azurefunctions.WithRoute("{*path}"), azurefunctions.WithAuthLevel("anonymous"))
}

// run serves the API on ln until ctx is done.
func run(ctx context.Context, ln net.Listener, store state.Store, logger *slog.Logger, opts ...httpserver.ServerOption) error {
	opts = append([]httpserver.ServerOption{httpserver.WithServerLogger(logger)}, opts...)
	return httpserver.Serve(ctx, ln, newHTTPHandler(store, logger), opts...)
}

// newHTTPHandler is the API as an http.Handler, the same behind any
// adapter that serves HTTP.
func newHTTPHandler(store state.Store, logger *slog.Logger) http.Handler {
	// A slow or dead store fails fast with a retryable error (answered
	// 500, so clients retry) instead of hanging requests.
	store = resilient.New(store, resilient.WithTimeout(2*time.Second), resilient.WithCircuitBreaker(5, 10*time.Second))
	svc := orders.NewService(store, time.Now, uuid.NewString)
	// A retried POST with the same Idempotency-Key header (the event id in
	// plain mode) creates one order and gets the same answer, even when the
	// retries arrive while the first is still running (they wait for it). A
	// POST without the header is a new order each time.
	mw := middleware.Idempotency(store, idempotency.WithScope("orders"), idempotency.WithCache(1024),
		idempotency.WithPassThroughWithoutKey())
	return orders.Routes(svc, mw, logger)
}

// storeFromEnv opens the store ORDERS_STORE names:
//
//	bolt (default)  an embedded file, ORDERS_BOLT_PATH (default
//	                $TMPDIR/fnkit-orders.db)
//	memory          in memory, lost on exit
//	redis           REDIS_ADDR (default 127.0.0.1:6379)
//	postgres        DATABASE_URL (a pgx connection string); the table is
//	                created if missing
//	dynamodb        DYNAMODB_TABLE (default fnkit-orders), with the AWS
//	                SDK's usual configuration (AWS_REGION, credentials,
//	                AWS_ENDPOINT_URL_DYNAMODB); the table is created if
//	                missing
//
// The returned function releases the store.
func storeFromEnv(ctx context.Context, getenv func(string) string) (state.Store, func() error, error) {
	noop := func() error { return nil }
	switch kind := cmp.Or(getenv("ORDERS_STORE"), "bolt"); kind {
	case "bolt":
		path := cmp.Or(getenv("ORDERS_BOLT_PATH"), filepath.Join(os.TempDir(), "fnkit-orders.db"))
		s, err := boltstore.Open(path, boltstore.WithSweepInterval(time.Minute))
		if err != nil {
			return nil, nil, fmt.Errorf("orders: opening %s: %w", path, err)
		}
		return s, s.Close, nil
	case "memory":
		return memstore.New(), noop, nil
	case "redis":
		c := redis.NewClient(&redis.Options{Addr: cmp.Or(getenv("REDIS_ADDR"), "127.0.0.1:6379")})
		if err := c.Ping(ctx).Err(); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("orders: redis: %w", err)
		}
		return redisstore.New(c, redisstore.WithPrefix("orders:")), c.Close, nil
	case "postgres":
		pool, err := pgxpool.New(ctx, getenv("DATABASE_URL"))
		if err != nil {
			return nil, nil, fmt.Errorf("orders: postgres: %w", err)
		}
		s := pgstore.New(pool, pgstore.WithTable("orders_state"))
		if err := s.CreateTable(ctx); err != nil {
			pool.Close()
			return nil, nil, err
		}
		return s, func() error { pool.Close(); return nil }, nil
	case "dynamodb":
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("orders: aws config: %w", err)
		}
		s := dynamostore.New(dynamodb.NewFromConfig(cfg), cmp.Or(getenv("DYNAMODB_TABLE"), "fnkit-orders"))
		if err := s.CreateTable(ctx); err != nil {
			return nil, nil, err
		}
		return s, noop, nil
	default:
		return nil, nil, fmt.Errorf("orders: unknown ORDERS_STORE %q (want bolt, memory, redis, postgres or dynamodb)", kind)
	}
}
