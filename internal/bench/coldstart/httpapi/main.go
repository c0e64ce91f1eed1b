// Command httpapi is examples/http-api's API on the embedded store, run
// through adapters/platform (runtime selection, every adapter linked),
// which serves it locally on $PORT when no platform variable is set.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/fnkit/fnkit/adapters/platform"
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
	if err := platform.RunHTTP(context.Background(), h, platform.WithLogger(logger)); err != nil {
		os.Exit(1)
	}
}
