// Command saga runs an order workflow across several event handlers, with
// compensation on failure — the Step Functions use case, driven by events
// and state instead of a state machine service:
//
//	order.placed → reserve stock → charge payment → ship → order.shipped
//
// and, when a step fails for good, the steps done so far are undone in
// reverse (refund, release stock, cancel: order.cancelled).
//
// Each step publishes the next event through an events.Publisher: a broker
// (K_SINK on Knative), an EventBridge bus (SAGA_EVENT_BUS on Lambda), a
// Pub/Sub topic (SAGA_PUBSUB_TOPIC on Cloud Functions) or, for local runs,
// an in-process Bus that delivers to the same handler. The same binary runs
// on each: adapters/platform picks the runtime from the environment.
//
// The workflow, its ports and the Bus are package ordersaga (./ordersaga);
// this file only wires: the store, the publisher, the shop (the in-memory
// ports), the default stack, the logger and the adapter.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"cloud.google.com/go/pubsub/v2"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/eventbridgepub"
	"github.com/fnkit/fnkit/events/pubsubpub"
	"github.com/fnkit/fnkit/examples/saga/ordersaga"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
	"github.com/fnkit/fnkit/state/memstore"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(context.Background(), os.Getenv, logger); err != nil {
		logger.Error("saga", "error", err)
		os.Exit(1)
	}
}

// newHandler is the saga as main serves it: svc's handler (the router
// behind the idempotency middleware: a duplicate of an event that was
// handled does not run again, and concurrent duplicates run once) with
// the middleware default stack, logging to logger, in front.
func newHandler(svc *ordersaga.Service, logger *slog.Logger) handler.Handler {
	return handler.Chain(
		// On Cloud Functions the saga's events come back through Pub/Sub
		// as messagePublished events: the saga sees (and the idempotency
		// middleware keys on) the event each message carries.
		fromPubSub,
		middleware.DefaultStack(middleware.WithLogger(logger)),
	)(svc.Handler())
}

// fromPubSub unwraps the CloudEvent a Pub/Sub message carries.
func fromPubSub(next handler.Handler) handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if e.Type() != events.TypePubSubMessagePublished {
			return next.Handle(ctx, e)
		}
		inner, err := pubsubpub.FromPush(e)
		if err != nil {
			return nil, handler.InvalidInputf("the Pub/Sub message does not carry a CloudEvent: %v", err)
		}
		return next.Handle(ctx, inner)
	})
}

// run wires the saga from the environment and serves it with
// platform.Run:
//
//	SAGA_STORE      bolt (default: an embedded file, SAGA_BOLT_PATH, default
//	                $TMPDIR/fnkit-saga.db) or memory
//	K_SINK          publish to this CloudEvents broker (Knative SinkBinding)
//	SAGA_EVENT_BUS  publish to this EventBridge bus (Lambda), with the AWS
//	                SDK's usual configuration
//	SAGA_PUBSUB_TOPIC  publish to this Pub/Sub topic (Cloud Functions), in
//	                the project GOOGLE_CLOUD_PROJECT
//	otherwise       an in-process ordersaga.Bus delivers each event back to
//	                the saga
//
// The steps act on an in-memory ordersaga.Shop (replace it with your
// services). A plain POST (no CloudEvents headers) is an order.placed
// event.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var store state.Store
	switch kind := cmp.Or(getenv("SAGA_STORE"), "bolt"); kind {
	case "bolt":
		path := cmp.Or(getenv("SAGA_BOLT_PATH"), filepath.Join(os.TempDir(), "fnkit-saga.db"))
		s, err := boltstore.Open(path, boltstore.WithSweepInterval(time.Minute))
		if err != nil {
			return fmt.Errorf("saga: opening %s: %w", path, err)
		}
		defer s.Close()
		store = s
	case "memory":
		store = memstore.New()
	default:
		return fmt.Errorf("saga: unknown SAGA_STORE %q (want bolt or memory)", kind)
	}
	shop := ordersaga.NewShop(map[string]int{"tea": 100, "coffee": 100})
	shop.NoDelivery = []string{"AQ"}

	var pub events.Publisher
	var bus *ordersaga.Bus
	sink, err := events.HTTPPublisherFromEnv()
	switch {
	case err == nil:
		pub = sink
	case !errors.Is(err, events.ErrNoSink):
		return err
	case getenv("SAGA_EVENT_BUS") != "":
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("saga: aws config: %w", err)
		}
		p, err := eventbridgepub.New(eventbridge.NewFromConfig(cfg), getenv("SAGA_EVENT_BUS"))
		if err != nil {
			return err
		}
		pub = p
	case getenv("SAGA_PUBSUB_TOPIC") != "":
		client, err := pubsub.NewClient(ctx, getenv("GOOGLE_CLOUD_PROJECT"))
		if err != nil {
			return fmt.Errorf("saga: pubsub client: %w", err)
		}
		defer client.Close()
		p, err := pubsubpub.New(client, getenv("SAGA_PUBSUB_TOPIC"))
		if err != nil {
			return err
		}
		defer p.Close()
		pub = p
	default:
		if p, _, _ := platform.Detect(getenv); p == platform.Lambda || p == platform.CloudFunctions {
			// A frozen Lambda or Cloud Functions instance would never
			// deliver what an in-process bus holds.
			return fmt.Errorf("saga: on %s, set SAGA_EVENT_BUS, SAGA_PUBSUB_TOPIC or K_SINK: an in-process bus would lose events", p)
		}
		bus = ordersaga.NewBus()
		pub = bus
	}
	h := newHandler(ordersaga.NewService(store, pub, shop.Ports()), logger)
	if bus != nil {
		go bus.Serve(ctx, h, logger)
	}
	plain := httpserver.WithPlainType(ordersaga.TypeOrderPlaced)
	return platform.Run(ctx, h, platform.WithLogger(logger),
		platform.WithHTTPOptions(plain),
		platform.WithKnativeOptions(knative.WithHTTPOptions(plain, httpserver.WithLogger(logger))))
}
