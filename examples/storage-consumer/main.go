package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/events"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(context.Background(), logger); err != nil {
		logger.Error("storage-consumer", "error", err)
		os.Exit(1)
	}
}

// run picks the publisher and the adapter from the environment.
func run(ctx context.Context, logger *slog.Logger) error {
	pub, err := publisher(logger)
	if err != nil {
		return err
	}
	h := NewHandler(pub)
	switch {
	case os.Getenv("FUNCTION_TARGET") != "":
		logger.Info("runtime", "adapter", "cloudfunctions")
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
		return cloudfunctions.Start(ctx, cloudfunctions.ConfigFromEnv(),
			cloudfunctions.CloudEvent("OnUpload", h, cloudfunctions.WithDeadLetter(pub), cloudfunctions.WithLogger(logger)))
	case os.Getenv("K_SERVICE") != "":
		logger.Info("runtime", "adapter", "knative")
		cfg, err := knative.ConfigFromEnv()
		if err != nil {
			return err
		}
		return knative.ListenAndServe(ctx, cfg, h,
			knative.WithHTTPOptions(httpserver.WithLogger(logger)),
			knative.WithServerOptions(httpserver.WithServerLogger(logger)))
	}
	logger.Info("runtime", "adapter", "httpserver")
	opts, err := httpserver.ServerOptionsFromEnv()
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(os.Getenv("HOST"), cmp.Or(os.Getenv("PORT"), "8080"))
	return httpserver.ListenAndServe(ctx, addr, httpserver.New(h, httpserver.WithLogger(logger)),
		append(opts, httpserver.WithServerLogger(logger))...)
}

// publisher returns the K_SINK publisher, or one that logs each event.
func publisher(logger *slog.Logger) (events.Publisher, error) {
	p, err := events.HTTPPublisherFromEnv()
	if errors.Is(err, events.ErrNoSink) {
		return events.PublisherFunc(func(ctx context.Context, evs ...event.Event) error {
			for _, e := range evs {
				b, _ := json.Marshal(e)
				logger.InfoContext(ctx, "published", "event", json.RawMessage(b))
			}
			return nil
		}), nil
	}
	return p, err
}
