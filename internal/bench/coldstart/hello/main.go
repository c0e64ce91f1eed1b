// Command hello is examples/hello's function and wiring (httpserver with
// its access log), listening on 127.0.0.1:$PORT.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/examples/hello/greet"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h := httpserver.New(greet.NewHandler(), httpserver.WithLogger(logger))
	if err := httpserver.ListenAndServe(context.Background(), "127.0.0.1:"+os.Getenv("PORT"), h, httpserver.WithServerLogger(logger)); err != nil {
		os.Exit(1)
	}
}
