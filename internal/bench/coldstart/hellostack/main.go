// Command hellostack is examples/hello with the default middleware stack
// and observe.FromEnv (no OTLP endpoint configured), the stack's Logging
// taking over httpserver's access log, listening on 127.0.0.1:$PORT.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/examples/hello/greet"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/observe"
)

func main() {
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	tel, err := observe.FromEnv(ctx, observe.WithLogger(logger))
	if err != nil {
		logger.Error("telemetry", "error", err)
		os.Exit(1)
	}
	defer tel.Shutdown(ctx)
	h := handler.Chain(tel.FlushMiddleware(), middleware.DefaultStack(append(tel.Options(), middleware.WithLogger(logger))...))(greet.NewHandler())
	srv := httpserver.New(h, httpserver.WithLogger(logger))
	if err := httpserver.ListenAndServe(ctx, "127.0.0.1:"+os.Getenv("PORT"), srv, httpserver.WithServerLogger(logger)); err != nil {
		os.Exit(1)
	}
}
