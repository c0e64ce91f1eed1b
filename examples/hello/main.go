package main

import (
	"cmp"
	"context"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/fnkit/fnkit/adapters/httpserver"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", ":"+cmp.Or(os.Getenv("PORT"), "8080"))
	if err != nil {
		logger.Error("listen", "error", err)
		os.Exit(1)
	}
	if err := run(ctx, ln, logger); err != nil {
		logger.Error("serve", "error", err)
		os.Exit(1)
	}
}

// run serves the function on ln until ctx is done.
func run(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	h := httpserver.New(NewHandler(), httpserver.WithLogger(logger))
	return httpserver.Serve(ctx, ln, h, httpserver.WithServerLogger(logger))
}
