// Command storage-processor is an event consumer: it reacts to a file
// uploaded to a Cloud Storage bucket (google.cloud.storage.object.v1.finalized)
// or to an S3 bucket (com.amazonaws.s3.ObjectCreated:*), and publishes a
// follow-up event saying whether the upload was accepted. The same handler
// runs unchanged on AWS Lambda, Google Cloud Functions, Knative or Cloud
// Run, and on a laptop: main picks the adapter from the environment
// (adapters/platform).
//
//	AWS_LAMBDA_RUNTIME_API    AWS Lambda (S3 notifications)
//	FUNCTION_TARGET=OnUpload  Cloud Functions (functions-framework-go)
//	K_SERVICE=…               Knative / Cloud Run (CloudEvents over HTTP)
//	otherwise                 a local net/http server on $PORT (8080)
//
// Follow-up events go to K_SINK (a Knative SinkBinding, or any CloudEvents
// HTTP receiver) when it is set, and to the log otherwise.
//
// The handler and its rules are package uploads (./uploads); this file
// only wires: the publisher, the default stack, the adapter, the logger.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/fnkit/fnkit/examples/storage-processor/uploads"
	"github.com/fnkit/fnkit/handler"

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
		logger.Error("storage-processor", "error", err)
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
	h := newHandler(pub, logger)
	return platform.Run(ctx, h,
		platform.WithLogger(logger),
		platform.WithServerOptions(httpserver.WithoutAccessLog()),
		platform.WithLambdaOptions(awslambda.WithDeadLetter(pub)),
		platform.WithCloudFunctionsOptions(cloudfunctions.WithDeadLetter(pub), cloudfunctions.WithLogger(logger)),
		platform.WithKnativeOptions(knative.WithHTTPOptions(httpserver.WithLogger(logger))))
}

// newHandler is the consumer as main serves it: the handler of package
// uploads, publishing to pub, behind the default stack logging to logger.
func newHandler(pub events.Publisher, logger *slog.Logger) handler.Handler {
	return middleware.DefaultStack(middleware.WithLogger(logger))(uploads.NewHandler(pub))
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
