// Command hello is the smallest complete fnkit function: the typed handler
// of package greet, behind the default middleware stack, served over HTTP
// on $PORT (default 8080).
//
//	go run ./examples/hello
//
//	curl -i localhost:8080 -H 'Content-Type: application/json' -d '{"name":"Ada"}'
package main

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/examples/hello/greet"
	"github.com/fnkit/fnkit/middleware"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := serve(context.Background(), ":"+cmp.Or(os.Getenv("PORT"), "8080"), logger); err != nil {
		logger.Error("hello", "error", err)
		os.Exit(1)
	}
}

// serve runs the function on addr until SIGTERM or SIGINT (a second one
// stops it at once), draining as httpserver.Serve documents; the drain
// delay and grace period may be set by FNKIT_DRAIN_DELAY and
// FNKIT_GRACE_PERIOD.
func serve(ctx context.Context, addr string, logger *slog.Logger) error {
	opts, err := httpserver.ServerOptionsFromEnv()
	if err != nil {
		return err
	}
	opts = append(opts, httpserver.WithServerLogger(logger))
	return httpserver.ListenAndServe(ctx, addr, newHTTPHandler(logger), opts...)
}

// newHTTPHandler is the function as an http.Handler, behind the default
// middleware stack: one log line per invocation (which takes the place of
// the server's access-log line), a span and metrics when observe or your
// own OpenTelemetry providers are set up, and the platform deadline.
func newHTTPHandler(logger *slog.Logger) http.Handler {
	h := middleware.DefaultStack(middleware.WithLogger(logger))(greet.NewHandler())
	return httpserver.New(h, httpserver.WithLogger(logger))
}
