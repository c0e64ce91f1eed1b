package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/middleware"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(context.Background(), logger); err != nil {
		logger.Error("storage-consumer", "error", err)
		os.Exit(1)
	}
}

// run picks the publisher from the environment, and platform.Run the
// adapter: Lambda (S3 notifications), Cloud Functions (Cloud Storage
// through Eventarc), Knative / Cloud Run, or a local server.
func run(ctx context.Context, logger *slog.Logger) error {
	pub, err := publisher(logger)
	if err != nil {
		return err
	}
	// The default stack logs one line per invocation (and traces and
	// counts it): the HTTP access log would log each event twice.
	h := middleware.DefaultStack(middleware.WithLogger(logger))(NewHandler(pub))
	return platform.Run(ctx, h,
		platform.WithLogger(logger),
		platform.WithServerOptions(httpserver.WithoutAccessLog()),
		platform.WithLambdaOptions(awslambda.WithDeadLetter(pub)),
		platform.WithCloudFunctionsOptions(cloudfunctions.WithDeadLetter(pub), cloudfunctions.WithLogger(logger)),
		platform.WithKnativeOptions(knative.WithHTTPOptions(httpserver.WithLogger(logger))))
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
