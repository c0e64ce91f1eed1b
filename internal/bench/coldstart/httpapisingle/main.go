// Command httpapisingle is examples/http-api's API on the embedded store
// served by httpserver alone (no runtime selection), on 127.0.0.1:$PORT.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/internal/bench/coldstart/apiwire"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, closeStore, err := apiwire.Handler(logger)
	if err != nil {
		logger.Error("store", "error", err)
		os.Exit(1)
	}
	defer closeStore()
	if err := httpserver.ListenAndServe(context.Background(), "127.0.0.1:"+os.Getenv("PORT"), h, httpserver.WithServerLogger(logger)); err != nil {
		os.Exit(1)
	}
}
